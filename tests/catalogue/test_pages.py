"""The catalogue pages: what a signed-in reader sees."""

from __future__ import annotations

import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.catalogue.services import pack_load_data
from tests.catalogue.packs import minimal_pack_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def test_pack(db):
    return pack_load_data(minimal_pack_data()).pack


def test_anonymous_visitors_are_sent_to_sign_in(client, test_pack):
    for url in ("/catalogue/", "/catalogue/test-pack/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_the_index_lists_the_latest_version_of_each_pack(client_for, alice, test_pack):
    newer = minimal_pack_data(version="2026.2")
    newer["title"] = "Test pack, second edition"
    newer["sections"][1]["controls"].pop()  # drop T-GOV-01
    pack_load_data(newer)

    response = client_for(alice).get("/catalogue/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Test pack, second edition" in html
    assert "Version 2026.2" in html
    assert "Test pack for people in public life" not in html
    row = re.search(r"second edition.*?</tr>", html, re.S).group(0)
    assert "Members of Parliament, Staff" in row
    cells = re.findall(r'govuk-table__cell--numeric">(\d+)<', row)
    assert cells == ["2", "5", "1"]  # sections, controls, scenarios


def test_the_index_says_when_nothing_is_loaded(client_for, alice):
    response = client_for(alice).get("/catalogue/")

    assert "No guidance has been loaded yet" in response.content.decode()


def test_the_pack_page_shows_sources_controls_and_their_guidance(client_for, alice, test_pack):
    response = client_for(alice).get("/catalogue/test-pack/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<a class="govuk-link" href="https://www.ncsc.gov.uk/cyberaware"' in html
    assert 'id="control-T-ACC-01"' in html
    assert "Turn on 2-step verification on personal email" in html
    assert "Is 2-step verification on for every personal email account?" in html
    assert "A stolen password alone is then not enough to get in." in html
    assert "Turn on 2-step verification with an authenticator app." in html
    assert "T1078, T1110.003" in html
    assert html.count('govuk-tag--red">Critical<') == 1
    # References are shown as the source's title, not its id.
    section = html[html.index('id="control-T-DEV-02"') :]
    section = section[: section.index("</section>")]
    assert "Cyber security guidance for high-risk individuals" in section
    assert "Asked only when the answer to T-DEV-01 is “yes” or “partly”" in section
    assert "High" in section


def test_the_pack_page_draws_each_attack_tree_as_labelled_nested_lists(
    client_for, alice, test_pack
):
    html = client_for(alice).get("/catalogue/test-pack/").content.decode()

    tree = html[html.index('id="scenario-account-takeover"') :]
    assert re.search(r"AND</strong>\s*Take over the account\s*<span[^>]*>– all of these", tree)
    assert re.search(r"OR</strong>\s*Get the password\s*<span[^>]*>– any one of these", tree)
    # The OR is nested inside the AND, and its leaves inside the OR.
    and_at = tree.index("Take over the account")
    or_at = tree.index("Get the password")
    leaf_at = tree.index("Phish the password on a look-alike page")
    assert and_at < or_at < leaf_at
    assert tree[and_at:leaf_at].count('<ul class="portcullis-tree">') == 2
    assert "Likelihood against an unprotected target: 50%" in tree
    assert re.search(r'href="#control-T-ACC-01">T-ACC-01 Turn on 2-step', tree)
    assert "primary, 90% effective (2SV stops a password alone.)" in tree
    assert "supporting, 30% effective" in tree
    assert "Evidence: documented" in tree and "Evidence: inferred" in tree
    assert "Moderate from 20%" in tree


def test_pages_carry_no_inline_script_or_style(client_for, alice, test_pack):
    client = client_for(alice)
    for url in ("/catalogue/", "/catalogue/test-pack/"):
        html = client.get(url).content.decode()
        assert "style=" not in html
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def test_an_older_version_is_shown_with_a_pointer_to_the_latest(client_for, alice, test_pack):
    newer = minimal_pack_data(version="2026.2")
    newer["sections"][0]["controls"][0]["title"] = "Use 2-step verification everywhere"
    pack_load_data(newer)
    client = client_for(alice)

    latest = client.get("/catalogue/test-pack/").content.decode()
    older = client.get("/catalogue/test-pack/?version=2026.1").content.decode()

    assert "Use 2-step verification everywhere" in latest
    assert "This is an older version" not in latest
    assert "Turn on 2-step verification on personal email" in older
    assert "This is an older version" in older
    assert "See the latest version (2026.2)" in older


@pytest.mark.parametrize("url", ["/catalogue/no-such-pack/", "/catalogue/test-pack/?version=9.9"])
def test_unknown_packs_and_versions_are_not_found(client_for, alice, test_pack, url):
    assert client_for(alice).get(url).status_code == 404


def big_pack(controls_per_section: int) -> dict:
    """The minimal pack with many more controls, each a supporting mitigation of R3."""
    data = minimal_pack_data(pack_id="big-pack")
    leaf = data["scenarios"][0]["tree"]["children"][2]
    for section_index, section in enumerate(data["sections"]):
        template = section["controls"][0]
        for n in range(controls_per_section):
            key = f"X-{'AB'[section_index]}XX-{n:02d}"
            section["controls"].append({**template, "id": key, "title": f"Extra {key}"})
            leaf["mitigations"].append({"control": key, "role": "supporting"})
    return data


def test_the_pack_page_query_count_does_not_grow_with_the_pack(client_for, alice, test_pack):
    pack_load_data(big_pack(40))
    client = client_for(alice)
    client.get("/catalogue/test-pack/")  # settle the session writes

    with CaptureQueriesContext(connection) as small:
        assert client.get("/catalogue/test-pack/").status_code == 200
    with CaptureQueriesContext(connection) as big:
        response = client.get("/catalogue/big-pack/")

    assert response.status_code == 200
    assert response.content.decode().count('class="portcullis-control"') == 86
    assert len(big) == len(small)


def test_the_catalogue_page_shows_the_2026_2_trees_with_plain_steps(client_for, alice):
    from django.core.management import call_command

    call_command("load_catalogue", stdout=io.StringIO())
    client = client_for(alice)

    individuals = client.get("/catalogue/high-risk-individuals/").content.decode()
    election = client.get("/catalogue/election-bodies/").content.decode()

    assert "2026.2" in individuals and "2026.2" in election
    assert "Reconnaissance achieved" in individuals
    assert "Route 5: through a staff account" in individuals
    assert "Blocking it helps stop the tracking picture reporting where you are." in individuals
    assert "documented for another operation of the same actor" in individuals
    assert "Ransomware stops an election being run on time" in election
    assert "Another route: through the IT supplier" in election
