"""Record rules: which records of each kind a user may see and which they may change.

`sales/policy.py` answers "may this role use this part of the shop at all"; this module answers "this record,
for this person". For every kind of record that belongs to someone there is one rule with three faces:

- `visible(Model, user)` — a SQL condition for every list, count, search, choice list and timeline query:
  ``select(Quote).where(visible(Quote, current_user))``.
- `may_view(user, record)` — the same decision for one record already loaded.
- `may_change(user, record)` — whether they may edit it, send it, close it, or act on it in bulk.

`get_or_404(Model, id, change=False)` fetches one record for a view: 404 when there is none *or* the user may
not see it (another seller's work is simply not there for them), 403 when they may see it but not change it.

The shop's trust, in short: the owner sees and changes everything; sellers work their own leads, quotes,
orders and campaigns and see others' only where the owner shares leads (Leads → Pipeline settings);
support sees every ticket and the after-sale side, and no lead.
"""
import re

from flask import abort
from sqlalchemy import and_, exists, false, or_, select, true

from extensions import db
from models import (Campaign, CommissionRule, Concession, ContactLog, Customer, DealCompetitor, DecisionMaker,
                    Document, Goal, ImportJob, IncomingEmail, Inquiry, Lead, MaintenancePlan, NegotiationNote, Objection,
                    Order, OrderLine, OutgoingEmail, Promise, Quote, QuoteRevision, Segment, ShopSetting, Survey, Team, Ticket,
                    User)


def _staff(user):
    return bool(user) and user.is_authenticated and user.is_active


def _role(user):
    return user.role if _staff(user) else None


# --- Teams: whose work is "ours" ------------------------------------------------------------------------------------


def _team_ids(user):
    """The people a team's manager works for: everyone in the team. None for anyone who manages no team."""
    if getattr(user, "is_manager", False):
        return select(User.id).where(User.team_id == user.team_id)
    return None


def _ours(user, person_column):
    """SQL: the person in `person_column` (a seller, a keeper, an author) is the user, or — for a team's manager —
    someone in their team. Every rule below that says "a seller's own" says it with this, so a manager works
    their team's records wherever a seller works their own, and sees nothing of other teams'."""
    team = _team_ids(user)
    return person_column == user.id if team is None else or_(person_column == user.id, person_column.in_(team))


def _is_ours(user, person_id):
    """The same decision for one record already loaded."""
    if person_id is None:
        return False
    if person_id == user.id:
        return True
    if not getattr(user, "is_manager", False):
        return False
    person = db.session.get(User, person_id)
    return person is not None and person.team_id == user.team_id


MANAGERS_SEE_ALL = "managers_see_other_teams"


def managers_see_other_teams():
    """The owner's choice (Leads → Settings): team managers may read other teams' work too."""
    return ShopSetting.get(MANAGERS_SEE_ALL) == "1"


def _reads_all_teams(user):
    return getattr(user, "is_manager", False) and _role(user) == "seller" and managers_see_other_teams()


def _seen(user, person_column):
    """SQL for reading: `_ours`, widened to everybody's for a team's manager the owner lets see other teams.
    Every "may see" rule below says it with this and every "may change" rule with `_ours`, so that choice opens
    reading only: a manager still changes their own team's records alone."""
    return true() if _reads_all_teams(user) else _ours(user, person_column)


def _is_seen(user, person_id):
    """The same decision for one record already loaded (a record of nobody's stays as each rule says)."""
    return (person_id is not None and _reads_all_teams(user)) or _is_ours(user, person_id)


# --- Leads and what hangs from them ------------------------------------------------------------------------------


def _sellers_see_all():
    from sales.leads.rules import sellers_see_all

    return sellers_see_all()


def _lead_visible(user):
    role = _role(user)
    if role == "owner" or (role == "seller" and _sellers_see_all()):
        return true()
    if role == "seller":
        return _seen(user, Lead.seller_id)
    return false()


def _may_view_lead(user, lead):
    role = _role(user)
    return role == "owner" or (role == "seller" and (_is_seen(user, lead.seller_id) or _sellers_see_all()))


def _may_change_lead(user, lead):
    # Seeing everyone's leads (a shop setting) never means working them.
    role = _role(user)
    return role == "owner" or (role == "seller" and _is_ours(user, lead.seller_id))


