"""Bulk actions on the tickets list: set the status (close 30 at once), the priority, or who works them — each
ticket changed by the same rules as its own page (the SLA clock, the survey on closing, its audit-log rows),
undone within ten minutes. The steps, the selection and the undo are sales/bulk.py's; which tickets a user may
change is sales/records.py's, and working tickets at all is a role (tickets.work)."""
from flask_babel import gettext as _, lazy_gettext as _l, ngettext

from models import Ticket
from sales import bulk
from sales.bulk import Choice
from sales.support import rules
from sales.support.forms import PRIORITY_CHOICES, PRIORITY_NAMES, STATUS_CHOICES, STATUS_NAMES
from sales.texts import Nn_, stored, stored_label

# What each action changes on a ticket, so the undo puts it all back (the SLA clock too).
FIELDS = {
    "status": ("status", "waiting_since", "resolved_at", "closed_at", "due_at"),
    "priority": ("priority", "due_at"),
    "assign": ("assignee_id",),
}


class TicketKind(bulk.Kind):
    model = Ticket
    pick_name = "ticket_id"
    list_endpoint = "support.index"
    permission = "tickets.work"
    filter_fields = ("view", "kind", "q")
    shown_with = ("customer",)
    list_title = _l("Tickets")
    which_title = _l("Which tickets")

    def statement(self, user, form):
        from sales.support.views import list_statement

        return list_statement(form)[0]

    def options(self, user):
        return [
            (_("Status"), [(f"status:{value}", label) for value, label in STATUS_CHOICES]),
            (_("Priority"), [(f"priority:{value}", label) for value, label in PRIORITY_CHOICES]),
            (_("Assigned to"), [(f"assign:{person.id}", person.name) for person in rules.support_staff()]
             + [("assign:0", _("Nobody yet"))]),
        ]

    def choose(self, user, value):
        action, _sep, rest = (value or "").partition(":")
        if action == "status" and rest in STATUS_NAMES:
            return Choice(value, "status", rest)
        if action == "priority" and rest in PRIORITY_NAMES:
            return Choice(value, "priority", rest)
        if action == "assign":
            if rest == "0":
                return Choice(value, "assign", None)
            person_id = bulk.id_or_none(rest)
            person = next((p for p in rules.support_staff() if p.id == person_id), None)
            if person is not None:
                return Choice(value, "assign", person)
        return None

    def problem(self, ticket, choice):
        if (choice.action == "status" and choice.target in ("resolved", "closed") and ticket.kind == "complaint"
                and not ticket.root_cause):
            return _("A complaint needs its root cause before it is resolved.")
        return None

    def fields(self, choice):
        return FIELDS[choice.action]

    def change(self, user, ticket, choice, extra):
        if choice.action == "status":
            rules.change_status(ticket, choice.target)   # `problem` kept out the complaints it refuses
        elif choice.action == "priority":
            rules.change_priority(ticket, choice.target)
        else:
            ticket.assignee_id = choice.target.id if choice.target else None

    def label(self, ticket):
        return f"{ticket.number} · {ticket.title} — {ticket.customer.name}"

    def question(self, choice, count):
        if choice.action == "status":
            return ngettext("Set %(num)d ticket to “%(status)s”?", "Set %(num)d tickets to “%(status)s”?", count,
                            status=STATUS_NAMES[choice.target])
        if choice.action == "priority":
            return ngettext("Give %(num)d ticket the priority “%(priority)s”?",
                            "Give %(num)d tickets the priority “%(priority)s”?", count,
                            priority=PRIORITY_NAMES[choice.target])
        if choice.target is None:
            return ngettext("Leave %(num)d ticket with nobody assigned?",
                            "Leave %(num)d tickets with nobody assigned?", count)
        return ngettext("Assign %(num)d ticket to %(name)s?", "Assign %(num)d tickets to %(name)s?", count,
                        name=choice.target.name)

    def summary(self, choice, count):
        # Stored on the BulkAction and shown in the reader's language (sales/texts.py).
        if choice.action == "status":
            return stored(Nn_("%(num)d ticket set to “%(status)s”.", "%(num)d tickets set to “%(status)s”."),
                          num=count, status=stored_label(STATUS_NAMES[choice.target]))
        if choice.action == "priority":
            return stored(Nn_("%(num)d ticket now has the priority “%(priority)s”.",
                              "%(num)d tickets now have the priority “%(priority)s”."), num=count,
                          priority=stored_label(PRIORITY_NAMES[choice.target]))
        if choice.target is None:
            return stored(Nn_("%(num)d ticket has nobody assigned now.", "%(num)d tickets have nobody assigned now."),
                          num=count)
        return stored(Nn_("%(num)d ticket assigned to %(name)s.", "%(num)d tickets assigned to %(name)s."),
                      num=count, name=choice.target.name, limit=300)

    def left_out_text(self, count):
        return ngettext("%(num)d selected ticket is left out: you may not change it.",
                        "%(num)d selected tickets are left out: you may not change them.", count)

    def nothing_ticked_text(self):
        return _("Tick the tickets to change first.")

    def none_allowed_text(self, count):
        return ngettext("You may not change the %(num)d selected ticket.",
                        "You may not change any of the %(num)d selected tickets.", count)

    def undone_text(self, count):
        return ngettext("Undone: %(num)d ticket is back as it was.", "Undone: %(num)d tickets are back as they were.",
                        count)

    def kept_text(self, count):
        return ngettext("%(num)d ticket was changed since and is left as it is.",
                        "%(num)d tickets were changed since and are left as they are.", count)


KIND = TicketKind()
