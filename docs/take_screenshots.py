"""Take the screenshots in docs/screenshots/ from a throwaway demo shop, at tablet and phone sizes.

Run with `make screenshots`. Needs Chromium (/usr/bin/chromium).
"""
import os
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app, upgrade_schema  # noqa: E402
from extensions import db  # noqa: E402
from sales.demo import create_demo_staff, fill_demo_shop  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
PASSWORD = "screenshots only"
SIZES = {"tablet": {"width": 1024, "height": 768}, "phone": {"width": 390, "height": 844}}


def serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def sign_in(page, base, email):
    """Fill the sign-in form already on screen and wait for the home page."""
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def lead_funnel(page, base, size):
    """Pre-sale: the board, My day, a lead with its priority reasons, a customer's timeline, the web form."""
    for name, url in (("board", "/leads/board"), ("my-day", "/leads/my-day"), ("lead", "/leads/5"),
                      ("timeline", "/customers/5")):
        page.goto(base + url)
        page.screenshot(path=OUT / f"{name}-{size}.png", full_page=name in ("lead", "timeline"))
    page.goto(base + "/leads/web-form")
    page.screenshot(path=OUT / f"web-form-{size}.png")


def negotiation(page, base, size, lead_id):
    """Sale: a deal being negotiated, the objection playbook."""
    page.goto(f"{base}/negotiation/lead/{lead_id}")
    page.screenshot(path=OUT / f"negotiation-{size}.png", full_page=True)
    page.goto(f"{base}/negotiation/playbook")
    page.screenshot(path=OUT / f"playbook-{size}.png", full_page=True)


def quotation(page, base, size, quote_id):
    """Sale: a quotation as the seller sees it, its printed form, and the customer's acceptance page."""
    page.goto(f"{base}/quotes/{quote_id}")
    page.screenshot(path=OUT / f"quote-{size}.png", full_page=True)
    page.emulate_media(media="print")
    page.screenshot(path=OUT / f"quote-print-{size}.png", full_page=True)
    page.emulate_media(media="screen")
    link = page.locator(".linkbox input[type=text]").input_value()
    customer = page.context.browser.new_context(viewport=page.viewport_size, has_touch=True, locale="es-ES")
    customer_page = customer.new_page()
    customer_page.goto(link)
    customer_page.screenshot(path=OUT / f"quote-acceptance-{size}.png", full_page=True)
    customer.close()


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    workdir = tempfile.mkdtemp()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/shots.db", "SECRET_KEY": "shots"})
    app.instance_path = workdir  # photos and backups of the throwaway shop stay out of the real instance folder
    upgrade_schema(app)
    with app.app_context():
        staff = create_demo_staff(PASSWORD)
        fill_demo_shop(staff[0])
        seller_email = staff[1].email
        customer_id = db.session.execute(db.text("SELECT min(id) FROM customers WHERE kind='person'")).scalar()
        sent_quote = db.session.execute(db.text(
            "SELECT min(quote_id) FROM quote_revisions WHERE status = 'sent' AND valid_until >= CURRENT_DATE"
        )).scalar()
        negotiating_lead = db.session.execute(db.text(
            "SELECT min(lead_id) FROM objections JOIN leads ON leads.id = objections.lead_id "
            f"WHERE leads.seller_id = (SELECT id FROM users WHERE email = '{seller_email}')")).scalar()
    server, base = serve(app)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                                    args=["--disable-background-networking", "--no-first-run"])
        for size, viewport in SIZES.items():
            context = browser.new_context(viewport=viewport, has_touch=True, locale="es-ES",
                                          device_scale_factor=1)
            page = context.new_page()
            page.goto(f"{base}/login")
            page.screenshot(path=OUT / f"login-{size}.png")
            sign_in(page, base, seller_email)
            page.screenshot(path=OUT / f"home-{size}.png")
            page.goto(f"{base}/customers/")
            page.screenshot(path=OUT / f"customers-{size}.png")
            page.goto(f"{base}/customers/{customer_id}")
            page.screenshot(path=OUT / f"customer-{size}.png", full_page=True)
            lead_funnel(page, base, size)
            negotiation(page, base, size, negotiating_lead)
            quotation(page, base, size, sent_quote)
            page.goto(f"{base}/customers/new")
            page.fill("#name", "")
            page.fill("#email", "elena@")
            page.fill("#city", "Toledo")
            page.click("form.form button[type=submit]")
            page.wait_for_selector("#email-error")
            page.screenshot(path=OUT / f"customer-form-error-{size}.png", full_page=True)
            context.close()
        support_screenshots(browser, base, app)
        management_screenshots(browser, base)
        messaging_screenshots(browser, base, app)
        connect_screenshots(browser, base, app)
        shop_data_screenshots(browser, base, app)
        shopfloor_screenshots(browser, base, app)
        search_screenshots(browser, base, app)
        browser.close()
    server.shutdown()
    print(f"Screenshots written to {OUT}")