def _visible_lead_ids(user):
    return select(Lead.id).where(_lead_visible(user))


def _lead_worked(user):
    """SQL: the leads the user works (the owner all, a seller their own or their team's, nobody else any)."""
    role = _role(user)
    if role == "owner":
        return true()
    return _ours(user, Lead.seller_id) if role == "seller" else false()


def _worked_lead_ids(user):
    return select(Lead.id).where(_lead_worked(user))


# --- Customers ------------------------------------------------------------------------------------------------------


def _customer_visible(user):
    # The address book is the shop's: everyone on the staff finds every customer.
    return true() if _staff(user) else false()


def _may_change_customer(user, customer):
    """Sellers change the customers they look after and those nobody looks after yet; support keeps the
    after-sale details of any customer up to date."""
    role = _role(user)
    if role in ("owner", "support"):
        return True
    return role == "seller" and (customer.owner_id is None or _is_ours(user, customer.owner_id))


def may_archive_customer(user, customer):
    role = _role(user)
    return role == "owner" or (role == "seller" and customer is not None and _is_ours(user, customer.owner_id))


def keeper_choices(user, customer, staff):
    """Who `user` may put in "looked after by": the owner anyone; a seller themselves on a customer nobody looks
    after yet; support anyone on such a customer. Nobody else takes another seller's customer over (M1)."""
    current = customer.owner_id if customer is not None else None
    if _role(user) == "owner":
        return [(0, "—")] + [(person.id, person.name) for person in staff]
    if current is not None and getattr(user, "is_manager", False) and _is_ours(user, current):
        # A team's manager hands a team customer to anyone in the team.
        return [(person.id, person.name) for person in staff if _is_ours(user, person.id)]
    if current is not None:
        return [(person.id, person.name) for person in staff if person.id == current]
    if _role(user) == "seller":
        return [(0, "—")] + [(person.id, person.name) for person in staff if _is_ours(user, person.id)]
    return [(0, "—")] + [(person.id, person.name) for person in staff]


# --- Contacts -------------------------------------------------------------------------------------------------------


def _contact_visible(user):
    role = _role(user)
    if role == "owner":
        return true()
    if role is None:
        return false()
    without_lead = true() if role == "support" else ContactLog.customer_id.in_(
        select(Customer.id).where(or_(_seen(user, Customer.owner_id), Customer.owner_id.is_(None))))
    return or_(_seen(user, ContactLog.user_id),
               and_(ContactLog.lead_id.is_not(None), ContactLog.lead_id.in_(_visible_lead_ids(user))),
               and_(ContactLog.lead_id.is_(None), without_lead))


def _may_view_contact(user, contact):
    role = _role(user)
    if role == "owner" or (role and _is_seen(user, contact.user_id)):
        return True
    if role is None:
        return False
    if contact.lead_id is not None:
        return _may_view_lead(user, contact.lead)
    return role == "support" or contact.customer.owner_id is None or _is_seen(user, contact.customer.owner_id)


def _may_change_contact(user, contact):
    role = _role(user)
    if role == "owner" or (role and _is_ours(user, contact.user_id)):
        return True
    return contact.lead_id is not None and _may_change_lead(user, contact.lead)


# --- Inquiries ------------------------------------------------------------------------------------------------------


def _inquiry_visible(user):
    """An inquiry about a lead is seen as the lead is; one about no lead as the customer's unlinked contacts are
    (a seller: the customers they look after and those nobody looks after yet). Owner and support answer them
    all, and whoever took an inquiry down keeps seeing it."""
    role = _role(user)
    if role in ("owner", "support"):
        return true()
    if role is None:
        return false()
    return or_(Inquiry.created_by_id == user.id,
               and_(Inquiry.lead_id.is_not(None), Inquiry.lead_id.in_(_visible_lead_ids(user))),
               and_(Inquiry.lead_id.is_(None), Inquiry.customer_id.in_(
                   select(Customer.id).where(_customer_changeable(user)))))


def _may_view_inquiry(user, inquiry):
    role = _role(user)
    if role in ("owner", "support") or (role and inquiry.created_by_id == user.id):
        return True
    if role is None:
        return False
    if inquiry.lead_id is not None:
        return _may_view_lead(user, inquiry.lead)
    return _may_change_customer(user, inquiry.customer)


