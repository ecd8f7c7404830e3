"""Settings from the environment (prefix FENGQIAO_, plus the conventional DATABASE_URL)."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class DatabaseSettings(BaseSettings):
    """Where PostGIS is: an external DATABASE_URL, or the project's own local cluster."""

    model_config = SettingsConfigDict(env_prefix="FENGQIAO_", extra="ignore")

    # The application's connection: a role that owns nothing and is not a superuser, so row-level security
    # binds it. Migrations and the CLI's administrative commands connect as the owner (its own URL, defaulting
    # to DATABASE_URL where one role must do both; then row-level security is not in force).
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "FENGQIAO_DATABASE_URL")
    )
    owner_database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_OWNER_URL", "FENGQIAO_OWNER_URL")
    )
    app_role: str = "fengqiao_app"  # the local cluster's roles (created by `fengqiao db up`)
    owner_role: str = "fengqiao_owner"
    pg_data: Path = PROJECT_ROOT / "var" / "pgdata"
    pg_port: int = 55432
    pg_database: str = "fengqiao"
    pool_min: int = 1
    pool_max: int = 10
    connect_timeout_s: float = 1.0
    # Failing fast: how long a request waits for a pooled connection (longer when the database is up but
    # every connection is lent), the server-side limits of the API's sessions, and how long a query may go
    # unanswered before the watchdog asks whether the server is still working on it (else the connection
    # is cut: a blackholed network cannot hang a request).
    pool_timeout_s: float = 1.5
    pool_busy_timeout_s: float = 10.0
    statement_timeout_ms: int = 30_000  # the server's pooled connections; CLI loads have none
    idle_in_transaction_timeout_ms: int = 60_000
    query_deadline_s: float = 3.0

    @property
    def local(self) -> bool:
        """True when the project's own cluster is used (no DATABASE_URL)."""
        return self.database_url is None

    def local_url(self, user: str) -> str:
        """URL of the project's own cluster for one role (loopback TCP on its own port, trust auth)."""
        return f"postgresql://{user}@127.0.0.1:{self.pg_port}/{self.pg_database}"

    @property
    def url(self) -> str:
        """The application's URL: DATABASE_URL when set, else the local cluster's application role."""
        return self.database_url or self.local_url(self.app_role)

    @property
    def owner_url(self) -> str:
        """Migrations and administration: the owner's URL, else DATABASE_URL, else the local owner role."""
        return self.owner_database_url or self.database_url or self.local_url(self.owner_role)

    @property
    def superuser_url(self) -> str | None:
        """The local cluster's superuser (creates roles and extensions); None for an external database."""
        return self.local_url("postgres") if self.local else None

    def for_database(self, dbname: str) -> DatabaseSettings:
        """The same server and roles, another database (tests, restores)."""
        if self.local:
            return self.model_copy(update={"pg_database": dbname})
        from gis.storage.database import url_for_database  # the driver's URL parser lives in storage

        return self.model_copy(update={"database_url": url_for_database(self.url, dbname),
                                       "owner_database_url": url_for_database(self.owner_url, dbname)})

    def environment(self) -> dict[str, str]:
        """Environment variables that point a child process (server, CLI) at the same database and roles."""
        if self.local:
            return {"FENGQIAO_PG_PORT": str(self.pg_port), "FENGQIAO_PG_DATABASE": self.pg_database,
                    "FENGQIAO_PG_DATA": str(self.pg_data)}
        return {"DATABASE_URL": self.url, "FENGQIAO_OWNER_URL": self.owner_url}


class AppSettings(BaseSettings):
    """API server settings."""

    model_config = SettingsConfigDict(env_prefix="FENGQIAO_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    # Idle keep-alive connections are closed after this long: longer than clients and proxies keep theirs
    # idle (a proxy's upstream keep-alive must be shorter, see deploy/nginx/fengqiao.conf), so a client
    # never reuses a connection the server is closing at that moment.
    keep_alive_s: int = 75
    data_dir: Path = PROJECT_ROOT / "data"
    max_upload_mb: int = 200  # only the upload routes (boundary files, the roster, batch locate)
    max_body_kb: int = 2048  # every other request body (JSON, forms), counted as it arrives
    attachment_max_mb: int = 10  # a case's attachment (a photo, a PDF): its upload route's limit
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or CIDRs, comma-separated).
    # Empty: none; the client address is the connection's peer. See README "Behind a reverse proxy".
    trusted_proxies: str = ""
    # Residents' public intake (routes under api.bodylimit.PUBLIC_INTAKE_PREFIX): anonymous, so a small body and
    # writes per client address and in all per hour.
    intake_max_kb: int = 64
    intake_per_address_per_hour: int = 10
    intake_per_hour: int = 600
    border_distance_m: float = 50.0
    demo_token: str | None = None
    # The URL clients reach this server by (behind a reverse proxy: https://grid.example.gov.cn); tile and OGC
    # links are built from it rather than from the Host header. None: the request's own base URL (development).
    public_url: str | None = None
    # An optional base map for the console: an XYZ template ({z}/{x}/{y}) or a WMTS KVP/REST URL, its
    # attribution and its datum ("wgs84" for 天地图/CGCS2000 sources, "gcj02" for most commercial tiles).
    basemap_url: str | None = None
    basemap_attribution: str = ""
    basemap_crs: str = "wgs84"
    # Start the live position simulator with the demo (movement on the map on first start).
    demo_positions: bool = True
    sweep_every_s: float = 60.0  # deadline warnings are raised inside the server this often (one process at a time)
    # An open event stream re-checks its caller's credential and scope this often (and ends when they changed).
    stream_check_s: float = 2.0
    # Build the hotspot weights in the background at start (seconds of CPU), so the first supervisor's map is
    # quick. Off where nobody asks for hotspots soon (the tests): the first request then builds them.
    warm_hotspots: bool = True
    # The supervisors' figures follow new cases within this many seconds: under a stream of new cases each is
    # computed at most this often per cut, not once per request (gis/figures.py). 0: at once (the tests).
    figures_refresh_s: float = Field(default=10.0, ge=0, le=300)
    # How long start-up waits for the in-memory services (locate index, staff trees, listener) before serving
    # anyway; /readyz says what is still missing.
    startup_wait_s: float = 30.0


