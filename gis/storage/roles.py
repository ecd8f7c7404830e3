"""The two database roles: the owner (migrations, administration) and the application (row-level security).

The application's role owns nothing and is not a superuser, so the policies of schema 110 bind it: a
query that forgets its region still returns only the caller's rows. The local cluster creates both
roles; an external database brings its own (``DATABASE_URL`` for the application, ``FENGQIAO_OWNER_URL``
for the owner). Where one role must do both, row-level security is not in force and the server says so.
"""

from __future__ import annotations

import getpass
import logging

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from gis.errors import Unavailable
from gis.settings import DatabaseSettings

log = logging.getLogger("fengqiao.roles")

EXTENSIONS = ("postgis", "btree_gist", "pgcrypto")  # PostGIS is not a trusted extension: the superuser adds it
# Audit rows are append-only for the application: no UPDATE, DELETE or TRUNCATE (purges run as the owner).
APPEND_ONLY_TABLES = ("audit_log", "audit_chain", "audit_checkpoints")
OWNER_ONLY_FUNCTIONS = ("audit_purge(bigint, bytea, bytea)",)


def role_of(url: str) -> str:
    """The role a connection string signs in as (libpq's default: the operating-system user)."""
    return str(conninfo_to_dict(url).get("user") or getpass.getuser())


def separate_roles(settings: DatabaseSettings) -> bool:
    """True when the application and the owner are different roles (row-level security in force)."""
    return role_of(settings.url) != role_of(settings.owner_url)


def create_cluster_roles(superuser: psycopg.Connection, settings: DatabaseSettings) -> None:
    """The local cluster's owner (may create databases) and application role (nothing else), once."""
    wanted = {
        settings.owner_role: "LOGIN CREATEDB NOSUPERUSER NOCREATEROLE NOBYPASSRLS",
        settings.app_role: "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION",
    }
    # One at a time: processes starting at once (parallel test workers, several servers) otherwise fail with
    # "tuple concurrently updated" on the same role.
    with superuser.transaction():
        superuser.execute("SELECT pg_advisory_xact_lock(hashtext('fengqiao.cluster_roles'))")
        for name, attributes in wanted.items():
            exists = superuser.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
            verb = "ALTER" if exists else "CREATE"
            superuser.execute(sql.SQL(f"{verb} ROLE {{}} {attributes}").format(sql.Identifier(name)))


def prepare_local_database(superuser: psycopg.Connection, owner: str) -> None:
    """As the local superuser, in a fresh or older database: the extensions, and the owner owning everything.

    Databases made before the roles were split belong to ``postgres``; their tables, sequences, views
    and functions (not the extensions' own objects) move to the owner so migrations can alter them.
    """
    for name in EXTENSIONS:
        superuser.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(name)))
    dbname = superuser.info.dbname
    superuser.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(dbname), sql.Identifier(owner)))
    superuser.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(owner)))
    superuser.execute("SELECT set_config('fengqiao.new_owner', %s, false)", (owner,))  # read by the block below
    superuser.execute(
        """
        DO $$
        DECLARE
            obj record;
            new_owner text := current_setting('fengqiao.new_owner');
        BEGIN
            FOR obj IN
                SELECT c.oid, c.relkind, format('%I.%I', n.nspname, c.relname) AS name
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
                  AND pg_get_userbyid(c.relowner) <> new_owner
                  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                  AND d.objid = c.oid AND d.deptype = 'e')
                  AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                  AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
            LOOP
                EXECUTE format('ALTER %s %s OWNER TO %I',
                               CASE obj.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                                WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, obj.name, new_owner);
            END LOOP;
            FOR obj IN
                SELECT p.oid::regprocedure::text AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> new_owner
                  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                                  AND d.objid = p.oid AND d.deptype = 'e')
            LOOP
                EXECUTE format('ALTER ROUTINE %s OWNER TO %I', obj.name, new_owner);
            END LOOP;
        END $$
        """
    )


def grant_application_role(owner: psycopg.Connection, app_role: str) -> None:
    """What the application may do: read and write rows (under the policies), append audit rows, no DDL.

    Re-run after every migration (tables added later get their grants too).
    """
    exists = owner.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (app_role,)).fetchone()
    if not exists:
        raise Unavailable(f"the application's role {app_role!r} does not exist: create it (LOGIN, not a superuser,"
                          " owning nothing) or point DATABASE_URL at the owner's role", reason="app_role_missing")
    role = sql.Identifier(app_role)
    statements = [
        "GRANT USAGE ON SCHEMA public TO {role}",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}",
        "REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM {role}",
        *(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {{role}}" for table in APPEND_ONLY_TABLES),
        *(f"REVOKE EXECUTE ON FUNCTION {fn} FROM PUBLIC, {{role}}" for fn in OWNER_ONLY_FUNCTIONS),
    ]
    for statement in statements:
        owner.execute(sql.SQL(statement).format(role=role))


def enforced(conn: psycopg.Connection) -> bool:
    """True when the policies bind this connection: not a superuser, not BYPASSRLS, not the tables' owner."""
    row = conn.execute(
        "SELECT NOT (r.rolsuper OR r.rolbypassrls) AND pg_get_userbyid(c.relowner) <> current_user"
        " FROM pg_roles r, pg_class c WHERE r.rolname = current_user AND c.oid = to_regclass('public.cases')"
    ).fetchone()
    return bool(row and row[0])


def warn_if_not_enforced(settings: DatabaseSettings) -> None:
    """A log line at start-up when one role does both jobs (then the policies do not bind the server)."""
    if not separate_roles(settings):
        log.warning("DATABASE_URL signs in as the schema's owner (%s): row-level security is not in force; "
                    "give the server its own role (see README, Database)", role_of(settings.url))
