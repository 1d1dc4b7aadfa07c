"""Personas shared by the whole suite (see CONVENTIONS.md).

alice: MP, org A          bob: org admin, org A     carol: staff member, org A
charlie: MP, org B        dave: org admin, org B    staff: platform staff
Every persona has a verified email and a TOTP authenticator unless a test says otherwise.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache

from apps.accounts.models import Audience, Membership, Organisation
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

# The report fixtures (a submitted assessment, a real Celery worker) serve the report,
# security and browser tests alike.
pytest_plugins = ["tests.reports.fixtures", "tests.api.fixtures"]


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate-limit counters and TOTP replay markers must not leak between tests.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    """Report files go to a fresh private folder per test (the same storage class)."""
    root = (tmp_path / "private").resolve()
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "apps.core.storage.EncryptedFileSystemStorage",
            "OPTIONS": {"location": str(root), "base_url": None},
        },
    }
    return root


@pytest.fixture(autouse=True)
def _eager_unless_a_worker_is_started(request):
    """Tasks run in-process (after commit) unless the test starts a real worker.

    Whatever the environment says: a test that submits (an e2e test, say) must not leave
    messages behind in a shared Redis for nobody to take.
    """
    if "report_worker" in request.fixturenames or request.node.get_closest_marker("worker"):
        yield
        return
    from tests.reports.support import celery_configured

    with celery_configured(task_always_eager=True):
        yield


@pytest.fixture
def org_a(db):
    return OrganisationFactory(
        name="Office of Alice (A)", kind=Organisation.Kind.PARLIAMENTARY_OFFICE
    )


@pytest.fixture
def org_b(db):
    return OrganisationFactory(
        name="Borough Electoral Services (B)", kind=Organisation.Kind.LOCAL_AUTHORITY_ELECTORAL
    )


def _member(org, email, name, role=Membership.Role.MEMBER, audience=Audience.PARLIAMENTARIAN):
    user = UserFactory(email=email, full_name=name)
    MembershipFactory(user=user, organisation=org, role=role, audience=audience)
    return user


@pytest.fixture
def alice(org_a):
    return _member(org_a, "alice@example.org", "Alice Member MP")


@pytest.fixture
def bob(org_a):
    return _member(
        org_a,
        "bob@example.org",
        "Bob Admin",
        role=Membership.Role.ORG_ADMIN,
        audience=Audience.STAFF,
    )


@pytest.fixture
def carol(org_a):
    return _member(org_a, "carol@example.org", "Carol Caseworker", audience=Audience.STAFF)


@pytest.fixture
def charlie(org_b):
    return _member(org_b, "charlie@example.org", "Charlie Member MP")


@pytest.fixture
def dave(org_b):
    return _member(
        org_b,
        "dave@example.org",
        "Dave Admin",
        role=Membership.Role.ORG_ADMIN,
        audience=Audience.ELECTION_OFFICIAL,
    )


@pytest.fixture
def staff(db):
    return UserFactory(
        email="staff@portcullis.example",
        full_name="Platform Staff",
        is_staff=True,
        is_superuser=True,
    )


@pytest.fixture
def client_for(client):
    """`client_for(user)`: a test client signed in as `user` (MFA step treated as done)."""

    def _login(user):
        client.force_login(user)
        return client

    return _login
