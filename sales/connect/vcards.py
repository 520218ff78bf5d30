"""vCards: a customer (or a segment of them) as a .vcf file a phone's contacts take in, and .vcf files from a
phone read back in — vCard 3.0 and 4.0, several cards per file — through the customer import's duplicate
rules (same email, phone or name as an active customer: merge into it, filling only blanks, or skip it).

Reading and writing go through `vobject`, which handles the format's escaping, line folding and grouping.
"""
import re
from dataclasses import dataclass, field
from typing import Optional

import vobject
from flask_babel import gettext as _

from extensions import db
from models import Customer, normalise_email
from sales.customers.rules import tags_by_name
from sales.languages import language_from_text
from sales.leads import imports

MAX_BYTES = 4 * 1024 * 1024
MAX_CARDS = 5000


class VCardProblem(ValueError):
    """The file is not vCards at all."""


# --- Out ---------------------------------------------------------------------------------------------------------

def _card(customer):
    card = vobject.vCard()
    card.add("uid").value = f"mostrador-customer-{customer.id}"
    card.add("fn").value = customer.name
    if customer.kind == "company":
        card.add("n").value = vobject.vcard.Name(family=customer.contact_person or "")
        card.add("org").value = [customer.name]
    else:
        # "Ana García Ruiz": the given name first, then the surnames (both of them, in Spanish).
        given, _sep, family = customer.name.partition(" ")
        card.add("n").value = vobject.vcard.Name(family=family, given=given)
    for number, kind in ((customer.mobile, "CELL"), (customer.phone, "VOICE")):
        if number:
            tel = card.add("tel")
            tel.value, tel.type_param = number, kind
    if customer.email:
        email = card.add("email")
        email.value, email.type_param = customer.email, "INTERNET"
    if customer.street or customer.city or customer.postal_code:
        card.add("adr").value = vobject.vcard.Address(street=customer.street or "", city=customer.city or "",
                                                      region=customer.region or "", code=customer.postal_code or "",
                                                      country=customer.country or "")
    if customer.tags:
        card.add("categories").value = customer.tag_names
    if customer.notes:
        card.add("note").value = customer.notes
    if customer.language:
        # RFC 6350's LANG (a language tag); a phone that does not know it keeps the card as it is.
        card.add("lang").value = customer.language
    card.add("rev").value = customer.updated_at.strftime("%Y%m%dT%H%M%SZ")
    return card


def vcard_text(customers) -> str:
    """vCard 3.0, the version every phone reads; CRLF line ends as the format wants."""
    return "".join(_card(customer).serialize() for customer in customers)


# --- In ----------------------------------------------------------------------------------------------------------

@dataclass
class Contact:
    """One card, read and cleaned the way a customer is stored."""

    number: int                                  # its position in the file, for the report
    name: str = ""
    company: Optional[str] = None
    is_company: bool = False
    email: Optional[str] = None
    mobile: Optional[str] = None
    phone: Optional[str] = None
    street: Optional[str] = None
    postal_code: Optional[str] = None
    city: Optional[str] = None
    region: Optional[str] = None
    country: Optional[str] = None
    notes: Optional[str] = None
    language: Optional[str] = None
    tags: list = field(default_factory=list)


def _types(prop):
    values = prop.params.get("TYPE", [])
    return {part.strip().strip('"').lower() for value in values for part in value.split(",")}


def _preference(prop):
    try:
        return int(prop.params.get("PREF", ["100"])[0])
    except ValueError:
        return 100


def _text(value):
    if isinstance(value, list):
        value = " ".join(str(v) for v in value if v)
    return re.sub(r"\s+", " ", str(value or "")).strip() or None


