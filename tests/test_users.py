"""The owner manages the shop's staff: add with a set-password link, re-role, deactivate."""
import re

from models import User
from tests.conftest import login, text_of


def test_owner_adds_a_user_who_gets_a_one_time_link(as_owner, client, app, fetch):
    response = as_owner.post("/users/new", data={"name": "Lucía Fernández", "email": "Lucia@Shop.example",
                                                 "role": "seller", "language": "es", "active": "y"})
    assert response.status_code == 303
    page = as_owner.get(response.location)
    link = re.search(r'value="(http://localhost/set-password/[^"]+)"', page.get_data(as_text=True)).group(1)
    assert "Send this link to Lucía Fernández" in text_of(page)
    user = fetch(User, int(response.location.split("/")[2].split("?")[0]))
    assert user.email == "lucia@shop.example" and not user.has_password

    newcomer = app.test_client()
    path = link.replace("http://localhost", "")
    done = newcomer.post(path, data={"password": "mi contraseña segura", "confirm": "mi contraseña segura"})
    assert done.status_code == 303
    assert newcomer.get("/customers/").status_code == 200
    assert newcomer.get(path).status_code == 410  # used once, never again


def test_duplicate_email_is_refused_case_insensitively(as_owner, seller):
    response = as_owner.post("/users/new", data={"name": "Dup", "email": seller.email.upper(), "role": "seller",
                                                 "active": "y"})
    assert response.status_code == 422
    assert "Another user already has this email." in text_of(response)
    assert 'value="Dup"' in response.get_data(as_text=True)


def test_owner_changes_role_and_deactivates(as_owner, client, app, seller, fetch):
    seller_client = app.test_client()
    login(seller_client, seller)
    response = as_owner.post(f"/users/{seller.id}", data={"name": seller.name, "email": seller.email,
                                                          "role": "support", "version": "1"})
    assert response.status_code == 303
    user = fetch(User, seller.id)
    assert user.role == "support" and not user.active
    # The deactivated user's open session ends at once.
    assert seller_client.get("/customers/").status_code == 302
    assert "Deactivated" in text_of(as_owner.get("/users/"))


def test_the_last_owner_cannot_step_down(as_owner, owner, fetch):
    response = as_owner.post(f"/users/{owner.id}", data={"name": owner.name, "email": owner.email,
                                                         "role": "seller", "active": "y", "version": "1"})
    assert response.status_code == 422
    assert "at least one active owner" in text_of(response)
    assert fetch(User, owner.id).role == "owner"


def test_user_edit_conflict_is_refused(as_owner, seller, fetch):
    response = as_owner.post(f"/users/{seller.id}", data={"name": "Renamed", "email": seller.email,
                                                          "role": "seller", "active": "y", "version": "0"})
    assert response.status_code == 409
    assert "Someone else changed this user" in text_of(response)
    assert fetch(User, seller.id).name == seller.name


def test_new_link_invalidates_the_old_one(as_owner, app, make_user):
    invited = make_user(password=None)
    first = re.search(r'value="http://localhost(/set-password/[^"]+)"',
                      as_owner.get(f"/users/{invited.id}?link=1").get_data(as_text=True)).group(1)
    as_owner.post(f"/users/{invited.id}/password-link")
    second = re.search(r'value="http://localhost(/set-password/[^"]+)"',
                       as_owner.get(f"/users/{invited.id}?link=1").get_data(as_text=True)).group(1)
    assert first != second
    visitor = app.test_client()
    assert visitor.get(first).status_code == 410
    assert visitor.get(second).status_code == 200


def test_unknown_user_is_404(as_owner):
    assert as_owner.get("/users/999").status_code == 404