def _may_change_inquiry(user, inquiry):
    """Answering: owner, support, who took it down, and the seller who works its lead (or looks after, or may
    take on, its customer)."""
    role = _role(user)
    if role in ("owner", "support") or (role and inquiry.created_by_id == user.id):
        return True
    if inquiry.lead_id is not None:
        return _may_change_lead(user, inquiry.lead)
    return _may_change_customer(user, inquiry.customer)


# --- Quotes, revisions, orders -------------------------------------------------------------------------------------


def _quote_visible(user):
    role = _role(user)
    if role in ("owner", "support"):
        return true()
    if role == "seller":
        return or_(_seen(user, Quote.seller_id),
                   and_(Quote.lead_id.is_not(None), Quote.lead_id.in_(_visible_lead_ids(user))))
    return false()


def _quote_changeable(user):
    role = _role(user)
    if role == "owner":
        return true()
    if role == "seller":
        return or_(_ours(user, Quote.seller_id),
                   and_(Quote.lead_id.is_not(None), Quote.lead_id.in_(_worked_lead_ids(user))))
    return false()


def _may_view_quote(user, quote):
    role = _role(user)
    if role in ("owner", "support"):
        return True
    return role == "seller" and (_is_seen(user, quote.seller_id)
                                 or (quote.lead is not None and _may_view_lead(user, quote.lead)))


def _may_change_quote(user, quote):
    """Whoever made the quote, or works the lead it is for, changes it, sends it and hands out its link."""
    role = _role(user)
    if role == "owner":
        return True
    return role == "seller" and (_is_ours(user, quote.seller_id)
                                 or (quote.lead is not None and _may_change_lead(user, quote.lead)))


def _order_visible(user):
    """Owner and support see every order; a seller those they sold, and those nobody is credited with (the till,
    an import) of the customers they look after."""
    role = _role(user)
    if role in ("owner", "support"):
        return true()
    if role != "seller":
        return false()
    return or_(_seen(user, Order.seller_id),
               and_(Order.seller_id.is_(None),
                    Order.customer_id.in_(select(Customer.id).where(_seen(user, Customer.owner_id)))))


def _may_view_order(user, order):
    role = _role(user)
    if role in ("owner", "support"):
        return True
    return role == "seller" and (_is_seen(user, order.seller_id)
                                 or (order.seller_id is None and _is_seen(user, order.customer.owner_id)))


def _may_change_order(user, order):
    role = _role(user)
    return role == "owner" or (role == "seller" and _is_ours(user, order.seller_id))


# --- After-sale --------------------------------------------------------------------------------------------------


def _after_sale_visible(user, customer_id, order_line_id, whose=_seen):
    """SQL condition for after-sale records (tickets, maintenance plans): owner and support see them all; a seller
    those of the customers they look after or about something they sold (`whose=_ours`: the ones they work)."""
    role = _role(user)
    if role in ("owner", "support"):
        return true()
    if role != "seller":
        return false()
    sold_by_user = select(OrderLine.id).join(Order).where(whose(user, Order.seller_id))
    return or_(customer_id.in_(select(Customer.id).where(whose(user, Customer.owner_id))),
               order_line_id.in_(sold_by_user))


def _may_view_after_sale(user, customer, order_line, whose=_is_seen):
    role = _role(user)
    if role in ("owner", "support"):
        return True
    if role != "seller":
        return False
    if whose(user, customer.owner_id):
        return True
    return bool(order_line and whose(user, order_line.order.seller_id))


def _ticket_visible(user):
    return _after_sale_visible(user, Ticket.customer_id, Ticket.order_line_id)


def _may_view_ticket(user, ticket):
    """Owner and support see every ticket; a seller those of the customers they look after or sold to."""
    return _may_view_after_sale(user, ticket.customer, ticket.order_line)


def _plan_visible(user):
    return _after_sale_visible(user, MaintenancePlan.customer_id, MaintenancePlan.order_line_id)


def _may_view_plan(user, plan):
    """A maintenance plan is seen as a ticket about the same sale would be; planning it is after-sale's job."""
    return _may_view_after_sale(user, plan.customer, plan.order_line)