def _contact(number, card):
    contents = card.contents
    contact = Contact(number=number)
    org = _text(contents["org"][0].value) if "org" in contents else None
    fn = _text(card.fn.value) if "fn" in contents else None
    if not fn and "n" in contents:
        n = card.n.value
        fn = _text(f"{n.given} {n.family}") if not isinstance(n, str) else _text(n.replace(";", " "))
    contact.name = (fn or org or "")[:160]
    contact.is_company = bool(org) and org == contact.name
    contact.company = org if org and not contact.is_company else None     # a person's employer
    for prop in contents.get("email", []):
        address = normalise_email(_text(prop.value) or "")
        if address and not contact.email:
            contact.email = address[:254]
    for prop in contents.get("tel", []):
        number_text = _text(prop.value) or ""
        number_text = number_text.removeprefix("tel:")[:40]
        if not re.search(r"\d{3}", number_text):
            continue
        if "cell" in _types(prop) and not contact.mobile:
            contact.mobile = number_text
        elif not contact.phone:
            contact.phone = number_text
        elif not contact.mobile:
            contact.mobile = number_text
    if "adr" in contents:
        address = contents["adr"][0].value
        if not isinstance(address, str):
            contact.street = _text(address.street)
            contact.city, contact.region = _text(address.city), _text(address.region)
            contact.postal_code, contact.country = _text(address.code), _text(address.country)
    if "note" in contents:
        contact.notes = str(card.note.value).strip()[:5000] or None
    # LANG may come several times, the preferred one with the lowest PREF: the first Mostrador speaks is theirs.
    for prop in sorted(contents.get("lang", []), key=_preference):
        contact.language = language_from_text(_text(prop.value) or "")
        if contact.language:
            break
    for prop in contents.get("categories", []):
        values = prop.value if isinstance(prop.value, list) else str(prop.value).split(",")
        contact.tags += [v.strip()[:40] for v in values if v and v.strip()]
    return contact


def read_vcards(raw: bytes):
    """(contacts, problems): every card of the file read, and (card number, message) for each one left out."""
    if len(raw) > MAX_BYTES:
        raise VCardProblem(_("The file is larger than 4 MB."))
    text = imports.decode(raw)
    if "BEGIN:VCARD" not in text.upper():
        raise VCardProblem(_("This is not a vCard (.vcf) file."))
    contacts, problems = [], []
    try:
        for number, card in enumerate(vobject.readComponents(text, ignoreUnreadable=True), start=1):
            if number > MAX_CARDS:
                problems.append((number, _("Only the first %(count)d contacts are read.", count=MAX_CARDS)))
                break
            if card.name != "VCARD":
                continue
            contact = _contact(number, card)
            if not contact.name:
                problems.append((number, _("A contact without a name is left out.")))
                continue
            if contact.email and not imports.looks_like_email(contact.email):
                problems.append((number, _("%(name)s: “%(value)s” is not an email address.", name=contact.name,
                                           value=contact.email)))
                continue
            contacts.append(contact)
    except (vobject.base.ParseError, ValueError, KeyError, AttributeError) as error:
        problems.append((len(contacts) + len(problems) + 1, _("The file breaks off here: %(error)s",
                                                               error=str(error)[:200])))
    return contacts, problems


class _Checked:
    """The duplicate rules of the customer import read `email`, `phone` and `customer` (the name)."""

    def __init__(self, contact, phone):
        self.email, self.phone, self.customer, self.city = contact.email, phone, contact.name, contact.city


def import_contacts(contacts, duplicates, importer):
    """Add the contacts as customers; `duplicates` is "merge" or "skip" (for customers already on file; the
    same person twice in one file is always merged). Returns the counts."""
    existing = imports.existing_customers()
    created_index = {"email": {}, "phone": {}, "name": {}}
    counts = {"created": 0, "merged": 0, "skipped": 0}
    for contact in contacts:
        found, is_existing = None, False
        for phone in (contact.mobile, contact.phone):
            found, is_existing = imports.match_customer(_Checked(contact, phone), existing, created_index)
            if found is not None:
                break
        if found is not None and is_existing and duplicates == "skip":
            counts["skipped"] += 1
        elif found is not None:
            _fill_blanks(found, contact)
            counts["merged"] += 1
        else:
            customer = Customer(name=contact.name, kind="company" if contact.is_company else "person",
                                owner_id=importer.id if importer.role == "seller" else None)
            if contact.company:
                contact.notes = "\n".join(n for n in (contact.notes, _("Works at %(company)s", company=contact.company))
                                          if n)
            _fill_blanks(customer, contact)
            db.session.add(customer)
            imports.remember_customer(created_index, customer)
            counts["created"] += 1
    return counts


FIELDS = ("email", "mobile", "phone", "street", "postal_code", "city", "region", "country", "notes", "language")


def _fill_blanks(customer, contact):
    """Never overwrite what the shop already knows; only fill what was missing (as the CSV import does)."""
    for attr in FIELDS:
        if not getattr(customer, attr) and getattr(contact, attr):
            setattr(customer, attr, getattr(contact, attr))
    if contact.tags:
        customer.tags = tags_by_name(sorted(set(customer.tag_names) | set(contact.tags)))
    customer.refresh_phone_digits()