def workshop_photo(width=320, height=240):
    """A PNG made here (a warm gradient), standing in for a photo taken with the tablet."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"".join(bytes((200 - y // 3, 90 + x // 4, 60 + (x + y) // 8)) for x in range(width))
                    for y in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def support_screenshots(browser, base, app):
    """After-sale: a ticket as support sees it, the customer's own link, and the owner's satisfaction gap."""
    from sqlalchemy import select

    from models import Ticket, TicketMessage, User, utcnow
    from sales.support.rules import overdue_condition

    with app.app_context():
        emails = {u.role: u.email for u in db.session.scalars(select(User).order_by(User.id))}
        with_replies = select(TicketMessage.ticket_id).where(TicketMessage.is_public)
        ticket = db.session.scalars(select(Ticket).where(Ticket.id.in_(with_replies))
                                    .order_by(overdue_condition(utcnow()).desc(), Ticket.id)).first()
        ticket_id, token = ticket.id, ticket.public_token
    for size, viewport in SIZES.items():
        context = browser.new_context(viewport=viewport, has_touch=True, locale="es-ES", device_scale_factor=1)
        page = context.new_page()
        page.goto(f"{base}/login")
        sign_in(page, base, emails["support"])
        page.goto(f"{base}/support/tickets/{ticket_id}")
        if size == "tablet":  # once is enough: the phone shot shows the same photo
            page.set_input_files("#photo", files=[{"name": "freno.png", "mimeType": "image/png",
                                                   "buffer": workshop_photo()}])
            page.click("#photos button[type=submit]")
            page.wait_for_selector("ul.photos img")
        page.screenshot(path=OUT / f"ticket-{size}.png", full_page=True)
        page.goto(f"{base}/support/")
        page.screenshot(path=OUT / f"tickets-{size}.png")
        page.click("button.link")  # sign out
        sign_in(page, base, emails["owner"])
        page.goto(f"{base}/support/reports?by=product&period=all")
        page.screenshot(path=OUT / f"satisfaction-gap-{size}.png", full_page=True)
        context.close()
        customer = browser.new_context(viewport=viewport, has_touch=True, locale="es-ES", device_scale_factor=1)
        page = customer.new_page()
        page.goto(f"{base}/support/t/{token}")
        page.screenshot(path=OUT / f"customer-ticket-link-{size}.png", full_page=True)
        customer.close()


def shop_data_screenshots(browser, base, app):
    """The owner's Shop data page: backup, scheduled backups, the whole-shop export, the version."""
    from sqlalchemy import select

    from models import User
    from sales.backup.archive import default_backup_path, make_backup

    with app.app_context():
        owner_email = db.session.scalar(select(User.email).where(User.role == "owner"))
        make_backup(default_backup_path(app.instance_path), app.instance_path)  # as the nightly cron line would
    for size, viewport in SIZES.items():
        context = browser.new_context(viewport=viewport, has_touch=True, locale="es-ES", device_scale_factor=1)
        page = context.new_page()
        page.goto(f"{base}/login")
        sign_in(page, base, owner_email)
        page.goto(f"{base}/settings/data/")
        page.screenshot(path=OUT / f"shop-data-{size}.png", full_page=True)
        context.close()


