"""The admin in a real browser: Debian's chromium driven by Playwright, screenshots kept.

Playwright cannot download a browser of its own here, so these tests launch Debian's
``chromium`` by path; ``make test`` installs it when it is missing and runs as root
(deploy/local/services.sh). Each journey gets a new browser with an empty profile, logs in
to the real web server (``web_server``, with its static files) and leaves its pages under
``var/test-artifacts/admin/<test>/``: the steps it names, its last page, and the page it
was on when it failed.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Page, Response, expect, sync_playwright

from tests.support.processes import BIN, PYTHON, REPO, ServerProcess, free_port

CHROMIUM = Path("/usr/bin/chromium")
# Headless as root, and quiet: this machine's closed network refuses Chromium's own
# background connections (updates, sync, safe browsing), many at a time, at every start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO / "var" / "test-artifacts" / "admin"
# The narrowest screen operations work on (issue 14: "the lists read well at 1366 px").
VIEWPORT = {"width": 1366, "height": 900}

CALL_REPORT = pytest.StashKey()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[CALL_REPORT] = report
    return report


@pytest.fixture(scope="session")
def admin_env(platform_env, tmp_path_factory) -> dict:
    """The web server's environment, with the static files collected once for the session."""
    env = {**platform_env, "SYNC_VAR_DIR": str(tmp_path_factory.mktemp("admin-var"))}
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=REPO, env=env, check=True
    )
    return env


@pytest.fixture
def web_server(admin_env, logs_dir):
    """The real web server as deployed, started for each journey.

    Overrides ../conftest.py's server for these tests only: WhiteNoise serves what
    ``collectstatic`` put in STATIC_ROOT (SYNC_VAR_DIR/static) when it started, and
    without it the admin's pages have no CSS or scripts. The database is the same.
    One server per journey, not per session: a transactional test's flush makes the
    content types again under new ids, and a server that cached the old ones (the
    admin's log of an added mapping names one) would answer 500.
    """
    env = admin_env
    port = free_port()
    server = ServerProcess(
        "web-admin",
        [
            str(BIN / "gunicorn"),
            "syncplatform.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "8",
        ],
        env=env,
        log_dir=logs_dir,
    )
    base_url = f"http://127.0.0.1:{port}"
    server.wait_http(f"{base_url}/healthz")
    yield base_url
    server.stop()


class AdminBrowser:
    """One journey's tab on the real admin: open pages, log in, keep screenshots of steps."""

    def __init__(self, page: Page, base_url: str, artifacts: Path):
        self.page = page
        self.base_url = base_url
        self.artifacts = artifacts
        self.shots = 0

    def open(self, path: str) -> Response:
        return self.page.goto(f"{self.base_url}{path}")

    def log_in(self, username: str, password: str) -> None:
        self.open("/admin/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        self.page.get_by_role("button", name="Log in").click()
        expect(self.page.locator("#user-tools")).to_contain_text(username)

    def shot(self, step: str) -> Path:
        self.shots += 1
        path = self.artifacts / f"{self.shots:02d}-{step}.png"
        self.page.screenshot(path=path, full_page=True)
        return path

    def messages(self) -> list[str]:
        return self.page.locator("ul.messagelist li").all_inner_texts()


@pytest.fixture
def admin_browser(request, monkeypatch, web_server, tmp_path):
    """A new Chromium (empty profile) on the real admin; screenshots in var/test-artifacts."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"the admin browser tests need Debian's chromium at {CHROMIUM}: "
            "`make test` installs it when run as root (apt-get install chromium)"
        )
    artifacts = ARTIFACTS / request.node.name
    shutil.rmtree(artifacts, ignore_errors=True)
    artifacts.mkdir(parents=True)
    # While Playwright's sync API runs, its asyncio loop counts as running in this thread:
    # Django would take the test's own queries for async code and refuse them, and keeps
    # the connections they open apart from the thread's (closed below, before it stops).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    driver = sync_playwright().start()
    context = driver.chromium.launch_persistent_context(
        tmp_path / "chromium-profile",
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        viewport=VIEWPORT,
    )
    # A page on a machine shared with other builds can take seconds to answer.
    context.set_default_timeout(20_000)
    expect.set_options(timeout=20_000)
    browser = AdminBrowser(context.pages[0], web_server, artifacts)
    yield browser
    report = request.node.stash.get(CALL_REPORT, None)
    try:
        browser.shot("failed" if report is None or report.failed else "last")
    finally:
        context.close()
        connections.close_all()
        driver.stop()


@pytest.fixture
def staff_user(transactional_db):
    """``staff_user(name, group)``: a staff user in one of the roles, with a real password.

    The role's group is made again as migrate made it when a transactional test's flush
    has emptied the table. The password is ``<name>-password-1``.
    """
    from django.contrib.auth.models import User

    from tests.support.roles import role

    def make(name: str, group: str) -> User:
        user = User.objects.create_user(name, password=f"{name}-password-1", is_staff=True)
        user.groups.add(role(group))
        return user

    return make
