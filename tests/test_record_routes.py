"""Every route that names a record, tried on seller B's records by anonymous, seller A, seller B, support and
the owner, GET and POST. A new route with an argument fails `test_every_route_with_an_argument_is_in_the_table`
until a line for it is added to ROUTES below.

Allowed: anything but 403/404 or an error (a form may answer 422, a button 303). Refused: 403 or 404 — and a
refused POST must leave the shop exactly as it was (checked by the reproductions in test_record_access.py).
"""
import re

import pytest

from app import create_app
from tests.conftest import empty_database
from tests.record_shop import build_shop, sign_in

ROLES = ("seller_a", "support", "seller_b", "owner")   # refused ones first: they must change nothing

ALL = "owner seller_a seller_b support"
B = "owner seller_b"                 # B's own work: B and the owner, nobody else
B_AND_SUPPORT = "owner seller_b support"
SELLERS = "owner seller_a seller_b"
AFTER_SALE = "owner support"
OWNER = "owner"

# endpoint: (who may GET, who may POST). None: the route does not answer that method.
ROUTES = {
    "catalog.edit": (OWNER, OWNER),
    "customers.show": (ALL, None),
    "customers.edit": (B_AND_SUPPORT, B_AND_SUPPORT),
    "customers.archive": (None, B),
    "customers.restore": (None, B),
    "leads.show": (B, None),
    "leads.edit": (B, B),
    "leads.move": (None, B),
    "leads.qualify": (None, B),
    "leads.log_contact": (ALL, ALL),
    "leads.for_customer": (SELLERS, None),
    "leads.import_mapping": (B, B),
    "leads.import_sheet": (B, B),
    "leads.import_values": (B, B),
    "leads.move_choices": (B, None),
    "leads.import_problems": (B, None),
    "leads.import_progress": (B, None),
    "leads.import_step": (None, B),
    "leads.show_inquiry": (B_AND_SUPPORT, B_AND_SUPPORT),   # about B's customer: B's, and support answers
    "leads.new_inquiry": (ALL, ALL),
    "leads.rename_stage": (None, OWNER),
    "leads.move_stage": (None, OWNER),
    "leads.toggle_stage": (None, OWNER),
    "leads.step_done": (None, "seller_b"),        # one's own next step, from My day
    "leads.bulk_undo": (None, "seller_b"),        # one's own bulk action, from its result message
    "bulk.undo_action": (None, "seller_b"),       # the same, the one Undo every list shares
    "messaging.retry": (None, B),
    "messaging.email": (B_AND_SUPPORT, None),     # about B's quote: who may see the quote reads the email
    "messaging.email_file": (B_AND_SUPPORT, None),  # …and the quote's PDF that went with it
    "messaging.campaign": (SELLERS, None),
    "messaging.edit_campaign": (B, B),
    "messaging.campaign_letters": (SELLERS, None),
    "messaging.send_campaign": (None, B),
    "messaging.consent": (None, B_AND_SUPPORT),
    "messaging.quick_log": (ALL, ALL),
    "messaging.issue_portal": (None, B),
    "messaging.send_quote": (None, B),
    "messaging.send_survey": (None, AFTER_SALE),
    "messaging.send_ticket": (None, AFTER_SALE),
    "messaging.send_password_link": (None, OWNER),
    "management.delete_commission_rule": (OWNER, OWNER),   # GET asks first (tests/test_deletes_undo.py)
    "management.loyalty_csv": (SELLERS, None),
    "management.segment": (SELLERS, B),
    "management.segment_csv": (SELLERS, None),
    "management.delete_segment": (B, B),
    "negotiation.deal": (B, None),
    "negotiation.close": (None, B),
    "negotiation.add_competitor": (None, B),
    "negotiation.add_concession": (None, B),
    "negotiation.add_note": (None, B),
    "negotiation.add_objection": (None, B),
    "negotiation.add_person": (None, B),
    "negotiation.reopen": (None, B),
    "negotiation.answer_objection": (None, B),
    "negotiation.report_csv": (OWNER, None),
    "quotes.show": (B_AND_SUPPORT, None),
    "quotes.edit": (B, B),
    "quotes.pdf": (B_AND_SUPPORT, None),
    "quotes.revise": (None, B),
    "quotes.send": (None, B),
    "quotes.add_suggested": (None, B),
    "quotes.order": (B_AND_SUPPORT, None),
    "support.stop_plan": (None, AFTER_SALE),
    "support.photo": (B_AND_SUPPORT, None),       # B sold it and looks after the customer
    "support.promise_kept": (None, B),
    "support.show": (B_AND_SUPPORT, None),
    "support.update": (None, AFTER_SALE),
    "support.add_charge": (None, AFTER_SALE),
    "support.delete_charge": (AFTER_SALE, AFTER_SALE),
    "support.add_message": (None, AFTER_SALE),
    "support.add_photo": (None, AFTER_SALE),
    "support.warranty": (None, AFTER_SALE),
    "users.show": (OWNER, OWNER),
    "users.new_password_link": (None, OWNER),
    "users.end_session": (None, OWNER),
    "users.end_all_sessions": (None, OWNER),
    # The sales force's structure is the owner's: renaming, and removing with a confirmation (GET) and an undo.
    "users.edit_branch": (OWNER, OWNER),
    "users.delete_branch": (OWNER, OWNER),
    "users.edit_team": (OWNER, OWNER),
    "users.delete_team": (OWNER, OWNER),
    "users.edit_branch_rule": (OWNER, OWNER),
    "users.delete_branch_rule": (OWNER, OWNER),
    "connect.calendar_item": (B, None),           # B's next step as an .ics: one's own (the owner: anyone's)
    "connect.customer_vcard": (ALL, None),
    "connect.segment_vcards": (SELLERS, None),
    "connect.webhook_endpoint": (OWNER, OWNER),
    "connect.webhook_action": (None, OWNER),
    "connect.webhook_retry": (None, OWNER),
    "connect.revoke_api_token": (None, "seller_b"),   # one's own token only
    # Documents: attached on a record as that record is changed; B's document is on B's lead.
    "documents.new_for_product": (OWNER, OWNER),
    "documents.new_for_customer": (B_AND_SUPPORT, B_AND_SUPPORT),
    "documents.new_for_lead": (B, B),
    "documents.new_for_quote": (B, B),
    "documents.show": (B, None),
    "documents.edit": (B, B),
    "documents.delete": (B, B),
}

