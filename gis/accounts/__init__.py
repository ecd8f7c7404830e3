"""Accounts and sign-in: passwords, sessions, access tokens, API keys, lock-out."""
