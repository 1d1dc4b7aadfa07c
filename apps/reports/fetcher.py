"""The only way WeasyPrint may load anything while rendering a report.

# SECURITY: a report is rendered from a person's answers and notes. Whatever reaches the
# HTML, the renderer must not become a way to read server files (file://), reach internal
# services (SSRF over http(s)://) or pull in remote content. The document's base URL is a
# reserved, unresolvable origin; the fetcher serves the app's own static files for that
# origin from the static finders or STATIC_ROOT, small inline images as data: URLs, and
# refuses everything else without opening a socket or a path outside the static roots.
"""

from __future__ import annotations

import base64
import mimetypes
import posixpath
import re
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from weasyprint.urls import URLFetcher, URLFetcherResponse

# RFC 2606: ".invalid" never resolves, so even a fetcher bug could not reach a real host.
ASSET_HOST = "report-assets.portcullis.invalid"
ASSET_BASE_URL = f"https://{ASSET_HOST}/"

MAX_DATA_URL_BYTES = 32 * 1024
DATA_URL_TYPES = frozenset({"image/png", "image/gif", "image/jpeg", "image/webp"})
STATIC_FILE_TYPES = frozenset(
    {
        "text/css",
        "image/png",
        "image/gif",
        "image/jpeg",
        "image/webp",
        "image/svg+xml",
        "font/woff",
        "font/woff2",
        "font/ttf",
        "font/otf",
    }
)
_DATA_URL_RE = re.compile(r"^data:(?P<type>[^;,]*)(?P<params>(?:;[^;,]*)*),(?P<data>.*)$", re.S)


class AssetRefused(ValueError):
    """The renderer asked for something a report may not load."""


class ReportAssetFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves only the app's static files and small images."""

    def __init__(self):
        super().__init__(timeout=1, allowed_protocols=("https", "data"), allow_redirects=False)
        self.served: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        try:
            response = self._fetch(url)
        except AssetRefused:
            self.refused.append(url[:200])
            raise
        self.served.append(url[:200])
        return response

    def _fetch(self, url: str) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return self._data_url(url)
        if scheme != "https":
            raise AssetRefused(f"Reports may not load {scheme or 'relative'} URLs.")
        parts = urlsplit(url)
        # netloc, not hostname: "user@host" or "host:443" is not our origin either.
        if parts.netloc.lower() != ASSET_HOST or parts.query:
            raise AssetRefused("Reports may not load anything from another host.")
        return self._static_file(url, parts.path)

    def _data_url(self, url: str) -> URLFetcherResponse:
        match = _DATA_URL_RE.match(url)
        if match is None:
            raise AssetRefused("Malformed data: URL.")
        media_type = match["type"].strip().lower()
        if media_type not in DATA_URL_TYPES:
            raise AssetRefused("Only small images may be inlined as data: URLs.")
        # Bound the work before decoding: base64 is 4/3 the size of what it encodes.
        if len(match["data"]) > MAX_DATA_URL_BYTES * 4 // 3 + 4:
            raise AssetRefused("Inline image too large.")
        raw = unquote_to_bytes(match["data"])
        if ";base64" in match["params"].lower():
            try:
                raw = base64.b64decode(raw, validate=True)
            except ValueError as exc:
                raise AssetRefused("Malformed base64 in a data: URL.") from exc
        if len(raw) > MAX_DATA_URL_BYTES:
            raise AssetRefused("Inline image too large.")
        return URLFetcherResponse(url, raw, {"Content-Type": media_type})

    def _static_file(self, url: str, path: str) -> URLFetcherResponse:
        static_prefix = urlsplit(settings.STATIC_URL).path
        if not path.startswith(static_prefix):
            raise AssetRefused("Reports may only load the app's static files.")
        relative = unquote(path[len(static_prefix) :])
        # Decode once, then insist on a plain relative path: no "..", no ".", no empty or
        # absolute segments, no backslashes or NULs (encoded forms are decoded above).
        segments = relative.split("/")
        if (
            not relative
            or "\\" in relative
            or "\x00" in relative
            or any(segment in ("", ".", "..") for segment in segments)
            or posixpath.normpath(relative) != relative
        ):
            raise AssetRefused("Not a static file path.")
        media_type = mimetypes.guess_type(relative)[0]
        if media_type not in STATIC_FILE_TYPES:
            raise AssetRefused("Reports may load only stylesheets, images and fonts.")
        body = _read_static(relative)
        if body is None:
            raise AssetRefused("No such static file.")
        return URLFetcherResponse(url, body, {"Content-Type": media_type})


def _read_static(relative: str) -> bytes | None:
    """The bytes of a static file: collected (STATIC_ROOT, hashed names) first, then finders."""
    try:
        if staticfiles_storage.exists(relative):
            with staticfiles_storage.open(relative, "rb") as handle:
                return handle.read()
    except (OSError, ValueError):
        pass  # not collected (development): fall through to the finders
    # finders only return files inside a configured static directory (safe_join).
    found = finders.find(relative)
    if not found:
        return None
    with open(found, "rb") as handle:
        return handle.read()
