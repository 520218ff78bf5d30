"""Bulk actions on leads: reassign, move to a stage, close as lost — many at once, each lead changed exactly as
the single-lead views change it (the same domain functions, so every lead gets its stage history and audit-log
rows), and undone within ten minutes. The steps, the selection and the undo are sales/bulk.py's, the same for
every list; this is what is particular to leads.
"""
from flask_babel import gettext as _, lazy_gettext as _l, ngettext

from extensions import db
from models import Lead, PipelineStage
from sales import bulk, records
from sales.bulk import UNDO_WINDOW, Choice, get_own_action_or_404, undoable  # noqa: F401 (used by callers)
from sales.leads import rules
from sales.leads.stages import ensure_default_stages, move_to_stage
from sales.texts import N_, Nn_, names_param, stored
from sales.negotiation import rules as negotiation  # a module, not a name: negotiation imports the leads package too

ACTIONS = ("reassign", "move", "lose")
# What each action changes on a lead, so the undo knows what to put back.
FIELDS = {
    "reassign": ("seller_id",),
    "move": ("stage_id",),
    "lose": ("stage_id", "won_amount", "lost_reason", "lost_to_id", "close_reason"),
}


class LeadKind(bulk.Kind):
    model = Lead
    pick_name = "lead_id"
    list_endpoint = "leads.index"
    permission = "leads.edit"
    filter_fields = ("q", "stage", "seller", "source", "priority", "outcome")
    extra_template = "leads/_bulk_lost_reason.html"
    list_title = _l("Leads")
    which_title = _l("Which leads")
    shown_with = ("customer",)

    @property
    def lost_reasons(self):
        from sales.negotiation.forms import LOST_REASON_CHOICES

        return LOST_REASON_CHOICES

    def statement(self, user, form):
        from sales.leads.views import _filters

        filters = _filters(form)
        return rules.lead_statement(user, **filters, include_closed=bool(filters["stage_id"]))

    def options(self, user, stages=None, sellers=None):
        stages = [(f"move:{s.id}", s.shown_name) for s in (ensure_default_stages() if stages is None else stages)
                  if s.kind != "lost"]
        people = assignees(user, sellers)
        # A seller alone has no one to hand leads to.
        handover = [(f"reassign:{u.id}", u.name) for u in people] if [u for u in people if u.id != user.id] else []
        return [(_("Move to stage"), stages), (_("Reassign to"), handover), (_("Close"), [("lose", _("Close as lost…"))])]

    def choose(self, user, value):
        """"move:<stage id>", "reassign:<seller id>" or "lose"."""
        action, _sep, ident = (value or "").partition(":")
        if action == "lose":
            return Choice("lose", "lose")
        if action == "move":
            stage = db.session.get(PipelineStage, bulk.id_or_none(ident) or 0)
            if stage is not None and stage.active:
                # Moving to a lost stage is losing: it asks why, like every other way of losing a lead.
                return Choice("lose", "lose") if stage.kind == "lost" else Choice(value, "move", stage)
        if action == "reassign":
            seller = seller_named(user, bulk.id_or_none(ident))
            if seller is not None:
                return Choice(value, "reassign", seller)
        return None

    def fields(self, choice):
        return FIELDS[choice.action]

    def read_extra(self, form, choice):
        if choice.action != "lose":
            return {}, None
        from sales.negotiation.forms import LOST_REASON_NAMES

        reason = form.get("lost_reason")
        if reason not in LOST_REASON_NAMES:
            return {}, _("Say why these leads were lost.")
        return {"lost_reason": reason}, None

    def change(self, user, lead, choice, extra):
        if choice.action == "reassign":
            lead.seller_id = choice.target.id
        elif choice.action == "move":
            move_to_stage(lead, choice.target, user_id=user.id)
        else:
            negotiation.close_lost(lead, extra["lost_reason"], None, None, None, None, user.id,
                       goal=stored(N_("Deal lost: %(title)s"), title=lead.title, limit=300))

    def restore(self, user, lead, before, action):
        for field, value in before.items():
            if field == "stage_id":
                stage = db.session.get(PipelineStage, value)
                if stage is not None:
                    move_to_stage(lead, stage, user_id=user.id)   # a move again, with its stage history
            else:
                setattr(lead, field, bulk.from_json(Lead, field, value))

    def after_change(self, lead):
        rules.refresh_priority(lead)

    def label(self, lead):
        return f"{lead.title} — {lead.customer.name}"

    def question(self, choice, count):
        if choice.action == "move":
            return ngettext("Move %(num)d lead to %(stage)s?", "Move %(num)d leads to %(stage)s?", count,
                            stage=choice.target.shown_name)
        if choice.action == "reassign":
            return ngettext("Reassign %(num)d lead to %(name)s?", "Reassign %(num)d leads to %(name)s?", count,
                            name=choice.target.name)
        return ngettext("Close %(num)d lead as lost?", "Close %(num)d leads as lost?", count)

    def summary(self, choice, count):
        # Stored on the BulkAction and shown in the reader's language (sales/texts.py), the stage's name too.
        if choice.action == "reassign":
            return stored(Nn_("%(num)d lead reassigned to %(name)s.", "%(num)d leads reassigned to %(name)s."),
                          num=count, name=choice.target.name, limit=300)
        if choice.action == "move":
            return stored(Nn_("%(num)d lead moved to %(stage)s.", "%(num)d leads moved to %(stage)s."),
                          num=count, stage=names_param(choice.target), limit=300)
        return stored(Nn_("%(num)d lead closed as lost.", "%(num)d leads closed as lost."), num=count)

    def left_out_text(self, count):
        return ngettext("%(num)d selected lead is left out: you may not change it.",
                        "%(num)d selected leads are left out: you may not change them.", count)

    def nothing_ticked_text(self):
        return _("Tick the leads to change first.")

    def none_allowed_text(self, count):
        return ngettext("You may not change the %(num)d selected lead.",
                        "You may not change any of the %(num)d selected leads.", count)

    def undone_text(self, count):
        return ngettext("Undone: %(num)d lead is back as it was.", "Undone: %(num)d leads are back as they were.",
                        count)

    def kept_text(self, count):
        return ngettext("%(num)d lead was changed since and is left as it is.",
                        "%(num)d leads were changed since and are left as they are.", count)


KIND = LeadKind()


def assignees(user, sellers=None):
    """Sellers a bulk reassignment may hand leads to: the same choice the lead form gives this user.
    `sellers`: rules.sellers(), when the page has read them already."""
    if user.role == "owner":
        return rules.sellers() if sellers is None else list(sellers)
    if user.is_manager:
        return records.assignees(user, rules.sellers() if sellers is None else sellers)
    return [user]  # a seller works their own leads: only the owner or a team's manager hands them on


def seller_named(user, seller_id):
    return next((u for u in assignees(user) if u.id == seller_id), None) if seller_id else None
