"""folium pages that work without internet: CDN assets are replaced by the vendored copies, inlined."""

from __future__ import annotations

import re

import folium

from maps import STATIC_DIR

LEAFLET_JS = STATIC_DIR / "vendor" / "leaflet" / "leaflet.js"
LEAFLET_CSS = STATIC_DIR / "vendor" / "leaflet" / "leaflet.css"
REMOTE_SCRIPT = re.compile(r'<script src="https?://[^"]+"></script>\s*')
REMOTE_LINK = re.compile(r'<link rel="stylesheet" href="https?://[^"]+"\s*/?>\s*')


def offline_html(m: folium.Map) -> str:
    """The map's HTML with every remote script and stylesheet removed and Leaflet inlined.

    Only Leaflet itself is inlined: builders here use plain Leaflet layers (GeoJson, CircleMarker,
    Popup), not the jQuery/Bootstrap/Font Awesome plugins folium also links by default.
    """
    html = m.get_root().render()
    html = REMOTE_SCRIPT.sub("", html)
    html = REMOTE_LINK.sub("", html)
    inline = (f"<style>{LEAFLET_CSS.read_text(encoding='utf-8')}</style>\n"
              f"<script>{LEAFLET_JS.read_text(encoding='utf-8')}</script>\n")
    return html.replace("<head>", "<head>\n" + inline, 1)