def messaging_screenshots(browser, base, app):
    """Collaborative CRM: a customer page with emails, calls and chats on the timeline and the portal link; the
    customer's portal; a campaign's audience and preview; a sent campaign's results; the outbox."""
    from sqlalchemy import select

    from models import Campaign, Customer, IncomingEmail, User

    with app.app_context():
        owner_email = db.session.scalar(select(User.email).where(User.role == "owner"))
        customer = db.session.scalars(select(Customer).join(IncomingEmail, IncomingEmail.customer_id == Customer.id)
                                      .where(Customer.portal_token.is_not(None)).order_by(Customer.id)).first()
        customer = customer or db.session.scalars(select(Customer).where(Customer.portal_token.is_not(None))).first()
        customer_id, portal_token = customer.id, customer.portal_token
        done = db.session.scalar(select(Campaign.id).where(Campaign.status == "done"))
    for size, viewport in SIZES.items():
        context = browser.new_context(viewport=viewport, has_touch=True, locale="es-ES", device_scale_factor=1)
        page = context.new_page()
        page.goto(f"{base}/login")
        sign_in(page, base, owner_email)
        page.goto(f"{base}/customers/{customer_id}")
        page.screenshot(path=OUT / f"customer-mail-{size}.png", full_page=True)
        page.goto(f"{base}/mail/campaigns/new")
        page.fill("#name", "Taller de invierno")
        page.fill("#subject", "{name}, ¿revisamos tu bici antes del frío?")
        page.fill("#body", "Hola, {name}:\n\nCon el frío llega el momento de revisar frenos, cambios y luces. "
                           "Este mes la revisión completa en {shop} cuesta 35 € y te la dejamos lista en un día.\n\n"
                           "¡Te esperamos en el taller!")
        page.fill("#city", "Madrid")
        page.click("form.form button[type=submit]")
        page.wait_for_selector("#audience")
        page.screenshot(path=OUT / f"campaign-preview-{size}.png", full_page=True)
        page.goto(f"{base}/mail/campaigns/{done}")
        page.screenshot(path=OUT / f"campaign-results-{size}.png", full_page=True)
        page.goto(f"{base}/mail/outbox?view=sent")
        page.screenshot(path=OUT / f"outbox-{size}.png")
        context.close()
        visitor = browser.new_context(viewport=viewport, has_touch=True, locale="es-ES", device_scale_factor=1)
        page = visitor.new_page()
        page.goto(f"{base}/p/{portal_token}")
        page.screenshot(path=OUT / f"portal-{size}.png", full_page=True)
        visitor.close()


def management_screenshots(browser, base):
    """Management, as the owner sees it: the dashboard, goals, performance, funnel, commissions, segments, loyalty."""
    for size, viewport in SIZES.items():
        context = browser.new_context(viewport=viewport, has_touch=True, locale="es-ES", device_scale_factor=1)
        page = context.new_page()
        page.goto(f"{base}/login")
        sign_in(page, base, "owner@ruedalibre.example")
        page.screenshot(path=OUT / f"dashboard-owner-{size}.png", full_page=True)
        for name, url in (("goals", "/manage/goals"), ("performance", "/manage/performance?kind=quarter"),
                          ("funnel", "/manage/funnel?kind=quarter"), ("commissions", "/manage/commissions?kind=year"),
                          ("segments", "/manage/segments?tag=vip"),
                          ("loyalty", "/manage/loyalty"), ("loyalty-best", "/manage/loyalty?list=best")):
            page.goto(base + url)
            page.screenshot(path=OUT / f"{name}-{size}.png", full_page=True)
        context.close()


def shopfloor_screenshots(browser, base, app):
    """The tablet app: the phone menu, the board and its Move… page, a draft offered back, entries waiting in
    the outbox while offline, and the offline page."""
    from sqlalchemy import select

    from models import Customer, Lead, User

    with app.app_context():
        seller = db.session.scalars(select(User).where(User.role == "seller").order_by(User.id)).first()
        lead_id = db.session.scalar(select(Lead.id).where(Lead.seller_id == seller.id).order_by(Lead.id))
        customer_id = db.session.scalar(select(Customer.id).where(Customer.kind == "person").order_by(Customer.id))
        email = seller.email
    for size, viewport in SIZES.items():
        context = browser.new_context(viewport=viewport, has_touch=True, locale="es-ES", device_scale_factor=1)
        page = context.new_page()
        page.goto(f"{base}/login")
        sign_in(page, base, email)
        if size == "phone":
            page.click("details.navmenu summary")
            page.screenshot(path=OUT / f"menu-{size}.png")
        page.goto(f"{base}/leads/{lead_id}/move")
        page.screenshot(path=OUT / f"board-move-{size}.png")
        page.goto(f"{base}/customers/{customer_id}/edit")
        page.fill("#notes", "Prefiere que la llamen después de las 18:00; viene con su hija el sábado.")
        page.wait_for_timeout(700)
        page.reload()
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=OUT / f"draft-offer-{size}.png")
        page.goto(f"{base}/leads/contacts/new/{customer_id}")
        context.set_offline(True)
        page.fill("#goal", "Enseñarle la bici de carga")
        page.click("form.form button[type=submit]")
        page.fill("#goal", "Llamar por el precio del portabultos")
        page.click("form.form button[type=submit]")
        page.wait_for_selector("#outbox .outbox-count")
        page.screenshot(path=OUT / f"outbox-waiting-{size}.png")
        page.goto(f"{base}/leads/board")  # offline: the service worker answers with the offline page
        page.screenshot(path=OUT / f"offline-{size}.png")
        context.set_offline(False)
        page.goto(f"{base}/leads/contacts/new/{customer_id}")
        page.wait_for_selector("#outbox:not([hidden])")
        page.screenshot(path=OUT / f"outbox-sent-{size}.png")
        context.close()


