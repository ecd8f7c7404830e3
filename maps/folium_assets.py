"""folium pages that work without internet: folium's CDN assets swapped for vendored copies, inlined.

folium links Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; government intranets reach none of
them. Every default asset is either inlined from ``maps/static/vendor/`` (Leaflet, and jQuery, which
folium's popups call as ``$(...)``) or knowingly dropped (Bootstrap, Glyphicons, Font Awesome and
awesome-markers serve only ``folium.Icon`` and plugins the builders here do not use). Any other remote
asset, such as a plugin's, raises instead of leaving a page that breaks silently offline.
"""

from __future__ import annotations

import re

import folium
from folium.folium import _default_css, _default_js
from folium.plugins import HeatMap

from maps import STATIC_DIR

VENDOR = STATIC_DIR / "vendor"
INLINED = {
    "leaflet": VENDOR / "leaflet" / "leaflet.js",
    "jquery": VENDOR / "folium" / "jquery-3.7.1.min.js",
    "leaflet_css": VENDOR / "leaflet" / "leaflet.css",
    "leaflet-heat.js": VENDOR / "leaflet.heat" / "leaflet-heat.js",
}
DROPPED = frozenset({"bootstrap", "awesome_markers", "bootstrap_css", "glyphicons_css", "awesome_markers_font_css",
                     "awesome_markers_css", "awesome_rotate_css"})
ASSET_NAMES = {url: name for name, url in [*_default_js, *_default_css, *HeatMap.default_js]}
REMOTE_SCRIPT = re.compile(r'<script src="(https?://[^"]+)"></script>')
REMOTE_LINK = re.compile(r'<link rel="stylesheet" href="(https?://[^"]+)"\s*/?>')


class RemoteAssetError(ValueError):
    """A page would need an asset from the internet that is not vendored here."""


def _asset(url: str) -> str | None:
    name = ASSET_NAMES.get(url)
    if name is None or (name not in INLINED and name not in DROPPED):
        raise RemoteAssetError(f"{url} is not vendored under {VENDOR}: vendor it or do not use that plugin")
    return name if name in INLINED else None


def _script(match: re.Match[str]) -> str:
    name = _asset(match.group(1))
    return f"<script>{INLINED[name].read_text(encoding='utf-8')}</script>" if name else ""


def _style(match: re.Match[str]) -> str:
    name = _asset(match.group(1))
    return f"<style>{INLINED[name].read_text(encoding='utf-8')}</style>" if name else ""


def offline_html(m: folium.Map) -> str:
    """The map as one self-contained HTML page: no request leaves the machine.

    Parameters
    ----------
    m : folium.Map
        The map to render.

    Returns
    -------
    str
        HTML with vendored assets inlined in folium's order and the unused defaults removed.

    Raises
    ------
    RemoteAssetError
        When the page links a remote asset that is neither vendored nor known to be unused.
    """
    html = m.get_root().render()
    html = REMOTE_SCRIPT.sub(_script, html)
    return REMOTE_LINK.sub(_style, html)