def _after_sale_only(user, record):
    return _role(user) in ("owner", "support")


def _may_change_ticket(user, ticket):
    # Working a ticket is after-sale's job; a seller follows theirs and may add to the conversation.
    return _role(user) in ("owner", "support") or _may_view_after_sale(user, ticket.customer, ticket.order_line,
                                                                       whose=_is_ours)


def _promise_visible(user):
    role = _role(user)
    if role in ("owner", "support"):
        return true()
    if role != "seller":
        return false()
    return or_(_seen(user, Promise.seller_id),
               Promise.order_id.in_(select(Order.id).where(_seen(user, Order.seller_id))))


def _may_view_promise(user, promise):
    role = _role(user)
    return role in ("owner", "support") or (role == "seller" and (_is_seen(user, promise.seller_id)
                                                                  or _is_seen(user, promise.order.seller_id)))


def _may_change_promise(user, promise):
    role = _role(user)
    return role == "owner" or (role == "seller" and (_is_ours(user, promise.seller_id)
                                                     or _is_ours(user, promise.order.seller_id)))


def _survey_visible(user):
    role = _role(user)
    if role in ("owner", "support"):
        return true()
    return _seen(user, Survey.seller_id) if role == "seller" else false()


def _may_view_survey(user, survey):
    role = _role(user)
    return role in ("owner", "support") or (role == "seller" and _is_seen(user, survey.seller_id))


def _may_change_survey(user, survey):
    # Sending the survey invitation is after-sale's.
    return _role(user) in ("owner", "support")


# --- Campaigns, segments, goals, commissions ----------------------------------------------------------------------


def _shared_with_sellers(user):
    """Campaigns and saved segments are read by everyone who uses them; changed by who made them (M4)."""
    return true() if _role(user) in ("owner", "seller") else false()


def _may_use_shared(user, record):
    return _role(user) in ("owner", "seller")


def _may_change_own(user, record):
    role = _role(user)
    return role == "owner" or (role == "seller" and record.created_by_id == user.id)


def _goal_visible(user):
    role = _role(user)
    if role == "owner":
        return true()
    return _seen(user, Goal.seller_id) if role == "seller" else false()


def _may_set_goals(user, person_id):
    """Goals are set by the owner, and by a team's manager for the people of their team."""
    return _role(user) == "owner" or (getattr(user, "is_manager", False) and _is_ours(user, person_id))


def _may_view_goal(user, goal):
    return _role(user) == "owner" or (_role(user) == "seller" and _is_seen(user, goal.seller_id))


def _commission_visible(user):
    role = _role(user)
    if role == "owner":
        return true()
    # A seller reads the rules that apply to them: their own and those for everyone.
    return or_(_ours(user, CommissionRule.seller_id), CommissionRule.seller_id.is_(None)) if role == "seller" \
        else false()


def _may_view_commission(user, rule):
    return _role(user) == "owner" or (_role(user) == "seller" and (rule.seller_id is None or _is_ours(user, rule.seller_id)))


def _owner_only(user, record):
    return _role(user) == "owner"


# --- A person's numbers (the management reports) --------------------------------------------------------------


class Figures:
    """One person's numbers — performance, goals, funnel, commission, wins per product — as a record, so every
    report asks this module whose numbers a user may read, as every list asks whose records."""

    def __init__(self, person):
        self.person = person


def figures_visible(user):
    """SQL condition on User: the people whose numbers `user` may read (the owner everyone's, a seller their
    own)."""
    role = _role(user)
    if role == "owner":
        return true()
    return _seen(user, User.id) if role == "seller" else false()


def _may_view_figures(user, figures):
    role = _role(user)
    return role == "owner" or (role == "seller" and _is_seen(user, figures.person.id))


def teams_readable(user):
    """SQL condition on Team: the teams whose figures `user` may read as one (a report's team filter): the owner
    every team, a team's manager their own. A seller reads only their own numbers, never a team's."""
    role = _role(user)
    if role == "owner":
        return true()
    if _reads_all_teams(user):
        return true()
    return Team.id == user.team_id if getattr(user, "is_manager", False) else false()


def branches_readable(user):
    """SQL condition on Branch: the branches whose figures `user` may read as one: the owner's alone."""
    return true() if _role(user) == "owner" else false()


