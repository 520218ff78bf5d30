"""Screens around the customer list: the owner's custom fields, the customer import and the export."""
import json

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from extensions import db
from models import CustomField, ImportJob
from sales import custom_fields
from sales.csv_export import csv_response
from sales.customers import bp
from sales.customers import imports
from sales.forms import EmptyForm
from sales import import_jobs
from sales.htmx import render_page, wants_fragment
from sales.import_files import (MAX_BYTES, FileProblem, notation_from_form, number_choice_problem, read_table,
                                read_upload)
from sales.policy import require
from sales.texts import shown_problems


# --- Custom fields -----------------------------------------------------------------------------------------------

def get_custom_field_or_404(field_id):
    return db.session.get(CustomField, field_id) or abort(404)


@bp.route("/fields", methods=["GET", "POST"])
@require("custom_fields.manage")
def fields():
    """The owner's own fields: add one, see them all (customers' and leads')."""
    errors, typed = {}, {}
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        typed = {name: request.form.get(name, "").strip() for name in ("label", "kind", "entity", "choices")}
        kinds = dict(custom_fields.KIND_CHOICES)
        if not typed["label"]:
            errors["label"] = _("Name the field.")
        if typed["kind"] not in kinds:
            errors["kind"] = _("Choose what kind of value it holds.")
        if typed["entity"] not in dict(custom_fields.ENTITY_CHOICES):
            errors["entity"] = _("Choose whether it is for customers or leads.")
        choices = [line.strip() for line in typed["choices"].splitlines() if line.strip()]
        if typed["kind"] == "choice" and not choices:
            errors["choices"] = _("Write the choices, one per line.")
        if not errors:
            field = custom_fields.define(typed["entity"], typed["label"], typed["kind"], choices)
            db.session.commit()
            flash(_("The field “%(label)s” is added.", label=field.label), "success")
            return redirect(url_for("customers.fields"), 303)
    return render_page(None, "customers/_fields.html", title=_("Custom fields"),
                       customer_fields=custom_fields.all_fields("customer"),
                       lead_fields=custom_fields.all_fields("lead"), kinds=custom_fields.KIND_CHOICES,
                       entities=custom_fields.ENTITY_CHOICES, errors=errors, typed=typed, form=EmptyForm(),
                       status=422 if errors else 200)


