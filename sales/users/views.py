from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from extensions import db
from models import Branch, BranchRule, Team, User
from sales.accounts import sessions
from sales.accounts.rules import password_token
from sales.forms import EmptyForm
from sales.htmx import render_page
from sales.policy import require
from sales.users import bp, rules
from sales.users.forms import BranchForm, BranchRuleForm, TeamForm, UserForm


def get_user_or_404(user_id):
    return db.session.get(User, user_id) or abort(404)


def password_link(user):
    return url_for("accounts.set_password", token=password_token(user), _external=True)


@bp.route("/")
@require("users.manage")
def index():
    users = db.session.scalars(select(User).order_by(User.active.desc(), User.name)).all()
    return render_page("users/index.html", "users/_list.html", users=users)


def _user_form(user=None):
    form = UserForm(obj=user) if user is not None else UserForm()
    form.team_id.choices = rules.team_choices()
    if form.team_id.data is None:
        # No team on the record (or none posted): the "—" choice.
        form.team_id.data = 0
    return form


@bp.route("/new", methods=["GET", "POST"])
@require("users.manage")
def new():
    form = _user_form()
    if form.validate_on_submit():
        if rules.email_taken(form.email.data):
            form.email.errors.append(_("Another user already has this email."))
        else:
            user = User(name="", email=form.email.data or None)
            rules.apply_user_form(user, form)
            db.session.add(user)
            db.session.commit()
            flash(_("%(name)s is added. Send them the link below so they can choose a password.",
                    name=user.name), "success")
            return redirect(url_for("users.show", user_id=user.id, link=1), 303)
    return render_page("users/form.html", "users/_form.html", form=form, user=None,
                       status=422 if form.errors else 200)


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@require("users.manage")
def show(user_id):
    user = get_user_or_404(user_id)
    form = _user_form(user)
    if request.method == "GET":
        form.version.data = user.version
        form.language.data = user.language or ""
    status = 200
    if form.validate_on_submit():
        problem = rules.change_problem(user, form.role.data, form.active.data)
        if rules.email_taken(form.email.data, except_id=user.id):
            form.email.errors.append(_("Another user already has this email."))
        elif problem:
            form.role.errors.append(problem)
        elif form.loaded_version() != user.version:
            form.version.errors.append(_(
                "Someone else changed this user while you were editing, so nothing was saved. "
                "Your changes are still in the form: check them and save again to apply them."))
            form.version.data = user.version  # saving again is now a deliberate choice
            status = 409
        else:
            rules.apply_user_form(user, form)
            try:
                db.session.commit()
            except StaleDataError:
                db.session.rollback()
                abort(409)
            flash(_("Changes to %(name)s are saved.", name=user.name), "success")
            return redirect(url_for("users.show", user_id=user.id), 303)
    if form.errors and status == 200:
        status = 422
    link = password_link(user) if request.args.get("link") and user.active else None
    return render_page("users/form.html", "users/_form.html", form=form, user=user, link=link,
                       action_form=EmptyForm(), open_sessions=sessions.open_sessions(user), status=status)


@bp.route("/<int:user_id>/password-link", methods=["POST"])
@require("users.manage")
def new_password_link(user_id):
    user = get_user_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if not user.active:
        flash(_("Activate the account first."), "error")
        return redirect(url_for("users.show", user_id=user.id), 303)
    if not user.email:
        flash(_("Add their email first: they sign in with it."), "error")
        return redirect(url_for("users.show", user_id=user.id), 303)
    # A new link makes the older ones useless, and signs the user out everywhere.
    user.rotate_session_token()
    db.session.commit()
    flash(_("A new set-password link is ready. Older links no longer work."), "success")
    return redirect(url_for("users.show", user_id=user.id, link=1), 303)


@bp.route("/<int:user_id>/sessions/<int:session_id>/end", methods=["POST"])
@require("users.manage")
def end_session(user_id, session_id):
    """The owner signs one of a user's devices out (a lost tablet, a shared PC left signed in)."""
    user = get_user_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if not sessions.end_session(user, session_id):
        abort(404)
    db.session.commit()
    flash(_("That device of %(name)s is signed out.", name=user.name), "success")
    return redirect(url_for("users.show", user_id=user.id, _anchor="sessions"), 303)


