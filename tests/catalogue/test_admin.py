"""The catalogue admin is for looking only: packs change through load_catalogue."""

from __future__ import annotations

import pytest

from apps.catalogue.models import Control, Pack
from apps.catalogue.services import pack_load_data
from tests.catalogue.packs import minimal_pack_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def test_pack(db):
    return pack_load_data(minimal_pack_data()).pack


@pytest.mark.parametrize("model", ["pack", "section", "control", "scenario"])
def test_staff_can_list_and_search_catalogue_rows(client_for, staff, test_pack, model):
    response = client_for(staff).get(f"/admin/catalogue/{model}/", {"q": "test"})

    assert response.status_code == 200


def test_staff_can_search_controls_by_question(client_for, staff, test_pack):
    response = client_for(staff).get("/admin/catalogue/control/", {"q": "password manager"})

    html = response.content.decode()
    assert "T-ACC-03" in html
    assert "T-ACC-01" not in html


def test_staff_can_view_a_control_but_not_change_add_or_delete(client_for, staff, test_pack):
    client = client_for(staff)
    control = Control.objects.get(key="T-ACC-01")
    url = f"/admin/catalogue/control/{control.pk}/change/"

    view = client.get(url)
    post = client.post(url, {"title": "Changed in the admin"})

    assert view.status_code == 200
    assert 'name="_save"' not in view.content.decode()
    assert post.status_code == 403
    assert client.get("/admin/catalogue/control/add/").status_code == 403
    assert client.post(f"/admin/catalogue/control/{control.pk}/delete/").status_code == 403
    assert client.get("/admin/catalogue/pack/add/").status_code == 403
    control.refresh_from_db()
    assert control.title == "Turn on 2-step verification on personal email"
    assert Pack.objects.count() == 1
