"""The PDF renderer loads the app's own static files and small images, and nothing else."""

from __future__ import annotations

import base64
import http.server
import io
import threading

import pytest
from pypdf import PdfReader
from weasyprint import HTML

from apps.reports.fetcher import ASSET_BASE_URL, AssetRefused, ReportAssetFetcher
from apps.reports.rendering import html_to_pdf
from tests.reports.support import pdf_text

# A 1x1 transparent PNG.
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def test_it_serves_the_apps_own_stylesheet():
    response = ReportAssetFetcher().fetch(ASSET_BASE_URL + "static/reports/report.css")
    assert response.content_type == "text/css"
    assert b".report-cover" in response.read()


def test_it_serves_a_small_inline_image():
    url = "data:image/png;base64," + base64.b64encode(TINY_PNG).decode()
    response = ReportAssetFetcher().fetch(url)
    assert response.content_type == "image/png"
    assert response.read() == TINY_PNG


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/hostname",
        "file://localhost/etc/passwd",
        "http://127.0.0.1:8000/static/reports/report.css",
        "https://example.org/static/reports/report.css",
        "https://169.254.169.254/latest/meta-data/",
        f"https://attacker@{ASSET_BASE_URL[8:-1]}/static/reports/report.css",
        f"https://{ASSET_BASE_URL[8:-1]}:8443/static/reports/report.css",
        f"http://{ASSET_BASE_URL[8:-1]}/static/reports/report.css",
        "ftp://example.org/file.css",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg'/>",
        "data:image/png;base64," + base64.b64encode(b"\x89PNG" + b"0" * 40_000).decode(),
    ],
)
def test_it_refuses_other_schemes_hosts_and_large_or_active_data(url):
    fetcher = ReportAssetFetcher()
    with pytest.raises(AssetRefused):
        fetcher.fetch(url)
    assert fetcher.refused and not fetcher.served


@pytest.mark.parametrize(
    "path",
    [
        "static/../config/settings.py",
        "static/reports/../../../config/settings.py",
        "static/%2e%2e/%2e%2e/config/settings.py",
        "static/reports/..%2f..%2f..%2fconfig%2fsettings.py",
        "static/%2Fetc%2Fpasswd",
        "static//etc/passwd",
        "static/reports/..\\..\\settings.py",
        "static/reports/report.css%00.png",
        "static/reports/report.css?x=1",
        "media/anything.png",
        "etc/passwd",
        "static/reports/report.py",
    ],
)
def test_it_refuses_paths_outside_the_static_files(path):
    with pytest.raises(AssetRefused):
        ReportAssetFetcher().fetch(ASSET_BASE_URL + path)


def _page(stylesheet_href: str) -> str:
    return (
        f'<html><head><link rel="stylesheet" href="{stylesheet_href}"></head>'
        "<body><p>Visible body text</p></body></html>"
    )


def test_a_file_url_in_the_document_does_not_reach_the_pdf(tmp_path):
    secret = tmp_path / "secret.css"
    secret.write_text('body::after { content: "LEAKEDFROMDISK"; }')
    page = _page(secret.as_uri())

    # The control: WeasyPrint's own fetcher would read the file into the PDF.
    assert "LEAKEDFROMDISK" in pdf_text(HTML(string=page).write_pdf())

    text = pdf_text(html_to_pdf(page))
    assert "Visible body text" in text
    assert "LEAKEDFROMDISK" not in text


def test_an_external_url_in_the_document_is_never_requested():
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the stdlib's name
            requests.append(self.path)
            body = b'body::after { content: "LEAKEDFROMNETWORK"; }'
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        page = _page(f"http://127.0.0.1:{server.server_port}/evil.css")
        # The control: WeasyPrint's own fetcher would make the request.
        assert "LEAKEDFROMNETWORK" in pdf_text(HTML(string=page).write_pdf())
        requests.clear()

        text = pdf_text(html_to_pdf(page))
    finally:
        server.shutdown()
        server.server_close()
    assert requests == []
    assert "LEAKEDFROMNETWORK" not in text
    assert "Visible body text" in text


def test_the_reports_stylesheet_is_applied_through_the_fetcher():
    page = _page("/static/reports/report.css").replace(
        "<p>Visible body text</p>",
        '<section class="report-cover"><p>Cover</p></section><p>Second page</p>',
    )
    pdf = PdfReader(io.BytesIO(html_to_pdf(page)))
    # .report-cover breaks the page after it: only the stylesheet can make two pages.
    assert len(pdf.pages) == 2