@bp.route("/fields/<int:field_id>/active", methods=["POST"])
@require("custom_fields.manage")
def toggle_field(field_id):
    """Retire a field (its values stay on the records, hidden) or bring it back."""
    field = get_custom_field_or_404(field_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    field.active = not field.active
    db.session.commit()
    return redirect(url_for("customers.fields"), 303)


# --- Import ------------------------------------------------------------------------------------------------------

def get_import_or_404(job_id):
    job = db.session.get(ImportJob, job_id)
    if job is None or job.kind != "customers" or (job.user_id != current_user.id and current_user.role != "owner"):
        abort(404)
    return job


@bp.route("/import", methods=["GET", "POST"])
@require("customers.import")
def import_upload():
    error = None
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        upload = request.files.get("file")
        try:
            if not upload or not upload.filename:
                raise FileProblem(_("Choose a CSV or spreadsheet file to import."))
            text, _sheets = read_upload(upload.filename, upload.read(MAX_BYTES + 1), request.form.get("sheet") or None)
            header, rows, delimiter = read_table(text)
        except FileProblem as problem:
            error = str(problem)
            if problem.sheets:
                error += " " + _("Sheets: %(names)s. Type the one to import below and upload the file again.",
                                 names=", ".join(problem.sheets))
        else:
            settings = imports.Settings(mapping={str(i): t for i, t in imports.guess_mapping(header).items()},
                                        delimiter=delimiter)
            imports.refresh_numbers(header, rows, settings)
            job = ImportJob(user_id=current_user.id, kind="customers", filename=upload.filename[:200],
                            content=text, settings=settings.dump(), total_rows=len(rows))
            db.session.add(job)
            db.session.commit()
            return redirect(url_for("customers.import_mapping", job_id=job.id), 303)
    return render_page(None, "customers/_import_upload.html", title=_("Import customers"), form=EmptyForm(), error=error,
                       max_mb=MAX_BYTES // (1024 * 1024), status=422 if error else 200)


@bp.route("/import/<int:job_id>", methods=["GET", "POST"])
@require("customers.import")
def import_mapping(job_id):
    job = get_import_or_404(job_id)
    if job.status != "mapping":
        return redirect(url_for("customers.import_progress", job_id=job.id))
    settings = imports.Settings.load(job.settings)
    header, rows, _delimiter = read_table(job.content, settings.delimiter)
    problem = None
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        allowed = {value for value, _label in imports.target_choices()} | {imports.NEW_FIELD, imports.SKIP}
        for index in range(len(header)):
            chosen = request.form.get(f"column-{index}", settings.mapping.get(str(index), ""))
            settings.mapping[str(index)] = chosen if chosen in allowed else ""
        duplicates = request.form.get("duplicates")
        settings.duplicates = duplicates if duplicates in (imports.UPDATE, imports.MERGE, imports.SKIP_ROW) \
            else imports.UPDATE
        settings.kind = "company" if request.form.get("kind") == "company" else "person"
        imports.refresh_numbers(header, rows, settings)
        notation_from_form(settings, request.form)
        job.settings = settings.dump()
        names = [t for t in settings.mapping.values() if t and not t.startswith("cf:") and t != imports.NEW_FIELD]
        if "name" not in names:
            problem = _("Choose the column with the customers' names.")
        elif len(names) != len(set(names)):
            problem = _("Two columns are matched to the same field: each field takes one column.")
        elif number_choice_problem(settings) and request.form.get("action") in ("check", "import"):
            problem = number_choice_problem(settings)
        elif request.form.get("action") in ("check", "import"):
            # Every row is checked first; nothing is written until the person has seen what the import will do.
            job.settings = settings.dump()
            import_jobs.start_check(job)
            db.session.commit()
            return redirect(url_for("customers.import_progress", job_id=job.id), 303)
        db.session.commit()
    return render_page(None, "customers/_import_mapping.html", title=_("Import customers"), job=job, header=header,
                       preview=rows[:5], settings=settings, choices=imports.target_choices(), problem=problem,
                       NEW=imports.NEW_FIELD, form=EmptyForm(), status=422 if problem else 200)


@bp.route("/import/<int:job_id>/progress")
@require("customers.import")
def import_progress(job_id):
    job = get_import_or_404(job_id)
    if job.status == "mapping":
        return redirect(url_for("customers.import_mapping", job_id=job.id))
    return _progress_page(job)


def _progress_page(job):
    problems = json.loads(job.problems or "[]")
    settings = imports.Settings.load(job.settings)
    return render_page(None, "customers/_import_progress.html", title=_("Import customers"), job=job,
                       problems=problems[:300], problem_count=len(problems),
                       problem_lines=len({line for line, _f, _m in problems}), forecast=settings.forecast,
                       result=json.loads(job.result) if job.result else None, form=EmptyForm())


@bp.route("/import/<int:job_id>/step", methods=["POST"])
@require("customers.import")
def import_step(job_id):
    """The next chunk of the check or of the import (the cron, `flask run-imports`, does the same unasked); after
    the check, the person's answer: import, or back to the columns."""
    job = get_import_or_404(job_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    action = request.form.get("action")
    if job.status == "checked" and action == "import":
        import_jobs.start_import(job, current_user)
        db.session.commit()
    elif job.status == "checked" and action == "back":
        job.status = "mapping"
        db.session.commit()
        return redirect(url_for("customers.import_mapping", job_id=job.id), 303)
    elif job.status in import_jobs.WORKING:
        import_jobs.advance(job, current_user)
    if wants_fragment():
        return _progress_page(job)
    return redirect(url_for("customers.import_progress", job_id=job.id), 303)


@bp.route("/import/<int:job_id>/problems.csv")
@require("customers.import")
def import_problems(job_id):
    job = get_import_or_404(job_id)
    return csv_response(f"customer-import-{job.id}-problems.csv", [_("Line"), _("Field"), _("Problem")],
                        shown_problems(json.loads(job.problems or "[]")))


# --- Export ------------------------------------------------------------------------------------------------------

@bp.route("/export.csv")
@require("customers.view")
def export():
    from sales.exports import customer_rows

    header, rows = customer_rows()
    return csv_response("customers.csv", header, rows)


@bp.route("/export.xlsx")
@require("customers.view")
def export_xlsx():
    from sales.exports import customer_rows
    from sales.xlsx_export import xlsx_response

    return xlsx_response("customers.xlsx", *customer_rows())