@bp.route("/<int:user_id>/sessions/end", methods=["POST"])
@require("users.manage")
def end_all_sessions(user_id):
    user = get_user_or_404(user_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    count = sessions.end_all_sessions(user.id, "owner")
    db.session.commit()
    flash(ngettext("%(num)d session of %(name)s ended.", "%(num)d sessions of %(name)s ended.", count,
                   name=user.name), "success")
    return redirect(url_for("users.show", user_id=user.id, _anchor="sessions"), 303)
@bp.route("/import", methods=["GET", "POST"])
@require("users.manage")
def import_users():
    """The staff list from a CSV or spreadsheet: name, and optionally email and role."""
    from sales.import_files import MAX_BYTES, FileProblem, read_upload
    from sales.users.imports import has_structure, import_users as import_rows, structure_plan

    form = EmptyForm()
    result = error = plan = text = None
    if form.validate_on_submit():
        upload = request.files.get("file")
        try:
            if request.form.get("action") == "confirm":
                # The file read a moment ago, sent back with the owner's yes to the teams it creates.
                text = request.form.get("content", "")[:MAX_BYTES]
                result = import_rows(text, with_structure=True)
                db.session.commit()
                text = None
            else:
                if not upload or not upload.filename:
                    raise FileProblem(_("Choose a CSV or spreadsheet file to import."))
                text, _sheets = read_upload(upload.filename, upload.read(MAX_BYTES + 1))
                plan = structure_plan(text) if has_structure(text) else None
                if plan is not None and not any(plan[kind] for kind in ("teams", "branches", "managers")):
                    plan = None         # every team, branch and manager it names is here already: nothing to ask
                if plan is None:
                    result = import_rows(text, with_structure=has_structure(text))
                    db.session.commit()
                    text = None
        except FileProblem as problem:
            db.session.rollback()
            error, plan, text = str(problem), None, None
    return render_page("users/import.html", "users/_import.html", form=form, result=result, error=error,
                       plan=plan, content=text, status=422 if error else 200)


@bp.route("/export.csv")
@require("users.manage")
def export_users():
    from sales.csv_export import csv_response
    from sales.exports import user_rows

    header, rows = user_rows()
    return csv_response("users.csv", header, rows)


@bp.route("/export.xlsx")
@require("users.manage")
def export_users_xlsx():
    from sales.exports import user_rows
    from sales.xlsx_export import xlsx_response

    return xlsx_response("users.xlsx", *user_rows())


# --- Branches and teams -------------------------------------------------------------------------------------------


def _structure_forms(formdata=None, edit=None):
    """The branch, team and rule forms: empty ones to add (the posted one filled), or — `edit` — the one for that
    record, filled with it (or with what was posted)."""
    sellers = db.session.scalars(select(User).where(User.active, User.role.in_(("owner", "seller")))
                                 .order_by(User.name)).all()

    def posted(kind, model):
        if edit is not None:
            return formdata if isinstance(edit, model) else None
        return formdata if request.form.get("action") == kind else None

    def loaded(model):
        return edit if isinstance(edit, model) and formdata is None else None

    branch_form = BranchForm(formdata=posted("branch", Branch), obj=loaded(Branch), prefix="branch")
    branch_form.default_seller_id.choices = [(0, "—")] + [(person.id, person.name) for person in sellers]
    team_form = TeamForm(formdata=posted("team", Team), obj=loaded(Team), prefix="team")
    team_form.branch_id.choices = rules.branch_choices()
    rule_form = BranchRuleForm(formdata=posted("rule", BranchRule), obj=loaded(BranchRule), prefix="rule")
    rule_form.branch_id.choices = rules.branch_choices()[1:]
    for form in (branch_form, team_form):
        for select_field in (getattr(form, "default_seller_id", None), getattr(form, "branch_id", None)):
            if select_field is not None and select_field.data is None:
                select_field.data = 0   # nobody / no branch on the record: the "—" choice
    return branch_form, team_form, rule_form


@bp.route("/teams", methods=["GET", "POST"])
@require("users.manage")
def teams():
    """The owner's sales force: branches with the rules that route leads to them, and teams within them. People
    join a team (and manage it) on their own page."""
    forms = _structure_forms(request.form if request.method == "POST" else None)
    branch_form, team_form, rule_form = forms
    action = request.form.get("action")
    if request.method == "POST":
        if action == "branch" and branch_form.validate_on_submit():
            if rules.name_taken(Branch, branch_form.name.data):
                branch_form.name.errors.append(_("There is already a branch with this name."))
            else:
                db.session.add(Branch(name=branch_form.name.data.strip(), assignment=branch_form.assignment.data,
                                      default_seller_id=branch_form.default_seller_id.data or None))
                db.session.commit()
                return redirect(url_for("users.teams"), 303)
        elif action == "team" and team_form.validate_on_submit():
            if rules.name_taken(Team, team_form.name.data):
                team_form.name.errors.append(_("There is already a team with this name."))
            else:
                db.session.add(Team(name=team_form.name.data.strip(), branch_id=team_form.branch_id.data or None))
                db.session.commit()
                return redirect(url_for("users.teams"), 303)
        elif action == "rule" and rule_form.validate_on_submit():
            db.session.add(BranchRule(branch_id=rule_form.branch_id.data, field=rule_form.field.data,
                                      value=rule_form.value.data.strip()))
            db.session.commit()
            return redirect(url_for("users.teams"), 303)
        elif action not in ("branch", "team", "rule"):
            abort(400)
    branches = db.session.scalars(select(Branch).order_by(Branch.name)).all()
    all_teams = db.session.scalars(select(Team).order_by(Team.name)).all()
    return render_page("users/teams.html", "users/_teams.html", branches=branches, teams=all_teams,
                       branch_form=branch_form, team_form=team_form, rule_form=rule_form, removed=_just_removed(),
                       undo_form=EmptyForm(), status=422 if request.method == "POST" else 200)


def _just_removed():
    """The removal just done (?done=<id>), with its Undo, while it can still be undone."""
    from sales.leads.bulk_actions import undoable
    from models import BulkAction
    from sales.users.structure import ENTITIES

    raw = request.args.get("done", "")
    bulk = db.session.get(BulkAction, int(raw)) if raw.isdigit() and len(raw) < 12 else None
    if bulk is None or bulk.user_id != current_user.id or bulk.entity not in ENTITIES or not undoable(bulk):
        return None
    return bulk


# --- Renaming and removing branches, teams and routing rules ---------------------------------------------------


CHANGED_MEANWHILE = _l("Someone else changed this while you were editing, so nothing was saved. Your changes are "
                       "still in the form: check them and save again to apply them.")


def _rule_state(rule):
    return f"{rule.field}|{rule.value}|{rule.branch_id}"


def _edit_page(kind, record, form, status=200, conflict=False):
    return render_page(None, "users/_structure_edit.html", title=_("Branches and teams"), active_nav="users.index",
                       kind=kind, record=record, form=form, status=status,
                       conflict=CHANGED_MEANWHILE if conflict else None, delete_url=url_for(
                           {"branch": "users.delete_branch", "team": "users.delete_team",
                            "rule": "users.delete_branch_rule"}[kind],
                           **{{"branch": "branch_id", "team": "team_id", "rule": "branch_rule_id"}[kind]: record.id}))


def _save_edit(kind, record, form, apply, state=None):
    """The edit of a branch, team or rule: 409 with what was typed when it changed since the form was loaded,
    422 with the errors, or saved and back to the list."""
    if not form.validate_on_submit():
        return _edit_page(kind, record, form, 422)
    loaded = form.was.data if state is not None else form.loaded_version()
    current = state if state is not None else record.version
    if loaded != current:
        # Saving again is now a deliberate choice over the version shown.
        if state is not None:
            form.was.data = current
        else:
            form.version.data = current
        return _edit_page(kind, record, form, 409, conflict=True)
    name_field = getattr(form, "name", None)
    if name_field is not None and rules.name_taken(type(record), name_field.data, except_id=record.id):
        name_field.errors.append(_("There is already a branch with this name.") if kind == "branch"
                                 else _("There is already a team with this name."))
        return _edit_page(kind, record, form, 422)
    apply()
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        abort(409)
    flash(_("Changes saved."), "success")
    return redirect(url_for("users.teams"), 303)


@bp.route("/teams/branches/<int:branch_id>", methods=["GET", "POST"])
@require("users.manage")
def edit_branch(branch_id):
    branch = db.session.get(Branch, branch_id) or abort(404)
    form = _structure_forms(request.form if request.method == "POST" else None, edit=branch)[0]
    if request.method == "GET":
        return _edit_page("branch", branch, form)

    def apply():
        branch.name = form.name.data.strip()
        branch.assignment = form.assignment.data
        branch.default_seller_id = form.default_seller_id.data or None
    return _save_edit("branch", branch, form, apply)


@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
@require("users.manage")
def edit_team(team_id):
    team = db.session.get(Team, team_id) or abort(404)
    form = _structure_forms(request.form if request.method == "POST" else None, edit=team)[1]
    if request.method == "GET":
        return _edit_page("team", team, form)

    def apply():
        team.name = form.name.data.strip()
        team.branch_id = form.branch_id.data or None
    return _save_edit("team", team, form, apply)


@bp.route("/teams/rules/<int:branch_rule_id>", methods=["GET", "POST"])
@require("users.manage")
def edit_branch_rule(branch_rule_id):
    rule = db.session.get(BranchRule, branch_rule_id) or abort(404)
    form = _structure_forms(request.form if request.method == "POST" else None, edit=rule)[2]
    if request.method == "GET":
        form.was.data = _rule_state(rule)
        return _edit_page("rule", rule, form)

    def apply():
        rule.field, rule.value, rule.branch_id = form.field.data, form.value.data.strip(), form.branch_id.data
    return _save_edit("rule", rule, form, apply, state=_rule_state(rule))


REMOVABLE = {"branch": Branch, "team": Team, "rule": BranchRule}


def _remove(kind, record_id):
    """GET: what removing it does to the people, customers and leads in it; POST: remove it, with ten minutes
    to undo."""
    from sales.users import structure

    record = db.session.get(REMOVABLE[kind], record_id) or abort(404)
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        bulk = structure.remove(current_user, record)
        db.session.commit()
        return redirect(url_for("users.teams", done=bulk.id), 303)
    return render_page(None, "users/_structure_delete.html", title=_("Branches and teams"), active_nav="users.index",
                       kind=kind, record=record, consequences=structure.consequences(record), form=form)


@bp.route("/teams/branches/<int:branch_id>/delete", methods=["GET", "POST"])
@require("users.manage")
def delete_branch(branch_id):
    return _remove("branch", branch_id)


@bp.route("/teams/<int:team_id>/delete", methods=["GET", "POST"])
@require("users.manage")
def delete_team(team_id):
    return _remove("team", team_id)


@bp.route("/teams/rules/<int:branch_rule_id>/delete", methods=["GET", "POST"])
@require("users.manage")
def delete_branch_rule(branch_rule_id):
    return _remove("rule", branch_rule_id)


@bp.route("/teams/undo", methods=["POST"])
@require("users.manage")
def undo_removal():
    """Undo (action=<id> in the form, within ten minutes) the removal of a branch, team or rule."""
    from sales.leads.bulk_actions import undoable
    from sales.users import structure

    if not EmptyForm().validate_on_submit():
        abort(400)
    raw = request.form.get("action", "")
    bulk = structure.get_own_removal_or_404(int(raw) if raw.isdigit() else None, current_user)
    message = structure.undo(bulk) if undoable(bulk) else None
    if message is None:
        db.session.rollback()
        flash(_("This can no longer be undone: undo works for ten minutes, once, while its name is free."),
              "warning")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("users.teams"), 303)