class ActivationSettings(BaseSettings):
    """When switching the active generation needs an explicit override."""

    model_config = SettingsConfigDict(env_prefix="FENGQIAO_", extra="ignore")

    # A generation that removes more than this share of the active grids (a one-town file loaded as the whole
    # tier, say), or leaves more than this share of the county in no grid, needs --override / the web's confirmation.
    activation_max_removed_share: float = 0.05
    activation_max_uncovered_share: float = 0.001


class SecuritySettings(BaseSettings):
    """Keys and sign-in limits. Keys have no defaults: production refuses to start without them.

    ``FENGQIAO_PARTY_KEY`` keys the hash of parties' ID numbers (exact search), ``FENGQIAO_DATA_KEY``
    (32 bytes, base64) encrypts personal data with AES-GCM, ``FENGQIAO_SESSION_KEY`` keys the hash of
    session ids and API keys at rest, ``FENGQIAO_JWT_KEY`` signs access tokens (HS256). With
    ``FENGQIAO_DEMO=1`` (and under pytest) missing keys are generated once under ``var/keys/``.
    """

    model_config = SettingsConfigDict(env_prefix="FENGQIAO_", extra="ignore")

    demo: bool = False
    key_dir: Path = PROJECT_ROOT / "var" / "keys"
    party_key: str | None = None
    data_key: str | None = None
    session_key: str | None = None
    jwt_key: str | None = None
    session_idle_s: int = 30 * 60
    session_max_s: int = 12 * 3600
    access_token_s: int = 15 * 60
    # Device sign-in: a link (QR code) is good once for this long; the phone's session then lasts this long.
    device_code_s: int = 10 * 60
    device_session_s: int = 30 * 24 * 3600
    lockout_failures: int = 5
    lockout_s: int = 15 * 60
    reveal_per_hour: int = 30
    secure_cookies: bool = False
    audit_retention_days: int = 200


class AuditSettings(BaseSettings):
    """Where the audit chain's signed head is kept outside the database, and how often it is renewed.

    ``FENGQIAO_AUDIT_HEAD_FILE`` (default ``var/audit/<database>.head.json``) should sit where the database's
    owner cannot write, e.g. on the server's own disk; every head is also logged (logger ``fengqiao.audit.head``).
    ``FENGQIAO_AUDIT_HEARTBEAT_S``: the head is re-signed at least this often, so a stale head is a finding.
    """

    model_config = SettingsConfigDict(env_prefix="FENGQIAO_AUDIT_", extra="ignore")

    head_file: Path | None = None
    heartbeat_s: float = 300.0

    def head_path(self, database: str) -> Path:
        """The head file of one database."""
        return self.head_file or PROJECT_ROOT / "var" / "audit" / f"{database}.head.json"

    @property
    def stale_after_s(self) -> float:
        """A head older than this means the sealer stopped or an old head was put back."""
        return 2 * self.heartbeat_s + 60


class NotifySettings(BaseSettings):
    """The notification outbox: where outside channels deliver locally, and how often a failed send is retried.

    ``FENGQIAO_NOTIFY_SINK_DIR``: senders for 'sms', 'wecom' and 'dingtalk' write each message as a JSON file
    under ``<sink_dir>/<channel>/`` until real gateways are configured; ``FENGQIAO_NOTIFY_MAX_ATTEMPTS`` and
    ``FENGQIAO_NOTIFY_BACKOFF_S`` (doubled after each failure) govern retries.
    """

    model_config = SettingsConfigDict(env_prefix="FENGQIAO_NOTIFY_", extra="ignore")

    sink_dir: Path = PROJECT_ROOT / "var" / "outbox"
    max_attempts: int = 5
    backoff_s: float = 30.0