def may_read_unassigned(user):
    """The figures of "no team" (people in no team, deals with no seller) are the whole shop's: the owner's."""
    return _role(user) == "owner"


# --- Email ----------------------------------------------------------------------------------------------------------


def _outgoing_visible(user):
    """An email is seen by whoever sent it and by those who may see what it is about."""
    role = _role(user)
    if role == "owner":
        return true()
    if role is None:
        return false()
    about = OutgoingEmail.about
    return or_(
        OutgoingEmail.created_by_id == user.id,
        and_(about == "quote", OutgoingEmail.about_id.in_(select(Quote.id).where(_quote_visible(user)))),
        and_(about == "ticket", OutgoingEmail.about_id.in_(select(Ticket.id).where(_ticket_visible(user)))),
        and_(about == "survey", OutgoingEmail.about_id.in_(select(Survey.id).where(_survey_visible(user)))),
        and_(about == "campaign", _shared_with_sellers(user)),
        and_(about == "portal", OutgoingEmail.customer_id.in_(select(Customer.id).where(portal_visible(user)))),
    )


def about_of(email):
    """The record an email was sent from (a quote, a ticket…), whose rule decides who reads the email."""
    if email.about == "campaign":
        return db.session.get(Campaign, email.campaign_id) if email.campaign_id else None
    if email.about == "portal":
        customer = db.session.get(Customer, email.customer_id) if email.customer_id else None
        return PortalLink(customer) if customer else None
    model = {"quote": Quote, "ticket": Ticket, "survey": Survey}.get(email.about)
    return db.session.get(model, email.about_id) if model and email.about_id else None


def _may_view_outgoing(user, email):
    role = _role(user)
    if role == "owner" or (role and email.created_by_id == user.id):
        return True
    subject = about_of(email)
    return subject is not None and may_view(user, subject)


def _may_change_outgoing(user, email):
    """Retrying an email, or reading its links: the sender, the owner, or who may change what it is about."""
    role = _role(user)
    if role == "owner" or (role and email.created_by_id == user.id):
        return True
    subject = about_of(email)
    return subject is not None and may_change(user, subject)


def _incoming_visible(user):
    role = _role(user)
    if role == "owner":
        return true()
    if role is None:
        return false()
    return and_(or_(IncomingEmail.ticket_id.is_(None), IncomingEmail.ticket_id.in_(
                    select(Ticket.id).where(_ticket_visible(user)))),
                or_(IncomingEmail.lead_id.is_(None), IncomingEmail.lead_id.in_(_visible_lead_ids(user))))


LINK = re.compile(r"https?://\S+")


def without_links(text):
    """The text with every web address replaced: what is shown to someone who may not use its links."""
    from flask_babel import gettext as _

    return LINK.sub(_("[link hidden]"), text or "")


# --- Documents ----------------------------------------------------------------------------------------------


def _document_visible(user):
    """A document is seen by whoever sees what it is on; a product's documents by all the staff (the catalog
    is the shop's, and sellers hand its datasheets to customers)."""
    if not _staff(user):
        return false()
    return or_(Document.product_id.is_not(None),
               and_(Document.customer_id.is_not(None), _customer_visible(user)),
               Document.lead_id.in_(_visible_lead_ids(user)),
               Document.quote_id.in_(select(Quote.id).where(_quote_visible(user))))


def _may_view_document(user, document):
    return document.product_id is not None or may_view(user, document.holder)


def _may_change_document(user, document):
    """Attaching, replacing and removing it: whoever may change what it is on; the catalog's, who keeps it."""
    if document.product_id is not None:
        from sales.policy import can

        return can(user, "catalog.edit")
    return may_change(user, document.holder)


# --- The customer's portal link -------------------------------------------------------------------------------------


class PortalLink:
    """A customer's portal link, as a record: it opens every quotation of the customer, so it is issued and shown
    only by someone who may change every one of them (the same rule as a quote's own link, H3)."""

    def __init__(self, customer):
        self.customer = customer


def portal_visible(user):
    """SQL condition on Customer: the customers whose portal link `user` may see, issue and send."""
    role = _role(user)
    if role == "owner":
        return true()
    if role is None:
        return false()
    someone_elses_quote = exists().where(Quote.customer_id == Customer.id, ~_quote_changeable(user))
    return and_(_customer_changeable(user), ~someone_elses_quote)


