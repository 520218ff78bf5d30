"""Screens of the deal import: upload (and pick a sheet), match the columns, match the values, watch the check,
watch the import. Every step is a page of its own that works without JavaScript; htmx only follows the chunks."""
import json

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from extensions import db
from models import ImportJob
from sales.csv_export import csv_response
from sales.forms import EmptyForm
from sales.htmx import render_page, wants_fragment
from sales.import_files import (MAX_BYTES, FileProblem, delimiter_name, notation_from_form, number_choice_problem,
                                read_table, read_upload)
from sales.leads import bp
from sales.leads import imports
from sales.leads.stages import ensure_default_stages
from sales import import_jobs, records
from sales.policy import require
from sales.texts import shown_problems


def target_labels():
    return {
        "external_id": _("Deal ID in the file"), "customer": _("Customer name"), "email": _("Email"),
        "phone": _("Phone"), "city": _("City"), "title": _("Lead title"), "product": _("Product(s)"),
        "quantity": _("Quantity"), "value": _("Estimated value"), "won_amount": _("Won amount"),
        "created_on": _("Created on / first contact"), "close_date": _("Closed on (won or lost; expected for open deals)"),
        "stage": _("Stage"), "lost_reason": _("Lost reason"), "source": _("Source"), "seller": _("Seller"),
        "notes": _("Notes"),
    }


def custom_field_choices():
    """[(value, label)] an other column of the file can go to: one of the owner's lead fields."""
    from sales.custom_fields import all_fields

    return [(f"cf:{f.key}", _("Custom field: %(label)s", label=f.label)) for f in all_fields("lead")]


def value_target_labels():
    return {"stage": _("Stages in the file"), "seller": _("Sellers in the file"),
            "product": _("Products in the file"), "source": _("Sources in the file"),
            "lost_reason": _("Lost reasons in the file")}


def get_job_or_404(job_id):
    job = records.get_or_404(ImportJob, job_id)
    if job.kind != "leads":
        abort(404)
    return job


