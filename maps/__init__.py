"""Rendering: folium builders and the operator console's static assets (vendored, no CDN)."""

from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
