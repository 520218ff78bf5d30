"""The staff list from a file (a CSV or spreadsheet of name, email, role — e.g. another CRM's sales team).

People already here (same email, or the same name when the file has no email for them) are left as they are,
except that a missing email is filled in. Everyone new starts without a password; those with an email get their
set-password link from the Users page, those without one cannot sign in until the owner adds it.

A file may also give the sales force's structure (as the public sample's sales_teams.csv: sales_agent, manager,
regional_office): each person's manager — who then manages a team of those who name them — and team, and the
branch (office, region) the team belongs to. Such a file is read twice: first to say which teams, branches and
managers it would create, then, once the owner confirms, to create them and put everyone in their team.
"""
import re

from flask_babel import gettext as _
from sqlalchemy import select

from extensions import db
from models import Branch, Team, User, normalise_email
from sales.import_files import FileProblem, read_table
from sales.matching import match_key

COLUMNS = {
    "name": ("name", "nombre", "full name", "sales_agent", "seller", "vendedor", "agent", "user", "usuario"),
    "email": ("email", "e-mail", "correo", "mail"),
    "role": ("role", "rol", "puesto", "type", "tipo"),
    "manager": ("manager", "jefe", "jefa", "responsable", "supervisor", "supervisora", "team lead"),
    "team": ("team", "equipo", "grupo"),
    "branch": ("regional_office", "office", "regional office", "branch", "region", "oficina", "sucursal", "zona",
               "delegacion"),
}
STRUCTURE = ("manager", "team", "branch")

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


def has_structure(text):
    """Whether the file names managers, teams or branches (and so needs the owner's confirmation first)."""
    header, _rows, _delimiter = read_table(text)
    return any(target in columns_of(header) for target in STRUCTURE)


def team_name(manager, team):
    from flask_babel import gettext

    return team or gettext("%(name)s's team", name=manager)


def structure_plan(text):
    """What confirming would create: {teams: [(team, branch)], branches: [names], managers: [names]} — only those
    not here yet — and every team and branch the file names. Nothing is written."""
    header, rows, _delimiter = read_table(text)
    columns = columns_of(header)
    teams, branches, managers = {}, [], []

    def cell(row, target):
        index = columns.get(target)
        return row[index].strip() if index is not None and index < len(row) else ""

    for row in rows:
        manager, branch = cell(row, "manager")[:120], cell(row, "branch")[:80]
        team = cell(row, "team")[:80]
        if manager or team:
            teams.setdefault(team_name(manager, team)[:80], branch or None)
        if branch and branch not in branches:
            branches.append(branch)
        if manager and manager not in managers:
            managers.append(manager)
    known_teams = {match_key(name) for name in db.session.scalars(select(Team.name))}
    known_branches = {match_key(name) for name in db.session.scalars(select(Branch.name))}
    known_people = {match_key(name) for name in db.session.scalars(select(User.name))}
    return {"teams": [(name, branch) for name, branch in teams.items() if match_key(name) not in known_teams],
            "branches": [name for name in branches if match_key(name) not in known_branches],
            "managers": [name for name in managers if match_key(name) not in known_people],
            "all_teams": list(teams), "all_branches": branches}


def _structure_of(columns, cell, people, teams, branches):
    """The team of one row's person, with its branch and manager, made when missing (the owner has confirmed)."""
    manager_name, team_given = cell("manager")[:120], cell("team")[:80]
    branch_name = cell("branch")[:80]
    branch = None
    if branch_name:
        branch = branches.get(match_key(branch_name))
        if branch is None:
            branch = branches[match_key(branch_name)] = Branch(name=branch_name)
            db.session.add(branch)
    if not (manager_name or team_given):
        return None
    name = team_name(manager_name, team_given)[:80]
    team = teams.get(match_key(name))
    if team is None:
        team = teams[match_key(name)] = Team(name=name, branch=branch)
        db.session.add(team)
    elif team.branch is None and branch is not None:
        team.branch = branch
    if manager_name:
        manager = people.get(match_key(manager_name))
        if manager is None:
            manager = people[match_key(manager_name)] = User(name=manager_name, role="seller", active=True)
            db.session.add(manager)
        manager.team, manager.manages_team = team, True
    return team


def import_users(text, with_structure=False):
    """Create the people of the file; returns {created, completed, unchanged, problems: [(line, field, message)]}.

    With `with_structure` (the owner confirmed it) the managers, teams and branches the file names are created
    too and everyone is put in their team; without it those columns are not read."""
    header, rows, _delimiter = read_table(text)
    columns = columns_of(header)
    if not with_structure:
        columns = {target: index for target, index in columns.items() if target not in STRUCTURE}
    teams = {match_key(team.name): team for team in db.session.scalars(select(Team))}
    branches = {match_key(branch.name): branch for branch in db.session.scalars(select(Branch))}
    users = db.session.scalars(select(User)).all()
    by_email = {u.email: u for u in users if u.email}
    by_name = {match_key(u.name): u for u in users}
    result = {"created": 0, "completed": 0, "unchanged": 0, "placed": 0, "problems": []}
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
        team = _structure_of(columns, cell, by_name, teams, branches) if with_structure else None
        if existing is not None:
            if team is not None and existing.team is not team:
                existing.team = team
                result["placed"] += 1
            if email and not existing.email:
                existing.email = email
                by_email[email] = existing
                result["completed"] += 1
            else:
                result["unchanged"] += 1
            continue
        user = User(name=name, email=email, role=role, active=True, team=team)
        db.session.add(user)
        by_name[match_key(name)] = user
        if email:
            by_email[email] = user
        result["created"] += 1
        if team is not None:
            result["placed"] += 1
    return result