# The JSON API: the same record rules, signed in by a personal token (anonymous: 401). endpoint: {method: who}.
API_ROUTES = {
    "api.get_product": {"GET": ALL},
    "api.get_customer": {"GET": ALL},
    "api.update_customer": {"PATCH": B_AND_SUPPORT},
    "api.get_lead": {"GET": B},
    "api.update_lead": {"PATCH": B},
    "api.list_lead_moves": {"GET": B},
    "api.move_lead": {"POST": B},
    "api.get_contact": {"GET": B},
    "api.get_inquiry": {"GET": B_AND_SUPPORT},
    "api.answer_inquiry": {"POST": B_AND_SUPPORT},
    "api.get_quote": {"GET": B_AND_SUPPORT},
    "api.get_quote_revision": {"GET": B_AND_SUPPORT},
    "api.update_quote": {"PATCH": B},
    "api.send_quote": {"POST": B},
    "api.get_order": {"GET": B_AND_SUPPORT},
    "api.get_ticket": {"GET": B_AND_SUPPORT},
    "api.add_ticket_message": {"POST": AFTER_SALE},
    "api.get_promise": {"GET": B_AND_SUPPORT},     # after-sale follows every promise; B made this sale
    "api.keep_promise": {"POST": B},
    "api.break_promise": {"POST": B},
}
# A valid body for the API routes that need one, so that only the record rule can refuse.
API_BODIES = {
    "api.move_lead": lambda shop: {"stage_id": shop["stage"]},
    "api.answer_inquiry": lambda shop: {"answer": "Tomorrow"},
    "api.add_ticket_message": lambda shop: {"body": "Bring it in on Monday"},
}

