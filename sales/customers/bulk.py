"""Bulk actions on the customers list: tag and untag, archive and restore, hand over to another keeper — each
customer changed as its own page changes it (so each gets its audit-log rows), undone within ten minutes. The
steps, the selection and the undo are sales/bulk.py's; who may do what to which customer is sales/records.py's
(`changeable`, `may_archive_customer`, `keeper_choices`)."""
from flask import g
from flask_babel import gettext as _, lazy_gettext as _l, ngettext

from models import Customer
from sales import bulk, records
from sales.bulk import Choice
from sales.customers import rules
from sales.customers.forms import split_tags
from sales.policy import can
from sales.texts import Nn_, stored

TAG_LENGTH = 40   # Tag.name


class CustomerKind(bulk.Kind):
    model = Customer
    pick_name = "customer_id"
    list_endpoint = "customers.index"
    permission = "customers.edit"
    filter_fields = ("q", "tag", "show", "field", "value")
    extra_template = "customers/_bulk_tag_name.html"
    shown_with = ("tags",)
    list_title = _l("Customers")
    which_title = _l("Which customers")

    def statement(self, user, form):
        from sales.customers.views import list_statement

        return list_statement(form)[0]

    def _keepers(self):
        # Asked once per request, not once per customer checked.
        if "bulk_keepers" not in g:
            g.bulk_keepers = rules.staff_people()
        return g.bulk_keepers

    def options(self, user, tags=None):
        tags = rules.popular_tags(limit=50) if tags is None else tags
        options = [
            (_("Add a tag"), [(f"tag:{name}", name) for name in tags] + [("tag", _("New tag…"))]),
            (_("Remove a tag"), [(f"untag:{name}", name) for name in tags]),
        ]
        if can(user, "customers.archive"):
            options.append((_("Archive"), [("archive", _("Archive")), ("restore", _("Restore from the archive"))]))
        # Offered when records.py lets this user hand some customer to someone else; per customer it decides
        # again (`may`), and the confirmation counts those left out.
        if user.role == "owner" or getattr(user, "is_manager", False):
            options.append((_("Looked after by"), [(f"keeper:{person.id}", person.name)
                                                   for person in self._keepers()]))
        return options

    def choose(self, user, value):
        action, _sep, rest = (value or "").partition(":")
        if action in ("tag", "untag"):
            names = split_tags(rest)
            if action == "tag" and not rest:
                return Choice("tag", "tag")          # a new tag: its name is asked on the confirmation
            if len(names) == 1 and len(names[0]) <= TAG_LENGTH:
                return Choice(value, action, names[0])
        if action in ("archive", "restore") and not rest and can(user, "customers.archive"):
            return Choice(value, action)
        if action == "keeper":
            person_id = bulk.id_or_none(rest)
            person = next((p for p in self._keepers() if p.id == person_id), None)
            if person is not None:
                return Choice(value, "keeper", person)
        return None

    def may(self, user, customer, choice):
        if choice.action in ("archive", "restore"):
            return records.may_archive_customer(user, customer)
        if choice.action == "keeper":
            allowed = records.keeper_choices(user, customer, self._keepers())
            return any(person_id == choice.target.id for person_id, _name in allowed)
        return True

    def problem(self, customer, choice):
        if choice.action == "tag" and choice.target in customer.tag_names:
            return _("they have this tag already")
        if choice.action == "untag" and choice.target not in customer.tag_names:
            return _("they do not have this tag")
        if choice.action == "archive" and customer.is_archived:
            return _("they are archived already")
        if choice.action == "restore" and not customer.is_archived:
            return _("they are not archived")
        if choice.action == "keeper" and customer.owner_id == choice.target.id:
            return _("they are looked after by this person already")
        return None

    def read_extra(self, form, choice):
        if choice.action != "tag" or choice.target:
            return {"tag": choice.target}, None
        names = split_tags(form.get("tag_name"))
        if len(names) != 1 or len(names[0]) > TAG_LENGTH:
            return {}, _("Type one tag, up to %(num)d letters.", num=TAG_LENGTH)
        return {"tag": names[0]}, None

    def fields(self, choice):
        return {"archive": ("archived_at",), "restore": ("archived_at",), "keeper": ("owner_id",)}.get(
            choice.action, ())

    def snapshot(self, customer, choice, extra):
        if choice.action in ("tag", "untag"):
            tag = extra["tag"] if choice.action == "tag" else choice.target
            return {"tag": tag, "had": tag in customer.tag_names}
        return super().snapshot(customer, choice, extra)

    def change(self, user, customer, choice, extra):
        if choice.action == "tag":
            customer.tags = rules.tags_by_name(customer.tag_names + [extra["tag"]]) \
                if extra["tag"] not in customer.tag_names else customer.tags
        elif choice.action == "untag":
            customer.tags = [tag for tag in customer.tags if tag.name != choice.target]
        elif choice.action == "archive":
            rules.archive(customer)
        elif choice.action == "restore":
            rules.restore(customer)
        else:
            customer.owner_id = choice.target.id

    def restore(self, user, customer, before, action):
        if "tag" in before:
            # Only the one tag goes back: tags given or taken since by anyone stay as they are.
            names = [name for name in customer.tag_names if name != before["tag"]]
            customer.tags = rules.tags_by_name(names + [before["tag"]] if before["had"] else names)
        else:
            super().restore(user, customer, before, action)

    def label(self, customer):
        return customer.name

    def question(self, choice, count):
        if choice.action == "tag":
            if choice.target:
                return ngettext("Tag %(num)d customer “%(tag)s”?", "Tag %(num)d customers “%(tag)s”?", count,
                                tag=choice.target)
            return ngettext("Add a tag to %(num)d customer?", "Add a tag to %(num)d customers?", count)
        if choice.action == "untag":
            return ngettext("Remove the tag “%(tag)s” from %(num)d customer?",
                            "Remove the tag “%(tag)s” from %(num)d customers?", count, tag=choice.target)
        if choice.action == "archive":
            return ngettext("Archive %(num)d customer?", "Archive %(num)d customers?", count)
        if choice.action == "restore":
            return ngettext("Restore %(num)d customer from the archive?",
                            "Restore %(num)d customers from the archive?", count)
        return ngettext("Hand %(num)d customer to %(name)s?", "Hand %(num)d customers to %(name)s?", count,
                        name=choice.target.name)

    def summary(self, choice, count):
        # Stored on the BulkAction and shown in the reader's language (sales/texts.py).
        if choice.action == "tag":
            return stored(Nn_("%(num)d customer tagged.", "%(num)d customers tagged."), num=count)
        if choice.action == "untag":
            return stored(Nn_("Tag “%(tag)s” removed from %(num)d customer.",
                              "Tag “%(tag)s” removed from %(num)d customers."), num=count, tag=choice.target,
                          limit=300)
        if choice.action == "archive":
            return stored(Nn_("%(num)d customer archived.", "%(num)d customers archived."), num=count)
        if choice.action == "restore":
            return stored(Nn_("%(num)d customer restored.", "%(num)d customers restored."), num=count)
        return stored(Nn_("%(num)d customer handed to %(name)s.", "%(num)d customers handed to %(name)s."),
                      num=count, name=choice.target.name, limit=300)

    def left_out_text(self, count):
        return ngettext("%(num)d selected customer is left out: you may not change it.",
                        "%(num)d selected customers are left out: you may not change them.", count)

    def nothing_ticked_text(self):
        return _("Tick the customers to change first.")

    def none_allowed_text(self, count):
        return ngettext("You may not change the %(num)d selected customer.",
                        "You may not change any of the %(num)d selected customers.", count)

    def undone_text(self, count):
        return ngettext("Undone: %(num)d customer is back as it was.",
                        "Undone: %(num)d customers are back as they were.", count)

    def kept_text(self, count):
        return ngettext("%(num)d customer was changed since and is left as it is.",
                        "%(num)d customers were changed since and are left as they are.", count)


KIND = CustomerKind()
