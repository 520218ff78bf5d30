"""A small shop in which seller B owns one record of every kind, for the record-level access tests: seller A
(another seller), support and the owner try B's work. `build_shop(app)` returns the ids by kind."""
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from extensions import db
from models import (ApiToken, Attachment, Branch, BranchRule, BulkAction, Campaign, CommissionRule, Competitor, Concession, ContactLog, Customer,
                    DealCompetitor, DecisionMaker, Document, Goal, ImportJob, Inquiry, Lead, MaintenancePlan, NegotiationNote,
                    Objection, Order, OrderLine, OutgoingEmail, Product, Promise, Segment, Survey, TicketCharge,
                    Team, User, UserSession, WebhookDelivery, WebhookEndpoint)
from sales.clock import shop_today

PRIVATE = "B-private-words"   # written into B's records: must never reach seller A's screen


def sign_in(client, user_id):
    """Sign a test client in as a user without typing the password (the hash is the slow part)."""
    from sales.accounts.sessions import start_session

    with client.application.test_request_context():
        cookie = start_session(db.session.get(User, user_id))
        db.session.commit()
    with client.session_transaction() as session:
        session.update(cookie)
    return client


def build_shop(app):
    from sales.accounts.sessions import start_session
    from sales.leads.stages import ensure_default_stages, start_in_stage
    from sales.messaging.outbox import compose
    from sales.quotes import rules as quote_rules
    from sales.support import rules as support_rules

    with app.test_request_context():
        people = {role: User(name=f"{role} person", email=f"{role}@shop.example", role=r)
                  for role, r in (("owner", "owner"), ("seller_a", "seller"), ("seller_b", "seller"),
                                  ("support", "support"))}
        db.session.add_all(people.values())
        db.session.flush()
        b = people["seller_b"]
        db.session.info["acting_user_id"] = b.id
        stages = {s.shown_name: s for s in ensure_default_stages()}
        customer = Customer(name="Bea Customer", email="bea@example.com", owner_id=b.id, email_opt_in=True)
        product = Product(code="EB1", name="E-bike", unit_price=Decimal("1000.00"), tax_rate=Decimal("21"),
                          warranty_months=24)
        db.session.add_all([customer, product])
        db.session.flush()
        lead = Lead(customer_id=customer.id, title=f"Cargo bike {PRIVATE}", description=f"{PRIVATE} budget notes",
                    seller_id=b.id, source="walk_in")
        db.session.add(lead)
        start_in_stage(lead, stages["New"])
        db.session.flush()
        contact = ContactLog(customer_id=customer.id, lead_id=lead.id, user_id=b.id, channel="call",
                             goal="Call about the cargo bike", outcome=f"{PRIVATE} outcome",
                             next_step="Call back", next_step_due=shop_today())
        free_quote, revision = quote_rules.new_quote(customer, b.id)
        quote_rules.set_lines(revision, [dict(product_id=product.id, description="E-bike", quantity=Decimal(1),
                                              unit_price=Decimal("1000.00"), discount_percent=Decimal(0),
                                              tax_rate=Decimal("21"))])
        order = Order(number="O-2026-0001", customer_id=customer.id, lead_id=lead.id, seller_id=b.id,
                      ordered_on=shop_today() - timedelta(days=30), total=Decimal("1210.00"))
        order.lines.append(OrderLine(position=1, product_id=product.id, description="E-bike", quantity=Decimal(1),
                                     unit_price=Decimal("1000.00"), line_total=Decimal("1000.00"),
                                     warranty_months=24))
        db.session.add_all([contact, order])
        db.session.flush()
        ticket = support_rules.open_ticket(customer, title=f"Brake {PRIVATE}", order_line=order.lines[0])
        db.session.flush()
        competitor = Competitor(name="Other Bikes")
        db.session.add(competitor)
        db.session.flush()
        records = [
            NegotiationNote(lead_id=lead.id, user_id=b.id, body=f"{PRIVATE} note"),
            Objection(lead_id=lead.id, user_id=b.id, kind="price", customer_words=f"{PRIVATE} too dear"),
            Concession(lead_id=lead.id, user_id=b.id, description="Free helmet", value=Decimal("50")),
            DealCompetitor(lead_id=lead.id, competitor_id=competitor.id),
            DecisionMaker(lead_id=lead.id, name="Bea's partner"),
            Promise(order_id=order.id, seller_id=b.id, kind="delivery", description="Deliver", due_on=shop_today()),
            Survey(customer_id=customer.id, ticket_id=ticket.id, seller_id=b.id),
            Campaign(name="B's spring mailing", subject="Spring", body=f"Hello {{name}} {PRIVATE}",
                     created_by_id=b.id),
            Segment(name="B's Toledo customers", filters=json.dumps({"city": "Toledo"}), created_by_id=b.id),
            Goal(seller_id=b.id, period=shop_today().strftime("%Y-%m"), metric="revenue", target=Decimal("5000")),
            CommissionRule(seller_id=b.id, percent=Decimal("5")),
            OutgoingEmail(customer_id=customer.id, about="quote", about_id=free_quote.id, to_address=customer.email,
                          subject="Your quote", body=f"Accept here: http://localhost/quotes/q/{PRIVATE}-token",
                          raw=compose(customer.email, "Your quote", "Accept here",
                                      [("quote.pdf", "application/pdf", b"%PDF-1.4 quote")]).as_bytes(),
                          status="sent", created_by_id=b.id),
            ImportJob(user_id=b.id, filename="b.csv", content="name,email,title\nAna Ruiz,ana@example.com,City bike\n",
                      settings=json.dumps({"mapping": {"customer": 0, "email": 1, "title": 2}}), total_rows=1),
            Inquiry(customer_id=customer.id, kind="price", question="How much is the cargo bike?"),
            MaintenancePlan(customer_id=customer.id, order_line_id=order.lines[0].id, every_months=12,
                            next_due_on=shop_today() + timedelta(days=60)),
            TicketCharge(ticket_id=ticket.id, kind="part", description="Brake pads", quantity=Decimal(1),
                         unit_price=Decimal("20")),
            Attachment(ticket_id=ticket.id, stored_name="b-photo.png", content_type="image/png", size=1,
                       uploaded_by_id=b.id),
            Document(kind="plan", title=f"Garage plan {PRIVATE}", lead_id=lead.id, stored_name="b-plan.pdf",
                     content_type="application/pdf", size=15, created_by_id=b.id),
        ]
        db.session.add_all(records)
        db.session.flush()
        hook = WebhookEndpoint(url="http://127.0.0.1:9/hook", secret="whsec_dGVzdA==", events="")
        db.session.add(hook)
        db.session.flush()
        delivery = WebhookDelivery(endpoint_id=hook.id, message_id="msg_test", event_type="lead.created",
                                   payload="{}", status="failed")
        db.session.add(delivery)
        # B's bulk reassignment of their lead, still within its ten minutes of undo.
        bulk = BulkAction(user_id=b.id, entity="leads", action="reassign", summary="1 lead reassigned.",
                          records={str(lead.id): {"before": {"seller_id": b.id}, "version": lead.version}})
        db.session.add(bulk)
        # The shop's structure: a branch with a routing rule and an empty team (the owner's to rename or remove).
        branch = Branch(name="Toledo")
        db.session.add(branch)
        db.session.flush()
        team = Team(name="Toledo shop floor", branch_id=branch.id)
        branch_rule = BranchRule(branch_id=branch.id, field="city", value="Toledo")
        db.session.add_all([team, branch_rule])
        records += [hook, delivery, bulk, branch, team, branch_rule]
        db.session.commit()
        start_session(b)   # B signed in on a tablet
        from sales.api.auth import create_token

        api_tokens = {role: create_token(person, f"{role}'s script")[1] for role, person in people.items()}
        db.session.commit()
        ids = {role: person.id for role, person in people.items()}
        ids.update(customer=customer.id, lead=lead.id, contact=contact.id, quote=free_quote.id, order=order.id,
                   ticket=ticket.id, product=product.id, stage=stages["New"].id, ticket_token=ticket.public_token,
                   competitor=competitor.id)
        for record in records:
            ids[type(record).__name__] = record.id
        ids["survey_token"] = records[6].token
        ids["api_token"] = api_tokens
        ids["ApiToken"] = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == b.id))
        ids["UserSession"] = db.session.scalar(select(UserSession.id).where(UserSession.user_id == b.id))
        return ids


# The shop and a signed-in client per role, for every test file that walks it.
@pytest.fixture
def shop(app):
    return build_shop(app)


@pytest.fixture
def as_role(app, shop):
    def client_for(role):
        return sign_in(app.test_client(), shop[role])

    return client_for