# Routes whose argument is a secret key given to a customer, not a record id: they are public and tested with
# their own pages (a wrong key is a 404 for everyone).
KEYED_PUBLIC_ROUTES = {"static", "connect.calendar_feed", "portal.home", "portal.unsubscribe", "quotes.public_quote", "quotes.public_pdf",
                       "support.customer_ticket", "support.survey", "accounts.set_password",
                       # A product's documents through the quote's, the portal's or the ticket's own link
                       # (tests/test_documents.py: each link opens only its own documents).
                       "documents.for_quote", "documents.for_portal", "documents.for_ticket",
                       # A form kept after its session ended, under a random key (tests/test_drafts.py).
                       "drafts.show", "drafts.discard"}

# Routes whose argument names no record: tested where they live (a scheduled backup file: tests/test_backup.py).
NOT_RECORD_ROUTES = {"backup.download_scheduled",
                     # A custom field is the shop's, not a person's: owner only, by role (tests/test_custom_fields.py).
                     "customers.toggle_field",
                     # A customer import job: this shop's job is a lead import, which that route refuses to all;
                     # its owner-or-importer rule is tested in tests/test_custom_fields.py.
                     "customers.import_mapping", "customers.import_progress", "customers.import_step",
                     "customers.import_problems",
                     # The servers' own pages: no record in them, no argument to check (tests/test_operations.py).
                     "health.live", "health.ready", "operations.metrics", "operations.jobs"}

# Which record of the shop each URL argument names.
ARGUMENTS = {
    "customer_id": "customer", "lead_id": "lead", "quote_id": "quote", "order_id": "order", "ticket_id": "ticket",
    "product_id": "product", "stage_id": "stage", "step_id": "contact", "user_id": "seller_b",
    "charge_id": "TicketCharge", "attachment_id": "Attachment", "promise_id": "Promise", "plan_id": "MaintenancePlan",
    "campaign_id": "Campaign", "segment_id": "Segment", "rule_id": "CommissionRule", "email_id": "OutgoingEmail",
    "survey_id": "Survey", "job_id": "ImportJob", "inquiry_id": "Inquiry", "objection_id": "Objection",
    "session_id": "UserSession", "ident": "contact", "endpoint_id": "WebhookEndpoint",
    "delivery_id": "WebhookDelivery", "token_id": "ApiToken", "document_id": "Document",
    "action_id": "BulkAction", "contact_id": "contact",
    "branch_id": "Branch", "team_id": "Team", "branch_rule_id": "BranchRule",
}
FIXED_VALUES = {"number": "1"}


def _rules():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "routes"})
    return [rule for rule in app.url_map.iter_rules() if rule.arguments]


RULES = _rules()


def test_every_route_with_an_argument_is_in_the_table():
    unknown = sorted({r.endpoint for r in RULES} - set(ROUTES) - set(API_ROUTES) - KEYED_PUBLIC_ROUTES
                     - NOT_RECORD_ROUTES)
    assert not unknown, (
        "These routes take an argument but tests/test_record_routes.py does not say who may use them: "
        + ", ".join(unknown) + ". Add each to ROUTES as \"endpoint\": (who may GET, who may POST) — or to "
        "KEYED_PUBLIC_ROUTES if its argument is a customer's secret link — and any new argument name to ARGUMENTS.")
    stale = sorted((set(ROUTES) | set(API_ROUTES)) - {r.endpoint for r in RULES})
    assert not stale, "ROUTES lists endpoints that no longer exist: " + ", ".join(stale)


