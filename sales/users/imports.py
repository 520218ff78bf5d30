"""The staff list from a file (a CSV or spreadsheet of name, email, role — e.g. another CRM's sales team).

People already here (same email, or the same name when the file has no email for them) are left as they are,
except that a missing email is filled in. Everyone new starts without a password; those with an email get their
set-password link from the Users page, those without one cannot sign in until the owner adds it.
"""
import re

from flask_babel import gettext as _
from sqlalchemy import select

from extensions import db
from models import User, normalise_email
from sales.import_files import FileProblem, read_table
from sales.matching import match_key

COLUMNS = {
    "name": ("name", "nombre", "full name", "sales_agent", "seller", "vendedor", "agent", "user", "usuario"),
    "email": ("email", "e-mail", "correo", "mail"),
    "role": ("role", "rol", "puesto", "type", "tipo"),
}

ROLE_WORDS = {"seller": ("seller", "vendedor", "vendedora", "sales", "ventas", "comercial", "agent"),
              "support": ("support", "soporte", "tecnico", "tecnica", "service", "servicio"),
              "owner": ("owner", "dueno", "duena", "propietario", "propietaria", "admin", "manager", "gerente")}


def columns_of(header):
    found = {}
    for target, words in COLUMNS.items():
        for index, name in enumerate(header):
            if match_key(name) in words and index not in found.values():
                found[target] = index
                break
    if "name" not in found:
        raise FileProblem(_("The file needs a column with the people's names (name, nombre, seller…). Its columns "
                            "are: %(columns)s.", columns=", ".join(h for h in header if h)))
    return found


def role_of(text):
    key = match_key(text)
    for role, words in ROLE_WORDS.items():
        if key in words:
            return role
    return None


def import_users(text):
    """Create the people of the file; returns {created, completed, unchanged, problems: [(line, field, message)]}."""
    header, rows, _delimiter = read_table(text)
    columns = columns_of(header)
    users = db.session.scalars(select(User)).all()
    by_email = {u.email: u for u in users if u.email}
    by_name = {match_key(u.name): u for u in users}
    result = {"created": 0, "completed": 0, "unchanged": 0, "problems": []}
    for line, row in enumerate(rows, start=2):
        def cell(target):
            index = columns.get(target)
            return row[index].strip() if index is not None and index < len(row) else ""

        if not any(value.strip() for value in row):
            continue
        name, email = cell("name")[:120], normalise_email(cell("email")) or None
        if not name:
            result["problems"].append((line, _("name"), _("No name.")))
            continue
        if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            result["problems"].append((line, _("email"), _("“%(value)s” is not an email address.", value=email)))
            continue
        role = role_of(cell("role")) if cell("role") else "seller"
        if role is None:
            result["problems"].append((line, _("role"), _("“%(value)s” is not a role (seller, support or owner).",
                                                          value=cell("role"))))
            continue
        existing = by_email.get(email) if email else None
        if existing is None:
            same_name = by_name.get(match_key(name))
            # The same name is the same person unless both have emails and they differ.
            if same_name is not None and (not email or not same_name.email):
                existing = same_name
        if existing is not None:
            if email and not existing.email:
                existing.email = email
                by_email[email] = existing
                result["completed"] += 1
            else:
                result["unchanged"] += 1
            continue
        user = User(name=name, email=email, role=role, active=True)
        db.session.add(user)
        by_name[match_key(name)] = user
        if email:
            by_email[email] = user
        result["created"] += 1
    return result
