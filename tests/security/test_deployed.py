"""The service as deployed: Debian's nginx (deploy/nginx/portcullis.conf) on loopback in
front of gunicorn in production mode, with Redis as the shared cache.

Covers, from SECURITY_TESTS.md: "One-time codes and rate limits hold across workers",
"Behind a TLS proxy, the client address comes only from a configured number of trusted
proxies", 15 (brute force) and 16 (rate limits, forged X-Forwarded-For) through the proxy,
and 20 (headers and cookies as deployed).

Clients connect from different loopback addresses (127.0.0.x all reach the loopback
interface on Linux), so nginx sees each as a distinct client, as it would on the internet.
The servers are started once for the module: two gunicorn processes (A, behind nginx, with
two workers; B on its own) share one SQLite file and one private Redis.
"""

from __future__ import annotations

import datetime
import http.client
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from allauth.mfa import app_settings as mfa_settings

from tests.factories import TEST_PASSWORD
from tests.security.flows import totp_code
from tests.security.test_headers import BASE_DIR, production_env

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
HOST = "portcullis.example.org"
SITE_CONF = BASE_DIR / "deploy" / "nginx" / "portcullis.conf"

# Not a django_db module: the servers use their own database; the test process only reads it.
pytestmark = [
    pytest.mark.xdist_group("deployed"),
    pytest.mark.skipif(
        not (os.access(NGINX, os.X_OK) and os.access(REDIS, os.X_OK)),
        reason="needs nginx and redis-server: `make proxy` installs them",
    ),
]


def _free_port() -> int:
    """A free loopback port: from PORTCULLIS_TEST_PORTS ("18100-18199") when set, so that
    people sharing a machine can keep to their own range, else one the kernel picks."""
    low, _, high = os.environ.get("PORTCULLIS_TEST_PORTS", "").partition("-")
    candidates = list(range(int(low), int(high) + 1)) if low and high else [0]
    random.shuffle(candidates)  # two runs sharing the range rarely try the same port
    for port in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            if port in _TAKEN:
                continue
            _TAKEN.add(sock.getsockname()[1])
            return sock.getsockname()[1]
    raise RuntimeError(f"no free port in PORTCULLIS_TEST_PORTS={low}-{high}")


_TAKEN: set[int] = set()


def _wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"exited early:\n{log.read_text()[-3000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"not listening on {port}:\n{log.read_text()[-3000:]}")