def url_for_shop(endpoint, path, shop):
    def value(match):
        converter, options, name = match.group(1), match.group(2), match.group(3)
        if converter == "any":
            return options.strip("()").split(",")[0].strip()
        if name in FIXED_VALUES:
            return FIXED_VALUES[name]
        assert name in ARGUMENTS, f"Add the URL argument {name!r} of {endpoint} to ARGUMENTS"
        return str(shop[ARGUMENTS[name]])

    return re.sub(r"<(?:(\w+)(\([^)]*\))?:)?(\w+)>", value, path)


def _cases():
    for rule in RULES:
        if rule.endpoint not in ROUTES:
            continue
        for method, allowed in zip(("GET", "POST"), ROUTES[rule.endpoint]):
            if allowed is not None and method in rule.methods:
                yield pytest.param(rule.endpoint, rule.rule, method, set(allowed.split()),
                                   id=f"{method} {rule.rule}")


def _api_cases():
    for rule in RULES:
        for method, allowed in API_ROUTES.get(rule.endpoint, {}).items():
            yield pytest.param(rule.endpoint, rule.rule, method, set(allowed.split()), id=f"{method} {rule.rule}")


def _refused(status):
    return status in (403, 404)


@pytest.fixture
def photo_file(app):
    """The photo file behind B's ticket's attachment, so that those allowed really get it."""
    from sales.support.rules import attachments_folder

    path = attachments_folder(app.instance_path) / "b-photo.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n")
    document = attachments_folder(app.instance_path) / "b-plan.pdf"
    document.write_bytes(b"%PDF-1.4\n%%EOF\n")
    yield
    path.unlink(missing_ok=True)
    document.unlink(missing_ok=True)


@pytest.mark.parametrize("endpoint, path, method, allowed", list(_cases()))
def test_who_may_use_each_route_on_seller_b_records(app, photo_file, endpoint, path, method, allowed):
    shop = build_shop(app)
    url = url_for_shop(endpoint, path, shop)
    anonymous = app.test_client().open(url, method=method)
    anonymous.close()
    assert anonymous.status_code == 302 and anonymous.location.startswith("/login"), f"anonymous {method} {url}"
    for role in ROLES:
        if role in allowed and method == "POST":
            # A POST that is allowed may change the shop: each allowed role gets it as it was.
            empty_database(app)
            shop = build_shop(app)
            url = url_for_shop(endpoint, path, shop)
        response = sign_in(app.test_client(), shop[role]).open(url, method=method)
        response.get_data()
        response.close()    # a streamed CSV finishes here, inside its own request
        status = response.status_code
        assert status < 500, f"{role} {method} {url}: {status}"
        if role in allowed:
            assert not _refused(status) and not (status == 302 and "/login" in response.location), (
                f"{role} should be able to {method} {url} ({endpoint}) but got {status}")
        else:
            assert _refused(status), f"{role} must not {method} {url} ({endpoint}) but got {status}"


@pytest.mark.parametrize("endpoint, path, method, allowed", list(_api_cases()))
def test_who_may_use_each_api_route_on_seller_b_records(app, endpoint, path, method, allowed):
    shop = build_shop(app)
    url = url_for_shop(endpoint, path, shop)
    assert app.test_client().open(url, method=method, json={}).status_code == 401, f"anonymous {method} {url}"
    for role in ROLES:
        if role in allowed and method != "GET":
            empty_database(app)
            shop = build_shop(app)
            url = url_for_shop(endpoint, path, shop)
        # A valid body where one is needed, so that only the record rule can refuse.
        body = API_BODIES[endpoint](shop) if endpoint in API_BODIES else {}
        response = app.test_client().open(url, method=method, json=body,
                                          headers={"Authorization": f"Bearer {shop['api_token'][role]}"})
        status = response.status_code
        assert status < 500, f"{role} {method} {url}: {status}"
        if role in allowed:
            assert not _refused(status) and status != 401, f"{role} should be able to {method} {url} but got {status}"
        else:
            assert _refused(status), f"{role} must not {method} {url} ({endpoint}) but got {status}"
