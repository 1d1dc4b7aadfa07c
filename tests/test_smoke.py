def test_healthz_answers_ok_without_a_session(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_home_requires_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_signed_in_member_sees_their_organisation(client_for, alice):
    response = client_for(alice).get("/")
    assert response.status_code == 200
    assert "Office of Alice (A)" in response.content.decode()
