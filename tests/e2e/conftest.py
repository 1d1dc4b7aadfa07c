"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Playwright never downloads a browser here: /usr/bin/chromium must exist (`make browser`),
and these tests fail, loudly, when it does not.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
AXE_PATH = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="module")
def browser(django_db_setup):
    """Chromium for one test module. Module-scoped, and started after the test database
    exists, because Playwright's sync API keeps an event loop running in this thread while
    it is open: Django's ORM refuses to run beside it unless DJANGO_ALLOW_ASYNC_UNSAFE is
    set, and that relaxation must not outlive these tests."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"The browser tests need Debian's Chromium at {CHROMIUM}: run `make browser` "
            "(apt-get install chromium). Playwright must not download its own browser.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def signed_in(browser, live_server, client):
    """`signed_in(user, javascript=True, width=1024, bypass_csp=False)` -> a Playwright page
    whose browser carries `user`'s session (the Django test client's login, copied over)."""
    contexts = []

    def _open(user, *, javascript=True, width=1024, bypass_csp=False):
        client.force_login(user)
        from django.conf import settings

        session_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
        context = browser.new_context(
            java_script_enabled=javascript,
            viewport={"width": width, "height": 900},
            bypass_csp=bypass_csp,
        )
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": session_cookie,
                    "url": live_server.url,
                }
            ]
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.javascript = javascript
        page.csp_errors = []
        page.on(
            "console",
            lambda message: (
                page.csp_errors.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        return page

    yield _open
    for context in contexts:
        context.close()


def axe_violations(page) -> list[dict]:
    """Serious and critical WCAG 2.2 A/AA violations on the page, per axe-core.

    axe needs JavaScript. For a page opened with JavaScript off (`signed_in(...,
    javascript=False)` marks it), the very HTML that page shows, its scripts taken out, is
    checked in a second context that runs axe at the same address (so styles still load)."""
    if getattr(page, "javascript", True):
        return _axe_run(page)
    html = re.sub(r"<script\b[^>]*>.*?</script>", "", page.content(), flags=re.S | re.I)
    address = page.url.split("#")[0]
    context = page.context.browser.new_context(
        bypass_csp=True, viewport=page.viewport_size or {"width": 1024, "height": 900}
    )
    try:
        context.add_cookies(page.context.cookies())
        checker = context.new_page()
        checker.set_default_timeout(15_000)
        checker.route(
            lambda url: url.split("#")[0] == address,
            lambda route: route.fulfill(
                status=200, content_type="text/html; charset=utf-8", body=html
            ),
        )
        checker.goto(address)
        return _axe_run(checker)
    finally:
        context.close()


def _axe_run(page) -> list[dict]:
    page.add_script_tag(path=str(AXE_PATH))
    violations = page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
            }));
        }""",
        WCAG_TAGS,
    )
    return [v for v in violations if v["impact"] in ("serious", "critical")]


@pytest.fixture(autouse=True)
def _in_process_work_after_the_response(settings):
    """As in `make run`: in-process work (the report) runs on its own thread after the
    response, so a page never waits for it (the person's browser does not either)."""
    settings.AFTER_RESPONSE_THREAD = True
