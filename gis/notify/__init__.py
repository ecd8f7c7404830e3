"""Notifications: one model for the console and outside senders (rows per recipient and channel)."""
