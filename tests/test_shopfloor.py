"""The shop-floor app: installable (manifest, service worker, offline page), light on the wire (compression, static
files under hashed names cached for a year), and forms saved from the tablet's outbox stored exactly once."""
import gzip
import json
import re
import threading

import pytest
from sqlalchemy import func, select

from extensions import db
from models import ContactLog, Customer, Inquiry, SubmissionKey, TicketMessage
from tests.conftest import login

KEY = "0123456789abcdef0123456789abcdef"


def static_links(html):
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_pages_link_static_files_under_content_hashed_names_cached_for_a_year(client, app, owner):
    links = static_links(client.get("/login").get_data(as_text=True))
    css = next(link for link in links if "/css/" in link)
    assert re.fullmatch(r"/static/css/mostrador\.[0-9a-f]{10}\.css", css)
    response = client.get(css)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    with open(f"{app.static_folder}/css/mostrador.css", "rb") as f:
        assert response.data == f.read()
    login(client, owner)
    signed_in = client.get(css)
    assert "Cookie" not in signed_in.headers.get("Vary", "")  # the same cached copy before and after sign-in
    assert signed_in.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_plain_and_stale_static_names_still_work_but_are_revalidated(client):
    for url in ("/static/css/mostrador.css", "/static/css/mostrador.0000000000.css"):
        response = client.get(url)
        assert response.status_code == 200 and "no-cache" in response.headers["Cache-Control"], url
    assert client.get("/static/css/nothing.css").status_code == 404
    assert client.get("/static/../app.py").status_code == 404


def test_html_css_js_and_svg_are_compressed(client, owner, app):
    html = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert html.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in html.headers["Vary"]
    assert b"<form" in gzip.decompress(html.data)
    for link in static_links(client.get("/login").get_data(as_text=True)):
        if link.endswith(".png"):
            continue  # already compressed
        response = client.get(link, headers={"Accept-Encoding": "br, gzip"})
        tiny = len(client.get(link).data) < app.config["COMPRESS_MIN_SIZE"]  # the favicon: not worth it
        assert response.headers.get("Content-Encoding") == (None if tiny else "br"), link
    assert client.get("/login").headers.get("Content-Encoding") is None  # a client that did not ask


def test_the_manifest_makes_the_app_installable(client, app, owner):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.data)
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    assert manifest["name"] and manifest["short_name"] and manifest["theme_color"]
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    from PIL import Image

    for icon in manifest["icons"]:
        picture = client.get(icon["src"])
        assert picture.status_code == 200 and picture.mimetype == "image/png"
        with app.open_resource(app.static_folder + "/" + icon["src"].split("/static/")[1].rsplit(".", 2)[0]
                               + ".png") as f:
            width, height = Image.open(f).size
        assert f"{width}x{height}" == icon["sizes"]
    page = client.get("/login").get_data(as_text=True)
    assert 'rel="manifest"' in page and 'name="theme-color"' in page and "apple-touch-icon" in page


def test_the_service_worker_precaches_every_static_file_and_the_offline_page(client, app, owner):
    response = client.get("/sw.js")
    assert response.mimetype == "text/javascript" and "no-cache" in response.headers["Cache-Control"]
    script = response.get_data(as_text=True)
    precached = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", script).group(1))
    assert "/offline" in precached
    for link in static_links(client.get("/login").get_data(as_text=True)):
        assert link in precached
    assert all(client.get(url).status_code == 200 for url in precached)
    offline = client.get("/offline").get_data(as_text=True)
    assert "No connection — what you typed is kept" in offline


def test_the_offline_page_names_nobody(client, owner):
    login(client, owner)
    page = client.get("/offline").get_data(as_text=True)
    assert owner.name not in page and 'data-user=""' in page


def test_forms_that_create_records_carry_a_fresh_key_each_time(as_seller, make_customer):
    customer = make_customer()
    keys = [re.search(r'name="idempotency_key" value="([0-9a-f]{32})"',
                      as_seller.get(f"/leads/contacts/new/{customer.id}").get_data(as_text=True)).group(1)
            for _ in range(2)]
    assert keys[0] != keys[1]