def _upload_page(error=None, delimiter=""):
    return render_page(None, "leads/_import_upload.html", title=_("Import leads"), form=EmptyForm(), error=error,
                       delimiter=delimiter, max_mb=MAX_BYTES // (1024 * 1024), status=422 if error else 200)


def _start_job(filename, text, delimiter=None):
    """The job for a table read from an upload, ready for its mapping; FileProblem when it is no table."""
    header, rows, delimiter = read_table(text, delimiter)
    settings = imports.new_settings(header, rows, delimiter)
    settings.seen_before = imports.seen_before(text)
    job = ImportJob(user_id=current_user.id, kind="leads", filename=filename[:200], content=text,
                    settings=settings.dump(), total_rows=len(rows), content_hash=imports.content_hash(text))
    db.session.add(job)
    db.session.commit()
    return job


@bp.route("/import", methods=["GET", "POST"])
@require("leads.import")
def import_upload():
    form = EmptyForm()
    if not form.validate_on_submit():
        return _upload_page()
    upload = request.files.get("file")
    delimiter = request.form.get("delimiter", "").replace("\\t", "\t")[:1] or None
    if not upload or not upload.filename:
        return _upload_page(_("Choose a CSV or spreadsheet file to import."), delimiter or "")
    try:
        text, _sheets = read_upload(upload.filename, upload.read(MAX_BYTES + 1))
        job = _start_job(upload.filename, text, delimiter)
    except FileProblem as problem:
        if problem.sheets:
            job = ImportJob(user_id=current_user.id, kind="leads", filename=upload.filename[:200],
                            content=json.dumps(problem.sheets), status="sheet")
            db.session.add(job)
            db.session.commit()
            return redirect(url_for("leads.import_sheet", job_id=job.id), 303)
        return _upload_page(str(problem), delimiter or "")
    return redirect(url_for("leads.import_mapping", job_id=job.id), 303)


@bp.route("/import/<int:job_id>/sheet", methods=["GET", "POST"])
@require("leads.import")
def import_sheet(job_id):
    """A workbook with several sheets holding data: which one is the list?"""
    job = get_job_or_404(job_id)
    if job.status != "sheet":
        return redirect(url_for("leads.import_mapping", job_id=job.id))
    sheets = json.loads(job.content)
    error = None
    if EmptyForm().validate_on_submit():
        chosen = request.form.get("sheet")
        if chosen not in sheets:
            error = _("Choose one of the sheets.")
        else:
            try:
                replacement = _start_job(job.filename, sheets[chosen])
            except FileProblem as problem:
                error = str(problem)
            else:
                replacement.filename = f"{job.filename} · {chosen}"[:200]
                db.session.delete(job)
                db.session.commit()
                return redirect(url_for("leads.import_mapping", job_id=replacement.id), 303)
    return render_page(None, "leads/_import_sheet.html", title=_("Import leads"), job=job,
                       sheets={name: text.count("\n") for name, text in sheets.items()}, error=error,
                       form=EmptyForm(), status=422 if error else 200)


def _mapping_from_form(header, settings, rows):
    duplicates = request.form.get("duplicates", settings.duplicates)
    settings.duplicates = duplicates if duplicates in ("merge", "skip") else "merge"
    without = request.form.get("without_customer", settings.without_customer)
    settings.without_customer = without if without in ("skip", "prospect", "placeholder") else "skip"
    settings.placeholder_name = request.form.get("placeholder_name", settings.placeholder_name).strip()[:160]
    settings.import_again = request.form.get("import_again") == "1"
    settings.mapping = {}
    for target in target_labels():
        value = request.form.get(f"map-{target}", "")
        if value.isdigit() and int(value) < len(header) and int(value) not in settings.mapping.values():
            settings.mapping[target] = int(value)
    allowed = {imports.NEW_FIELD, ""} | {value for value, _label in custom_field_choices()}
    for index in range(len(header)):
        chosen = request.form.get(f"column-{index}")
        if chosen is not None:
            settings.custom_map[str(index)] = chosen if chosen in allowed else ""
    imports.guess_custom_map(header, settings)
    imports.refresh_dates(settings, rows)
    chosen_format = request.form.get("date_format", "")
    if chosen_format in imports.DATE_FORMATS:
        settings.date_format = chosen_format
        settings.date_format_chosen = request.form.get("date_format_seen") == "1" or not settings.dates_ambiguous
    imports.refresh_numbers(settings, rows)
    notation_from_form(settings, request.form)
    imports.guess_value_maps(rows, settings)


def _values_from_form(settings):
    for target, values in settings.value_maps.items():
        for number, value in enumerate(values, start=1):
            choice = request.form.get(f"value-{target}-{number}")
            if choice is not None:
                values[value] = choice[:20]
    # Forms from before the value step (and scripts) name stages by their value.
    for key, choice in request.form.items():
        if key.startswith("stage-") and key[len("stage-"):] in settings.value_maps.get("stage", {}):
            settings.value_maps["stage"][key[len("stage-"):]] = choice[:20]


def _mapping_problems(settings):
    problems = []
    missing = [t for t in imports.REQUIRED if t not in settings.mapping]
    if missing:
        labels = target_labels()
        problems.append(_("Choose the columns for: %(fields)s.", fields=", ".join(labels[t] for t in missing)))
    if settings.needs_date_choice():
        problems.append(_("The dates in the file read both ways (day/month and month/day): say how they are "
                          "written."))
    if number_choice_problem(settings):
        problems.append(number_choice_problem(settings))
    if settings.seen_before and "external_id" not in settings.mapping and not settings.import_again:
        problems.append(_("This same file was imported before. Without an ID column its deals would be added a "
                          "second time: choose the ID column, or tick “Import it again anyway”."))
    if settings.without_customer == "placeholder" and not settings.placeholder_name:
        problems.append(_("Name the customer that rows without one are imported under."))
    return problems


@bp.route("/import/<int:job_id>", methods=["GET", "POST"])
@require("leads.import")
def import_mapping(job_id):
    job = get_job_or_404(job_id)
    if job.status == "sheet":
        return redirect(url_for("leads.import_sheet", job_id=job.id))
    if job.status not in ("mapping", "values"):
        return redirect(url_for("leads.import_progress", job_id=job.id))
    settings = imports.Settings.load(job.settings)
    header, rows = imports.read_rows(job.content, settings.delimiter)
    problems = []
    if request.method == "POST" and EmptyForm().validate_on_submit():
        action = request.form.get("action")
        if action == "cancel":
            db.session.delete(job)
            db.session.commit()
            flash(_("Import cancelled. Nothing was imported."), "info")
            return redirect(url_for("leads.index"), 303)
        _mapping_from_form(header, settings, rows)
        _values_from_form(settings)
        problems = _mapping_problems(settings)
        job.settings = settings.dump()
        if action in ("values", "start") and not problems:
            job.status = "values"
            db.session.commit()
            if action == "start":  # straight to the check, from scripts that send the values with the columns
                started = _start_check(job, settings)
                if started is not None:
                    return started
            return redirect(url_for("leads.import_values", job_id=job.id), 303)
        db.session.commit()
    elif request.method == "POST":
        abort(400)
    return render_page(None, "leads/_import_mapping.html", title=_("Import leads"), job=job, header=header,
                       preview=rows[:5], settings=settings, targets=target_labels(), required=imports.REQUIRED,
                       problems=problems, delimiter_name=delimiter_name(settings.delimiter), form=EmptyForm(),
                       custom_choices=custom_field_choices(), NEW_FIELD=imports.NEW_FIELD,
                       status=422 if problems else 200)


def _start_check(job, settings):
    undecided = imports.undecided_values(settings)
    if undecided:
        return None
    import_jobs.start_check(job)
    db.session.commit()
    return redirect(url_for("leads.import_progress", job_id=job.id), 303)


@bp.route("/import/<int:job_id>/values", methods=["GET", "POST"])
@require("leads.import")
def import_values(job_id):
    job = get_job_or_404(job_id)
    if job.status == "mapping":
        return redirect(url_for("leads.import_mapping", job_id=job.id))
    if job.status != "values":
        return redirect(url_for("leads.import_progress", job_id=job.id))
    settings = imports.Settings.load(job.settings)
    header, rows = imports.read_rows(job.content, settings.delimiter)
    undecided = {}
    if request.method == "POST":
        if not EmptyForm().validate_on_submit():
            abort(400)
        _values_from_form(settings)
        job.settings = settings.dump()
        db.session.commit()
        if request.form.get("action") == "back":
            job.status = "mapping"
            db.session.commit()
            return redirect(url_for("leads.import_mapping", job_id=job.id), 303)
        if request.form.get("action") == "start":
            started = _start_check(job, settings)
            if started is not None:
                return started
            undecided = imports.undecided_values(settings)
    sections = []
    for target, label in value_target_labels().items():
        if target not in settings.mapping:
            continue
        counts = imports.file_values(rows, settings, target)
        if counts:
            sections.append({"target": target, "label": label, "column": header[settings.mapping[target]],
                             "values": counts, "options": _value_options(target),
                             "new_count": sum(1 for v, _c in counts if settings.choice(target, v) == imports.NEW)})
    return render_page(None, "leads/_import_values.html", title=_("Import leads"), job=job, settings=settings,
                       sections=sections, undecided=undecided, form=EmptyForm(), NEW=imports.NEW, NONE=imports.NONE,
                       status=422 if undecided else 200)


def _value_options(target):
    """[(key, label)] a value of the file may be matched to, besides “create” and “none” where they apply."""
    if target == "stage":
        return [(str(s.id), s.shown_name) for s in ensure_default_stages()]
    if target == "seller":
        from sales.management.metrics import sellers
        return [(str(u.id), u.name) for u in sellers(active_only=False)]
    if target == "product":
        from sqlalchemy import select

        from models import Product
        return [(str(p.id), p.name) for p in db.session.scalars(select(Product).order_by(Product.name))]
    if target == "source":
        from sales.leads.forms import SOURCE_CHOICES
        return [(code, str(label)) for code, label in SOURCE_CHOICES]
    from sales.negotiation.forms import LOST_REASON_CHOICES
    return [(code, str(label)) for code, label in LOST_REASON_CHOICES]


@bp.route("/import/<int:job_id>/progress")
@require("leads.import")
def import_progress(job_id):
    job = get_job_or_404(job_id)
    if job.status in ("sheet", "mapping", "values"):
        return redirect(url_for("leads.import_mapping", job_id=job.id))
    return _progress_page(job)


def _progress_page(job):
    problems = json.loads(job.problems or "[]")
    return render_page(None, "leads/_import_progress.html", title=_("Import leads"), job=job,
                       problems=problems[:300], problem_count=len(problems),
                       problem_lines=len({line for line, _f, _m in problems}),
                       result=json.loads(job.result) if job.result else None, form=EmptyForm())


@bp.route("/import/<int:job_id>/step", methods=["POST"])
@require("leads.import")
def import_step(job_id):
    """Do the next piece of work: check a chunk of rows, or (once asked) import the next chunk of good ones. The
    cron (`flask run-imports`) does the same when no page asks: whichever comes first takes the chunk."""
    job = get_job_or_404(job_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if job.status == "checked" and request.form.get("action") == "import":
        import_jobs.start_import(job, current_user)
        db.session.commit()
    elif job.status in import_jobs.WORKING:
        import_jobs.advance(job, current_user)
    if wants_fragment():
        return _progress_page(job)
    return redirect(url_for("leads.import_progress", job_id=job.id), 303)


@bp.route("/import/<int:job_id>/problems.csv")
@require("leads.import")
def import_problems(job_id):
    job = get_job_or_404(job_id)
    problems = json.loads(job.problems or "[]")
    return csv_response(f"import-{job.id}-problems.csv", [_("Line"), _("Field"), _("Problem")],
                        shown_problems(problems))
