"""`fengqiao users add|passwd|disable|enable|list|key`: accounts from the command line."""

from __future__ import annotations

import argparse
import getpass
import os

from api.cli import command
from gis.accounts import admin
from gis.errors import InvalidInput
from gis.policy import Role
from gis.settings import DatabaseSettings
from gis.storage.pool import connect


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["add", "passwd", "disable", "enable", "list", "key", "revoke"])
    p.add_argument("username", nargs="?")
    p.add_argument("--role", choices=[str(r) for r in Role])
    p.add_argument("--town", default=None, help="limit the user to one town (its 12-digit code)")
    p.add_argument("--staff", default=None, help="the roster staff code of a field user")
    p.add_argument("--display", default="")
    p.add_argument("--name", default="cli", help="the API key's name (key, revoke)")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password from standard input (else FENGQIAO_NEW_PASSWORD or a prompt)")


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return input().rstrip("\n")
    return os.environ.get("FENGQIAO_NEW_PASSWORD") or getpass.getpass(f"password for {args.username}: ")


@command("users", _args)
def run_users(args: argparse.Namespace) -> int:
    """Accounts: add, passwd, disable, enable, list, key (a new API key), revoke (a key)."""
    if args.action != "list" and not args.username:
        raise InvalidInput(f"users {args.action} needs a user name", reason="missing_field")
    with connect(DatabaseSettings()) as conn:
        if args.action == "list":
            for row in admin.list_users(conn):
                state = "disabled" if row["disabled"] else ("locked" if row["locked"] else "active")
                print(f"{row['username']:<20} {row['role']:<10} {row['town_code'] or 'county':<14} {state:<8}"
                      f" password={'yes' if row['has_password'] else 'no'} keys={row['api_keys']}")
            return 0
        if args.action == "add":
            if not args.role:
                raise InvalidInput("users add needs --role", reason="missing_field")
            admin.check_links(conn, town_code=args.town, staff_code=args.staff)  # before asking for a password
            admin.create_user(conn, actor=None, username=args.username, role=args.role, town_code=args.town,
                              staff_code=args.staff, display=args.display, password=_password(args), checked=True)
            print(f"user {args.username} ({args.role}) saved")
        elif args.action == "passwd":
            admin.update_user(conn, actor=None, user_id=admin.user_id_of(conn, args.username), password=_password(args))
            print(f"password of {args.username} changed; their sessions, access tokens and API keys ended")
        elif args.action in ("disable", "enable"):
            admin.update_user(conn, actor=None, user_id=admin.user_id_of(conn, args.username),
                              disabled=args.action == "disable")
            print(f"user {args.username} {args.action}d")
        elif args.action == "key":
            print(admin.create_key(conn, actor=None, user_id=admin.user_id_of(conn, args.username), name=args.name))
        else:
            admin.revoke_key(conn, actor=None, user_id=admin.user_id_of(conn, args.username), name=args.name)
            print(f"key {args.name!r} of {args.username} revoked")
    return 0