def _may_view_portal(user, link):
    if _role(user) == "owner":
        return True
    return bool(db.session.scalar(select(exists().where(Customer.id == link.customer.id, portal_visible(user)))))


def _import_visible(user):
    role = _role(user)
    if role == "owner":
        return true()
    return ImportJob.user_id == user.id if role else false()


def _may_use_import(user, job):
    return _role(user) == "owner" or job.user_id == user.id


# --- The table -------------------------------------------------------------------------------------------------------


class Rule:
    def __init__(self, visible, may_view, may_change):
        self.visible, self.may_view, self.may_change = visible, may_view, may_change


def _via_lead(model):
    """Negotiation items are the deal's: seen and changed as their lead is."""
    def lead_of(item):
        return db.session.get(Lead, item.lead_id)

    return Rule(lambda user: model.lead_id.in_(_visible_lead_ids(user)),
                lambda user, item: _may_view_lead(user, lead_of(item)),
                lambda user, item: _may_change_lead(user, lead_of(item)))


RULES = {
    Customer: Rule(_customer_visible, lambda user, c: _staff(user), _may_change_customer),
    Lead: Rule(_lead_visible, _may_view_lead, _may_change_lead),
    ContactLog: Rule(_contact_visible, _may_view_contact, _may_change_contact),
    Quote: Rule(_quote_visible, _may_view_quote, _may_change_quote),
    QuoteRevision: Rule(lambda user: QuoteRevision.quote_id.in_(select(Quote.id).where(_quote_visible(user))),
                        lambda user, r: _may_view_quote(user, r.quote),
                        lambda user, r: _may_change_quote(user, r.quote)),
    Order: Rule(_order_visible, _may_view_order, _may_change_order),
    NegotiationNote: _via_lead(NegotiationNote),
    Objection: _via_lead(Objection),
    Concession: _via_lead(Concession),
    DealCompetitor: _via_lead(DealCompetitor),
    DecisionMaker: _via_lead(DecisionMaker),
    Ticket: Rule(_ticket_visible, _may_view_ticket, _may_change_ticket),
    MaintenancePlan: Rule(_plan_visible, _may_view_plan, _after_sale_only),
    Inquiry: Rule(_inquiry_visible, _may_view_inquiry, _may_change_inquiry),
    Promise: Rule(_promise_visible, _may_view_promise, _may_change_promise),
    Survey: Rule(_survey_visible, _may_view_survey, _may_change_survey),
    Campaign: Rule(_shared_with_sellers, _may_use_shared, _may_change_own),
    Segment: Rule(_shared_with_sellers, _may_use_shared, _may_change_own),
    Goal: Rule(_goal_visible, _may_view_goal, lambda user, goal: _may_set_goals(user, goal.seller_id)),
    CommissionRule: Rule(_commission_visible, _may_view_commission, _owner_only),
    OutgoingEmail: Rule(_outgoing_visible, _may_view_outgoing, _may_change_outgoing),
    IncomingEmail: Rule(_incoming_visible, lambda user, e: _staff(user), _owner_only),
    # Changing the link needs what seeing it does (may_change asks may_view first: asked once, not twice).
    PortalLink: Rule(portal_visible, _may_view_portal, lambda user, link: True),
    # Changing a person's figures is setting their goals.
    Figures: Rule(figures_visible, _may_view_figures, lambda user, f: _may_set_goals(user, f.person.id)),
    ImportJob: Rule(_import_visible, _may_use_import, _may_use_import),
    Document: Rule(_document_visible, _may_view_document, _may_change_document),
}


def assignees(user, people):
    """Whom `user` may hand work to (a lead's seller): a team's manager, the people of their team — work they
    reassign stays inside the team; anyone else, the people offered."""
    if getattr(user, "is_manager", False) and _role(user) != "owner":
        return [person for person in people if _is_ours(user, person.id)]
    return list(people)


def _rule(kind):
    try:
        return RULES[kind]
    except KeyError:
        raise LookupError(f"sales/records.py has no rule for {kind.__name__}: add one to RULES") from None


def visible(model, user):
    """SQL condition: the rows of `model` that `user` may see. Use it in every list, count, search and choice."""
    return _rule(model).visible(user)