def connect_screenshots(browser, base, app):
    """Connecting the shop: the account page with the calendar address, a phone's contacts imported from a
    .vcf file, and a customer written to on WhatsApp."""
    from sqlalchemy import select

    from models import User

    with app.app_context():
        seller_email = db.session.scalar(select(User.email).where(User.role == "seller").order_by(User.id))
        owner_email = db.session.scalar(select(User.email).where(User.role == "owner"))
    cards = ("BEGIN:VCARD\nVERSION:3.0\nFN:Marta Ruiz\nTEL;TYPE=CELL:611 222 333\nEMAIL:marta@example.es\n"
             "CATEGORIES:ciclismo\nEND:VCARD\nBEGIN:VCARD\nVERSION:4.0\nFN:Sin Correo\nEMAIL:sin-arroba\n"
             "END:VCARD\n")
    for size, viewport in SIZES.items():
        context = browser.new_context(viewport=viewport, has_touch=True, locale="es-ES", device_scale_factor=1)
        page = context.new_page()
        page.goto(f"{base}/login")
        sign_in(page, base, seller_email)
        page.goto(f"{base}/account")
        if not page.locator("#calendar-url").count():
            page.click("#calendar button[value=create]")
            page.wait_for_selector("#calendar-url")
        page.screenshot(path=OUT / f"account-calendar-{size}.png", full_page=True)
        page.goto(f"{base}/customers/import-vcf")
        page.set_input_files("#file", files=[{"name": "contactos.vcf", "mimeType": "text/vcard",
                                              "buffer": cards.encode()}])
        page.click("form.form button[type=submit]")
        page.wait_for_selector(".flash-success")
        page.screenshot(path=OUT / f"vcard-import-{size}.png", full_page=True)
        page.goto(f"{base}/api/docs")
        page.wait_for_selector(".opblock")
        page.screenshot(path=OUT / f"api-docs-{size}.png")
        context.close()
        context = browser.new_context(viewport=viewport, has_touch=True, locale="es-ES", device_scale_factor=1)
        page = context.new_page()
        page.goto(f"{base}/login")
        sign_in(page, base, owner_email)
        page.goto(f"{base}/settings/webhooks")
        if not page.locator("table.list").count():
            page.fill("#url", "https://tienda.example/hooks/crm")
            page.fill("#description", "Tienda web")
            for event in ("lead.created", "order.created", "customer.created"):
                page.check(f"input[value='{event}']")
            page.click("form.form button[type=submit]")
            page.click("button:has-text('evento de prueba')")
        else:
            page.click("table.list a")
        page.screenshot(path=OUT / f"webhook-{size}.png", full_page=True)
        context.close()


# `python docs/take_screenshots.py PART` retakes only that part's screenshots.
def search_screenshots(browser, base, app=None):
    """The search page, reached from the header's box, as a seller: accents and capitals aside."""
    for size, viewport in SIZES.items():
        context = browser.new_context(viewport=viewport, has_touch=True, locale="es-ES", device_scale_factor=1)
        page = context.new_page()
        page.goto(f"{base}/login")
        sign_in(page, base, "owner@ruedalibre.example")
        page.fill("#global-q", "GARCIA")
        page.press("#global-q", "Enter")
        page.wait_for_selector(".search-group")
        page.screenshot(path=OUT / f"search-{size}.png", full_page=True)
        context.close()


PARTS = {"search": (search_screenshots,), "mail": (messaging_screenshots, connect_screenshots), "shopfloor": (shopfloor_screenshots,)}


def only(part):
    """Only one part's screenshots (quicker while working on it): `python docs/take_screenshots.py mail`
    (or `shopfloor`)."""
    workdir = tempfile.mkdtemp()
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir}/shots.db", "SECRET_KEY": "shots"})
    app.instance_path = workdir  # photos and backups of the throwaway shop stay out of the real instance folder
    upgrade_schema(app)
    with app.app_context():
        staff = create_demo_staff(PASSWORD)
        fill_demo_shop(staff[0])
    server, base = serve(app)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                                    args=["--disable-background-networking", "--no-first-run"])
        for shoot in PARTS[part]:
            shoot(browser, base, app)
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    only(sys.argv[1]) if sys.argv[1:2] and sys.argv[1] in PARTS else main()
