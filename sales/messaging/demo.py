"""The demo shop's mail: consent for most customers (a few unsubscribed), emails sent and received on timelines,
a call and a chat logged, portal links, and two campaigns (one sent by email with results, one letter draft)."""
import json
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from extensions import db
from models import (Campaign, CampaignRecipient, ContactLog, Customer, IncomingEmail, OutgoingEmail, Quote,
                    QuoteRevision, Ticket, utcnow)
from sales.messaging.emails import quote_email, shop_name
from sales.messaging.outbox import compose

CALL_NOTES = ("Pregunta si ya ha llegado la batería de repuesto.", "Quiere pasar el sábado a probar la eléctrica.",
              "Llama para cambiar la cita del taller al jueves.")
CHAT_NOTES = ("Por WhatsApp: ¿abrís el festivo?", "Por WhatsApp: manda foto del arañazo del cuadro.")


def _sent(customer, subject, body, about, about_id, when, user_id):
    raw = compose(customer.email, subject, body).as_bytes()
    return OutgoingEmail(customer_id=customer.id, about=about, about_id=about_id, to_address=customer.email,
                         subject=subject, body=body, raw=raw, status="sent", attempts=1, created_at=when,
                         sent_at=when, created_by_id=user_id)


def fill_demo_messaging(owner, rng):
    with current_app.test_request_context():      # compose() reads the shop's name and sender address
        _fill(owner, rng)


def _fill(owner, rng):
    now = utcnow()
    customers = db.session.scalars(select(Customer).order_by(Customer.id)).all()
    for customer in customers:
        customer.email_opt_in = bool(customer.email) and rng.random() < 0.7
    agreed = [c for c in customers if c.email_opt_in]
    for customer in rng.sample(agreed, min(3, len(agreed))):
        customer.email_opt_in, customer.unsubscribed_at = False, now - timedelta(days=rng.randint(5, 60))
    for customer in customers[:12]:
        # Unguessable even in a demo: a shop may keep working in the database it tried Mostrador with.
        customer.portal_token = secrets.token_urlsafe(32)

    # Quotations that were sent went out by email, as the send button makes them: the PDF attached, the link in
    # the body, the shop's name in the sender and the subject; in the customer's language (else the shop's).
    revisions = db.session.scalars(select(QuoteRevision).join(Quote).where(QuoteRevision.sent_at.is_not(None))
                                   .order_by(QuoteRevision.id)).all()
    for revision in revisions:
        if revision.quote.customer.email and revision.token:
            email = quote_email(revision, revision.quote.seller_id)
            email.status, email.attempts = "sent", 1
            email.created_at = email.sent_at = revision.sent_at
    for ticket in db.session.scalars(select(Ticket).order_by(Ticket.id).limit(6)).all():
        customer = ticket.customer
        if customer.email:
            when = ticket.created_at + timedelta(hours=2)
            db.session.add(_sent(customer, f"Su incidencia {ticket.number}", "Hola,\n\nya estamos con ello.",
                                 "ticket", ticket.id, when, ticket.assignee_id))
            db.session.add(IncomingEmail(message_id=f"<demo-{ticket.id}@correo.example>",
                                         from_address=customer.email, subject=f"Re: Su incidencia {ticket.number}",
                                         body="Gracias, quedo a la espera.", received_at=when + timedelta(hours=5),
                                         customer_id=customer.id, ticket_id=ticket.id))
    for n, customer in enumerate(customers[8:14]):
        notes, channel = (CALL_NOTES, "call") if n % 2 == 0 else (CHAT_NOTES, "chat")
        db.session.add(ContactLog(customer=customer, user_id=customer.owner_id, channel=channel,
                                  happened_at=now - timedelta(days=n, hours=3),
                                  goal="Llamada del cliente" if channel == "call" else "Mensaje de chat del cliente",
                                  outcome=rng.choice(notes)))

    started = now - timedelta(days=12)
    spring = Campaign(name="Revisión de primavera", channel="email", subject="{name}, su bici está lista para la primavera?",
                      body="Hola {name},\n\nen {shop} revisamos frenos, cambios y ruedas por 39 €.\n\n¡Le esperamos!",
                      filters=json.dumps({"city": "Madrid"}), status="done", follow_days=30, started_at=started,
                      finished_at=started + timedelta(minutes=2), created_at=started, updated_at=started)
    db.session.add(spring)
    db.session.flush()
    for customer in [c for c in customers if c.city == "Madrid" and c.email_opt_in and not c.unsubscribed_at]:
        email = _sent(customer, f"{customer.name}, su bici está lista para la primavera?",
                      f"Hola,\n\nen {shop_name()} revisamos frenos, cambios y ruedas por 39 €.", "campaign",
                      spring.id, started, owner.id)
        email.campaign_id = spring.id
        db.session.add(email)
        db.session.add(CampaignRecipient(campaign=spring, customer_id=customer.id, done=True))
    db.session.add(Campaign(name="Carta: nueva tienda en Toledo", channel="letter",
                            subject="Abrimos en Toledo", body="Estimado/a {name}:\n\n{shop} abre una tienda en Toledo.",
                            filters=json.dumps({"city": "Toledo"})))