def may_view(user, record):
    return _staff(user) and _rule(type(record)).may_view(user, record)


def may_change(user, record):
    return _staff(user) and _rule(type(record)).may_view(user, record) and _rule(type(record)).may_change(user, record)


def _customer_changeable(user):
    role = _role(user)
    if role in ("owner", "support"):
        return true()
    return or_(_ours(user, Customer.owner_id), Customer.owner_id.is_(None)) if role == "seller" else false()


def _created_by_user(model):
    def condition(user):
        role = _role(user)
        if role == "owner":
            return true()
        return model.created_by_id == user.id if role == "seller" else false()
    return condition


def _promise_changeable(user):
    role = _role(user)
    if role == "owner":
        return true()
    if role != "seller":
        return false()
    return or_(_ours(user, Promise.seller_id),
               Promise.order_id.in_(select(Order.id).where(_ours(user, Order.seller_id))))


def _outgoing_changeable(user):
    role = _role(user)
    if role == "owner":
        return true()
    about = OutgoingEmail.about
    return or_(
        OutgoingEmail.created_by_id == user.id,
        and_(about == "quote", OutgoingEmail.about_id.in_(select(Quote.id).where(_quote_changeable(user)))),
        and_(about == "ticket", OutgoingEmail.about_id.in_(select(Ticket.id).where(_ticket_visible(user)))),
        and_(about == "survey", true() if role == "support" else false()),
        and_(about == "portal", OutgoingEmail.customer_id.in_(select(Customer.id).where(portal_visible(user)))),
        and_(about == "campaign", OutgoingEmail.campaign_id.in_(
            select(Campaign.id).where(_created_by_user(Campaign)(user)))),
    )


# SQL forms of may_change, for choice lists and bulk actions over a list ("close these 12 leads").
CHANGEABLE = {
    Customer: _customer_changeable,
    # The condition itself, not `id IN (those ids)`: for the owner that read every lead's id into a temporary
    # index on each board (7 ms at 100 000 leads).
    Lead: _lead_worked,
    Quote: _quote_changeable,
    Order: lambda user: true() if _role(user) == "owner" else (
        _ours(user, Order.seller_id) if _role(user) == "seller" else false()),
    # Whoever follows a ticket (not only reads it) may add to it; working it is a role (policy.py).
    Ticket: lambda user: _after_sale_visible(user, Ticket.customer_id, Ticket.order_line_id, whose=_ours),
    Promise: _promise_changeable,
    Campaign: _created_by_user(Campaign),
    Segment: _created_by_user(Segment),
    OutgoingEmail: _outgoing_changeable,
}


def changeable(model, user):
    """SQL condition: the rows of `model` that `user` may change (always within what they may see)."""
    try:
        condition = CHANGEABLE[model]
    except KeyError:
        raise LookupError(f"sales/records.py has no SQL change rule for {model.__name__}: "
                          f"add one to CHANGEABLE, or check may_change(user, record) per record") from None
    return and_(visible(model, user), condition(user))


def hidden_count(model, user, condition):
    """How many rows matching `condition` the user may not see ("2 more items of other sellers")."""
    from sqlalchemy import func, not_

    rule = visible(model, user)
    return db.session.scalar(select(func.count()).select_from(model).where(condition, not_(rule))) or 0


def get_or_404(model, record_id, change=False, options=()):
    """The record for a view: 404 if missing or not the user's to see, 403 if seen but not theirs to change.
    `options`: loader options (what the page shows of the record, loaded in the same statement)."""
    from flask_login import current_user

    record = db.session.get(model, record_id, options=options) if isinstance(record_id, int) else None
    if record is None or not may_view(current_user, record):
        abort(404)
    if change and not may_change(current_user, record):
        abort(403)
    return record


def may_read_history(user, record, settings=False):
    """Who reads a record's Changes panel: whoever may see the record itself. The catalog is everyone's; the
    shop's people, its pipeline stages and its settings are the owner's (they keep them)."""
    from models import PipelineStage, Product, User

    if not _staff(user):
        return False
    if settings or isinstance(record, (User, PipelineStage)):
        return _role(user) == "owner"
    if isinstance(record, Product):
        return True
    if type(record) in RULES:
        return may_view(user, record)
    return False
