"""`fengqiao ...`: a thin command-line parser over the gis use cases.

Subcommand groups register themselves in COMMANDS (name -> (add_arguments, run)), so each
resource keeps its CLI next to its router without touching this file's core.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from collections.abc import Callable

from gis.errors import GisError
from gis.settings import AppSettings, DatabaseSettings
from gis.storage import access, cluster
from gis.storage.pool import connect, redact
from gis.storage.schema import connect_ready

Handler = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Handler]] = {}


def command(name: str, configure: Callable[[argparse.ArgumentParser], None]) -> Callable[[Handler], Handler]:
    """Register a subcommand."""

    def register(run: Handler) -> Handler:
        COMMANDS[name] = (configure, run)
        return run

    return register


def _db_args(p: argparse.ArgumentParser) -> None:
    from api.commands import backup

    p.add_argument(
        "action", choices=["up", "down", "status", "backup", "restore"],
        help="start, stop or inspect the local PostGIS; back up or restore the database",
    )
    backup.add_arguments(p)


@command("db", _db_args)
def run_db(args: argparse.Namespace) -> int:
    """Manage the project's own PostGIS cluster; back up and restore the database."""
    if args.action in ("backup", "restore"):
        from api.commands import backup

        return backup.run(args)
    db = DatabaseSettings()
    if db.database_url is not None:
        print(f"DATABASE_URL is set ({redact(db.database_url)}): the local cluster is not used")
        if args.action != "status":
            return 0
    state = {"up": cluster.up, "down": cluster.down, "status": cluster.status}[args.action](db)
    print(state.describe())
    return 0 if args.action != "status" or state.running or db.database_url else 3


def _setup_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-sample", action="store_true", help="create the schema only")


@command("setup", _setup_args)
def run_setup(args: argparse.Namespace) -> int:
    """Start PostGIS (unless DATABASE_URL), apply migrations, load the sample county once."""
    from gis.bootstrap import bootstrap

    result = bootstrap(DatabaseSettings(), data_dir=AppSettings().data_dir, load_sample=not args.no_sample)
    print(f"database {redact(result.url)}: {len(result.migrations_applied)} migration(s) applied")
    if result.generation is not None:
        counts = ", ".join(f"tier {t}: {n}" for t, n in result.tier_counts.items())
        print(f"generation {result.generation.name!r} ({counts})")
    if result.sample_cases:
        print(f"sample history: {result.sample_cases} cases (data/cases/README.md)")
    return 0


def _serve_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--workers", type=int, default=1,
                   help="server processes on one database (each keeps its own in-memory services in step)")
    p.add_argument("--https", action="store_true",
                   help="serve HTTPS with a self-signed certificate (demo: phones' geolocation needs HTTPS)")


@command("serve", _serve_args)
def run_serve(args: argparse.Namespace) -> int:
    """Serve the API and web console (the database must be set up)."""
    import uvicorn

    from api.main import create_app
    from api.memory import limit_malloc_arenas
    from gis.crypto import keys

    limit_malloc_arenas()  # before any worker thread allocates (memory levels off under load)

    keys()  # refuse to start without the keys, with a message naming them
    settings = AppSettings()
    host, port = args.host or settings.host, args.port or settings.port
    tls: dict[str, str] = {}
    if getattr(args, "https", False):
        from api.tls import self_signed

        cert, key = self_signed(host)
        tls = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    # proxy_headers=False: the app believes forwarded headers only from FENGQIAO_TRUSTED_PROXIES (api.security)
    if getattr(args, "workers", 1) > 1:  # each worker process builds its app from the environment
        uvicorn.run("api.main:create_app", factory=True, host=host, port=port, workers=args.workers,
                    log_level="info", proxy_headers=False, timeout_keep_alive=settings.keep_alive_s,
                    **tls)  # type: ignore[arg-type]
    else:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info", proxy_headers=False,
                    timeout_keep_alive=settings.keep_alive_s, **tls)  # type: ignore[arg-type]
    return 0


@command("demo", _serve_args)
def run_demo(args: argparse.Namespace) -> int:
    """Set everything up, create one user per role and serve on http://127.0.0.1:8000."""
    import os

    from gis.accounts import admin
    from gis.policy import ROLE_LABELS
    from gis.storage.devices import demo_field_staff

    os.environ["FENGQIAO_DEMO"] = "1"  # keys are generated once under var/keys/ (never in production)
    run_setup(argparse.Namespace(no_sample=False))
    settings = AppSettings()
    host, port = args.host or settings.host, args.port or settings.port
    scheme = "https" if getattr(args, "https", False) else "http"
    print(f"Sign in at {scheme}://{host}:{port}/login (console) or {scheme}://{host}:{port}/field (field staff)"
          " with one of these demo accounts (new passwords each run):")
    with connect(DatabaseSettings()) as conn:
        field_staff = demo_field_staff(conn)  # the demo's field account receives orders as this staff member
        for role, label in ROLE_LABELS.items():
            password = f"Demo-{secrets.token_urlsafe(9)}"
            staff = field_staff if role == "field" else None
            admin.create_user(conn, actor=None, username=f"demo-{role}", role=str(role), display=label,
                              staff_code=staff, password=password)
            print(f"  {label:<10} demo-{role:<11} {password}" + (f"  (人员编号 {staff})" if staff else ""))
        key = admin.create_key(conn, actor=None, user_id=admin.user_id_of(conn, "demo-admin"),
                               name="demo-simulator")
    print(f"API clients: curl -d username=demo-admin -d password=... {scheme}://{host}:{port}/api/v1/auth/token")
    print(f"Machine clients (simulator, gateways): Authorization: Bearer {key}")
    print("Stop with Ctrl-C (the database keeps running: `fengqiao db down` stops it).")
    if settings.demo_positions:  # staff move on the map from the first minute (FENGQIAO_DEMO_POSITIONS=0: off)
        from api.commands.sample_positions import start_in_background

        start_in_background()
        print("Simulated staff positions: every 3 s (demo data; FENGQIAO_DEMO_POSITIONS=0 turns it off)")
    return run_serve(args)


def _user_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=["admin", "gis", "operator", "supervisor", "field", "auditor"])
    p.add_argument("--town", default=None, help="limit the user to one town (its 12-digit code)")
    p.add_argument("--staff", default=None, help="the roster staff code of a field user")


@command("user", _user_args)
def run_user(args: argparse.Namespace) -> int:
    """Create or update a user and print a new API key for it (alias of `users add` + `users key`)."""
    token = secrets.token_urlsafe(24)
    with connect_ready(DatabaseSettings()) as conn:
        user = access.upsert_user(
            conn, username=args.username, role=args.role, town_code=args.town, staff_code=args.staff
        )
        access.add_token(conn, user_id=user.id, token=token, label="cli")
    print(token)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every registered subcommand."""
    _import_command_modules()
    parser = argparse.ArgumentParser(prog="fengqiao", description=__doc__.splitlines()[0] if __doc__ else "")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (configure, run) in COMMANDS.items():
        p = sub.add_parser(name, help=(run.__doc__ or "").splitlines()[0])
        configure(p)
        p.set_defaults(run=run)
    return parser


def _import_command_modules() -> None:
    """Resource CLIs live beside their routers in api/commands/; importing registers them."""
    import importlib
    import pkgutil

    import api.commands

    for info in pkgutil.iter_modules(api.commands.__path__):
        importlib.import_module(f"api.commands.{info.name}")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run a subcommand, turning domain errors into a clear message and exit code 2."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except GisError as exc:
        print(f"fengqiao {args.command}: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