def _listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", _free_port()))
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def _wait_until_ready(port: int, process, deployment, timeout: float = 180) -> None:
    """Until gunicorn answers /healthz (the socket accepts before the app is loaded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited early:\n{deployment.logs()}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", "/healthz", headers={"Host": HOST})
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn not ready on {port}:\n{deployment.logs()}")


def _self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _site_conf(*, upstream: int, http_port: int, https_port: int, cert: Path, key: Path) -> str:
    """The shipped site file with only its EDIT lines changed, each change checked."""
    text = SITE_CONF.read_text()
    replacements = [
        (r"server 127\.0\.0\.1:8000;", f"server 127.0.0.1:{upstream};"),
        (r"listen 80;", f"listen 127.0.0.1:{http_port};"),
        (r"listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        (r"ssl_certificate /\S+;", f"ssl_certificate {cert};"),
        (r"ssl_certificate_key /\S+;", f"ssl_certificate_key {key};"),
    ]
    for pattern, value in replacements:
        text, count = re.subn(pattern, value, text)
        assert count == 1, f"deploy/nginx/portcullis.conf no longer has {pattern!r}"
    return text


@dataclass
class Deployment:
    folder: Path
    https_port: int
    http_port: int
    direct_port: int  # gunicorn B, without the proxy
    database: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def logs(self) -> str:
        """The end of each server's log, for a failure message."""
        parts = []
        for name in ("gunicorn-a.log", "gunicorn-b.log", "nginx-error.log"):
            path = self.folder / name
            if path.exists():
                parts.append(f"--- {name}\n{path.read_text()[-2000:]}")
        return "\n".join(parts)

    def query(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.database) as connection:
            return connection.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("deployed")
    # gunicorn gets sockets this process has bound (`--bind fd://`): no other process can
    # take their ports while the app loads. Redis and nginx bind theirs within milliseconds.
    app_a_socket, app_b_socket = _listening_socket(), _listening_socket()
    app_a, app_b = app_a_socket.getsockname()[1], app_b_socket.getsockname()[1]
    redis_port = _free_port()
    database = folder / "db.sqlite3"
    env = production_env(
        DATABASE_URL=f"sqlite:///{database}",
        CACHE_URL=f"redis://127.0.0.1:{redis_port}/0",
        CELERY_BROKER_URL=f"redis://127.0.0.1:{redis_port}/1",
        # A real mail server is required; nothing here sends mail.
        EMAIL_URL="smtp://127.0.0.1:9/",
        BEHIND_TLS_PROXY="true",
        TRUSTED_PROXY_COUNT="1",
        ALLOWED_HOSTS=HOST,
        SITE_URL=f"https://{HOST}",
        STATIC_ROOT=str(folder / "static"),
        PRIVATE_STORAGE_ROOT=str(folder / "private"),
        MFA_ENCRYPTION_KEY_FILE=str(folder / "unused.key"),
    )
    deployment = Deployment(folder, 0, 0, app_b, database)

    def start(name: str, command: list[str], port: int, **kwargs) -> None:
        log = folder / f"{name}.log"
        process = subprocess.Popen(
            command, stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=BASE_DIR, **kwargs
        )
        deployment.processes.append(process)
        _wait_for_port(port, process, log)

    def manage(*args: str, code: str = "") -> None:
        command = [sys.executable, "manage.py", *args] + (["-c", code] if code else [])
        result = subprocess.run(
            command, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stdout + result.stderr

    try:
        start(
            "redis",
            [REDIS, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(folder)],
            redis_port,
        )
        manage("shell", code=PREPARE)
        # --preload: the app is loaded before the port opens, so "listening" means ready
        # (a worker still importing Django on a loaded machine answered nginx with a 502).
        # No control socket: its default path is shared by every gunicorn on the machine.
        gunicorn = [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--preload",
            "--timeout",
            "90",
            "--no-control-socket",
        ]
        for name, workers, sock in (
            ("gunicorn-a", "2", app_a_socket),
            ("gunicorn-b", "1", app_b_socket),
        ):
            log = folder / f"{name}.log"
            process = subprocess.Popen(
                [*gunicorn, "--workers", workers, "--bind", f"fd://{sock.fileno()}"],
                stdout=log.open("w"),
                stderr=subprocess.STDOUT,
                cwd=BASE_DIR,
                env=env,
                pass_fds=[sock.fileno()],
            )
            deployment.processes.append(process)
        for sock, process in zip(
            (app_a_socket, app_b_socket), deployment.processes[-2:], strict=True
        ):
            _wait_until_ready(sock.getsockname()[1], process, deployment)
            sock.close()  # gunicorn holds its own copy

        https_port, http_port = _free_port(), _free_port()
        deployment.https_port, deployment.http_port = https_port, http_port

        cert, key = _self_signed_certificate(folder)
        (folder / "site.conf").write_text(
            _site_conf(
                upstream=app_a, http_port=http_port, https_port=https_port, cert=cert, key=key
            )
        )
        for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (folder / temp).mkdir()
        (folder / "nginx.conf").write_text(
            ("user root;\n" if os.geteuid() == 0 else "")
            + f"worker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/nginx-error.log;\n"
            "events { worker_connections 64; }\n"
            "http {\n"
            f"  access_log {folder}/nginx-access.log;\n"
            + "".join(
                f"  {temp}_temp_path {folder}/{temp};\n"
                for temp in ("proxy", "fastcgi", "uwsgi", "scgi")
            )
            + f"  client_body_temp_path {folder}/body;\n"
            f"  include {folder}/site.conf;\n"
            "}\n"
        )
        start(
            "nginx",
            [NGINX, "-e", str(folder / "nginx-error.log"), "-p", str(folder)]
            + ["-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
            https_port,
        )
        yield deployment
    finally:
        for process in reversed(deployment.processes):
            process.send_signal(signal.SIGINT)  # quick shutdown for gunicorn, nginx and redis
        for process in deployment.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


# One process for the deployment's set-up steps (each Django start costs seconds).
PREPARE = """
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.core.management import call_command

call_command("migrate", interactive=False, verbosity=0)
# The production storage's manifest without its compressed copies (.gz/.br, which only
# whitenoise reads and which take most of a minute to make): pages and assets are the same.
settings.STORAGES = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}
call_command("collectstatic", interactive=False, verbosity=0)

from apps.accounts.models import Audience, Membership
from tests.factories import TEST_PASSWORD, MembershipFactory, OrganisationFactory, UserFactory

class Quick(PBKDF2PasswordHasher):
    # Stored as ordinary pbkdf2_sha256 with few rounds: production's hasher verifies it
    # (and upgrades it at the first right password), and wrong guesses cost milliseconds.
    iterations = 1000

org = OrganisationFactory(name="Office of Alice (A)")
for email in ("alice@example.org", "carol@example.org", "erin@example.org"):
    user = UserFactory(email=email)
    user.password = make_password(TEST_PASSWORD, hasher=Quick())
    user.save(update_fields=["password"])
    MembershipFactory(user=user, organisation=org,
                      role=Membership.Role.MEMBER, audience=Audience.PARLIAMENTARIAN)
"""


# --- A browser on a loopback address ------------------------------------------------------


class Browser:
    """A minimal cookie-keeping HTTPS client that connects from `address`."""

    def __init__(self, deployment: Deployment, address: str, *, direct: bool = False):
        self.deployment = deployment
        self.address = address
        self.direct = direct  # straight to gunicorn B, as nginx would talk to it
        self.cookies: dict[str, str] = {}
        self.token = ""

    def _connection(self, *, https: bool = True) -> http.client.HTTPConnection:
        source = (self.address, 0)
        if self.direct:
            return http.client.HTTPConnection(
                "127.0.0.1", self.deployment.direct_port, timeout=30, source_address=source
            )
        if not https:
            return http.client.HTTPConnection(
                "127.0.0.1", self.deployment.http_port, timeout=30, source_address=source
            )
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return http.client.HTTPSConnection(
            "127.0.0.1",
            self.deployment.https_port,
            timeout=30,
            source_address=source,
            context=context,
        )

    def request(
        self, method: str, path: str, data: dict | None = None, *, https=True, headers=None
    ):
        connection = self._connection(https=https)
        sent = {"Host": HOST, **(headers or {})}
        if self.direct:
            # What nginx adds: the app behind it trusts exactly this.
            sent.update({"X-Forwarded-For": self.address, "X-Forwarded-Proto": "https"})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            body = urlencode(data)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Referer"] = f"https://{HOST}{path}"
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        response.text = response.read().decode("utf-8", "replace")
        if response.status in (502, 504):
            raise AssertionError(f"{method} {path}: {response.status}\n{self.deployment.logs()}")
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
        if found:
            self.token = found.group(1)
        for header in response.msg.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        connection.close()
        return response

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post_form(self, path: str, data: dict, *, reuse_token: bool = False, **kwargs):
        """GET the page for its CSRF token (or reuse the last one), then POST the form."""
        if not (reuse_token and self.token):
            page = self.get(path)
            assert self.token, page.text[:500]
        return self.request("POST", path, {"csrfmiddlewaretoken": self.token, **data}, **kwargs)

    def sign_in_password(self, email: str, password: str = TEST_PASSWORD, **kwargs):
        return self.post_form("/accounts/login/", {"login": email, "password": password}, **kwargs)


# --- 20: HTTPS headers as deployed --------------------------------------------------------


def test_deployed_https_pages_carry_hsts_csp_permissions_policy_and_host_only_secure_cookies(
    deployed,
):
    browser = Browser(deployed, "127.0.0.10")
    page = browser.get("/accounts/login/")

    assert page.status == 200
    assert re.fullmatch(
        r"max-age=(\d+); includeSubDomains; preload", page.headers["Strict-Transport-Security"]
    )
    assert int(page.headers["Strict-Transport-Security"].split(";")[0].split("=")[1]) >= 31536000
    csp = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    assert "publickey-credentials-get=(self)" in page.headers["Permissions-Policy"]
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["Server"] == "nginx"  # no version
    assert re.fullmatch(r"[0-9a-f]{32}", page.headers["X-Request-ID"])  # nginx's $request_id
    cookie = page.msg.get_all("Set-Cookie")[0]
    assert (
        cookie.startswith("__Host-csrftoken=") and "Secure" in cookie and "SameSite=Lax" in cookie
    )
    assert (
        "/static/" in page.text
        and browser.get(re.search(r'href="(/static/[^"]+\.css)"', page.text).group(1)).status == 200
    )


def test_deployed_plain_http_is_sent_to_https(deployed):
    response = Browser(deployed, "127.0.0.10").get("/accounts/login/?next=/", https=False)

    assert response.status == 301
    assert response.headers["Location"] == f"https://{HOST}/accounts/login/?next=/"


# --- One-time codes hold across processes sharing the cache ---------------------------------


def test_deployed_totp_code_replayed_through_a_second_process_is_refused(deployed):
    period = mfa_settings.TOTP_PERIOD
    for attempt in range(3):
        first = Browser(deployed, f"127.0.0.{11 + 2 * attempt}")  # nginx, then gunicorn A
        second = Browser(deployed, f"127.0.0.{12 + 2 * attempt}", direct=True)  # gunicorn B
        for browser in (first, second):
            step = browser.sign_in_password("alice@example.org")
            assert step.headers["Location"] == "/accounts/2fa/authenticate/"
            browser.get("/accounts/2fa/authenticate/")  # its CSRF token, ready to post
        # Both uses must fall in one TOTP period, so that the second is refused as a
        # replay and not as a stale code: start them early in a period.
        if time.time() % period > period - 10:
            time.sleep(period - time.time() % period + 0.2)
        counter, code = int(time.time()) // period, totp_code()
        signed_in = first.post_form("/accounts/2fa/authenticate/", {"code": code}, reuse_token=True)
        replayed = second.post_form("/accounts/2fa/authenticate/", {"code": code}, reuse_token=True)
        if int(time.time()) // period == counter:
            break
    else:
        pytest.fail("the machine is too slow to use one code twice within its 30 seconds")

    assert signed_in.status == 302 and signed_in.headers["Location"] == "/"
    assert first.get("/").status == 200
    assert replayed.status == 200
    assert "Incorrect code" in replayed.text
    assert second.get("/").status == 302  # still not signed in


# --- Client addresses: axes, allauth's limits and audit rows see the client -----------------


def test_deployed_lockout_is_per_client_address_not_the_proxys(deployed):
    attacker = Browser(deployed, "127.0.0.21")
    statuses = [attacker.sign_in_password("carol@example.org", "wrong").status for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    assert attacker.sign_in_password("carol@example.org").status == 429

    # Through the same proxy, the person at another address is not locked out.
    person = Browser(deployed, "127.0.0.22")
    assert (
        person.sign_in_password("carol@example.org").headers["Location"]
        == "/accounts/2fa/authenticate/"
    )

    attempts = deployed.query(
        "SELECT ip_address, failures_since_start FROM axes_accessattempt WHERE username = ?",
        "carol@example.org",
    )
    assert [address for address, _ in attempts] == ["127.0.0.21"]
    assert attempts[0][1] >= 5
    addresses = deployed.query(
        "SELECT DISTINCT ip_address FROM audit_auditevent WHERE action = 'login.failed'"
        " AND detail LIKE '%carol@example.org%'"
    )
    assert addresses == [("127.0.0.21",)]


def test_deployed_forged_x_forwarded_for_from_the_client_is_ignored(deployed):
    attacker = Browser(deployed, "127.0.0.23")
    for _ in range(5):
        attacker.sign_in_password(
            "erin@example.org", "wrong", headers={"X-Forwarded-For": "198.51.100.7"}
        )

    forged = attacker.sign_in_password(
        "erin@example.org", headers={"X-Forwarded-For": "198.51.100.8", "X-Request-ID": "mine"}
    )

    assert forged.status == 429
    assert forged.headers["X-Request-ID"] != "mine"
    rows = deployed.query(
        "SELECT DISTINCT ip_address FROM audit_auditevent WHERE detail LIKE '%erin@example.org%'"
    )
    assert rows == [("127.0.0.23",)]


def test_deployed_rate_limit_on_many_usernames_keys_on_the_client_address(deployed):
    guesser = Browser(deployed, "127.0.0.31")
    # Every sign-in POST counts (ACCOUNT_RATE_LIMITS["login"] = "30/m/ip"); a blank password
    # keeps the test from spending 30 password hashes to show it.
    statuses = [
        guesser.sign_in_password(f"guess{n}@example.org", "", reuse_token=True).status
        for n in range(30)
    ]
    assert statuses == [200] * 30
    assert guesser.sign_in_password("guess30@example.org", "password123").status == 429
    forged = guesser.sign_in_password(
        "guess99@example.org", "password123", headers={"X-Forwarded-For": "198.51.100.9"}
    )
    assert forged.status == 429

    # Another client through the same proxy is not limited.
    other = Browser(deployed, "127.0.0.32")
    assert other.sign_in_password("guess0@example.org", "password123").status == 200
