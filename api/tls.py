"""A self-signed certificate for the demo: browsers give phones' geolocation only over HTTPS (or localhost).

Production runs behind a TLS reverse proxy with the county's certificate (README: "Field phones and HTTPS").
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from gis.errors import InvalidInput
from gis.settings import PROJECT_ROOT

TLS_DIR = PROJECT_ROOT / "var" / "tls"


def self_signed(host: str, folder: Path = TLS_DIR) -> tuple[Path, Path]:
    """(certificate, key) for ``host``, made once with openssl (valid 365 days, for the demo only)."""
    cert, key = folder / "demo-cert.pem", folder / "demo-key.pem"
    if cert.exists() and key.exists():
        return cert, key
    if shutil.which("openssl") is None:
        raise InvalidInput("openssl is needed for --https (apt-get install openssl)", reason="openssl_missing")
    folder.mkdir(parents=True, exist_ok=True)
    names = f"subjectAltName=DNS:localhost,IP:127.0.0.1{',IP:' + host if host[:1].isdigit() else ',DNS:' + host}"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "365", "-subj",
                    "/CN=fengqiao-demo", "-addext", names, "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    key.chmod(0o600)
    return cert, key