def contact(client, customer, key, goal="Know their budget"):
    return client.post(f"/leads/contacts/new/{customer.id}", data={
        "channel": "visit", "happened_at": "2026-11-20T10:30", "lead_id": "0", "goal": goal, "idempotency_key": key})


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_contact_sent_again_with_its_key_is_stored_once(as_seller, make_customer, app):
    customer = make_customer()
    first = contact(as_seller, customer, KEY)
    again = contact(as_seller, customer, KEY)
    assert first.status_code == again.status_code == 303 and first.location == again.location
    assert count(app, ContactLog) == 1 and count(app, SubmissionKey) == 1
    contact(as_seller, customer, KEY.replace("0", "f"), goal="Another visit")
    assert count(app, ContactLog) == 2


def test_a_key_is_one_persons(client, make_user, make_customer, app):
    """Another seller's form with the same key is simply stored: a key never finds someone else's record."""
    customer = make_customer()
    first, second = make_user("seller"), make_user("seller")
    login(client, first)
    contact(client, customer, KEY)
    client.post("/logout")
    login(client, second)
    assert contact(client, customer, KEY).status_code == 303
    assert count(app, ContactLog) == 2


def test_an_inquiry_sent_again_with_its_key_is_stored_once(as_seller, make_customer, app):
    customer = make_customer()
    data = {"kind": "availability", "product_id": "0", "question": "Do you have the red one?",
            "idempotency_key": KEY}
    first = as_seller.post(f"/leads/inquiries/new/{customer.id}", data=data)
    again = as_seller.post(f"/leads/inquiries/new/{customer.id}", data=data)
    assert first.status_code == again.status_code == 303 and first.location == again.location
    assert count(app, Inquiry) == 1


def test_a_ticket_note_sent_again_with_its_key_is_stored_once(client, make_user, make_customer, app):
    from models import Customer as CustomerModel
    from sales.support import rules

    support = make_user("support")
    customer = make_customer()
    with app.app_context():
        ticket = rules.open_ticket(db.session.get(CustomerModel, customer.id), title="Squeaky brake")
        db.session.commit()
        ticket_id = ticket.id
    login(client, support)
    data = {"body": "Pads replaced, test ride done.", "visibility": "internal", "idempotency_key": KEY}
    for _ in range(3):
        assert client.post(f"/support/tickets/{ticket_id}/messages", data=data).status_code == 303
    assert count(app, TicketMessage) == 1


def test_a_ticket_photo_sent_again_with_its_key_is_stored_once(client, make_user, make_customer, app):
    from io import BytesIO

    from models import Attachment, Customer as CustomerModel
    from sales.support import rules
    from tests.test_support import PNG

    support = make_user("support")
    customer = make_customer()
    with app.app_context():
        ticket = rules.open_ticket(db.session.get(CustomerModel, customer.id), title="Cracked frame")
        db.session.commit()
        ticket_id = ticket.id
    login(client, support)
    page = client.get(f"/support/tickets/{ticket_id}").get_data(as_text=True)
    form = page[page.index('action="/support/tickets/%d/photos"' % ticket_id):]
    assert 'data-offline="Photo on ticket' in page and 'name="idempotency_key"' in form[:form.index("</form>")]
    for _ in range(3):
        response = client.post(f"/support/tickets/{ticket_id}/photos", content_type="multipart/form-data",
                               data={"photo": (BytesIO(PNG), "frame.png"), "idempotency_key": KEY})
        assert response.status_code == 303
    assert count(app, Attachment) == 1


def test_two_copies_racing_store_one_contact(app, make_user, make_customer):
    """The outbox retries while the first request is still running: the key's primary key lets one in."""
    seller = make_user("seller")
    customer = make_customer()
    clients = [app.test_client() for _ in range(2)]
    for c in clients:
        login(c, seller)
    barrier = threading.Barrier(2)
    codes = []

    def send(c):
        barrier.wait()
        codes.append(contact(c, customer, KEY).status_code)

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [303, 303]
    assert count(app, ContactLog) == 1


def test_forms_without_a_key_behave_as_before(as_seller, make_customer, app):
    customer = make_customer()
    for _ in range(2):
        contact(as_seller, customer, "")
    assert count(app, ContactLog) == 2 and count(app, SubmissionKey) == 0
