"""Screens of the CSV import: upload, map the columns, watch the check, import the good rows."""
import json

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from extensions import db
from models import ImportJob, utcnow
from sales.csv_export import csv_response
from sales.forms import EmptyForm
from sales.htmx import render_page, wants_fragment
from sales.leads import bp
from sales.leads import imports
from sales.leads.stages import ensure_default_stages
from sales import records
from sales.policy import require

def target_labels():
    return {
        "customer": _("Customer name"), "email": _("Email"), "phone": _("Phone"), "city": _("City"),
        "title": _("Lead title"), "value": _("Estimated value"), "close_date": _("Expected close date"),
        "stage": _("Stage"), "source": _("Source"), "seller": _("Seller"), "notes": _("Notes"),
    }


def get_job_or_404(job_id):
    return records.get_or_404(ImportJob, job_id)


@bp.route("/import", methods=["GET", "POST"])
@require("leads.import")
def import_upload():
    form = EmptyForm()
    error = None
    if form.validate_on_submit():
        upload = request.files.get("file")
        if not upload or not upload.filename:
            error = _("Choose a CSV file to import.")
        else:
            try:
                text = imports.decode(upload.read(imports.MAX_BYTES + 1))
                header, rows = imports.read_rows(text)
            except imports.ImportError_ as problem:
                error = str(problem)
            else:
                settings = imports.Settings(mapping=imports.guess_mapping(header))
                settings.date_format = imports.guess_date_format(
                    imports.distinct_values(rows, settings.mapping.get("close_date"), 200))
                settings.stage_map = {k: v for k, v in imports.guess_stage_map(
                    imports.distinct_values(rows, settings.mapping.get("stage")), ensure_default_stages()).items()}
                job = ImportJob(user_id=current_user.id, filename=upload.filename[:200], content=text,
                                settings=settings.dump(), total_rows=len(rows))
                db.session.add(job)
                db.session.commit()
                return redirect(url_for("leads.import_mapping", job_id=job.id), 303)
    return render_page(None, "leads/_import_upload.html", title=_("Import leads"), form=form, error=error,
                       status=422 if error else 200)


def _settings_from_form(header, previous):
    settings = imports.Settings(duplicates=request.form.get("duplicates", "merge"),
                                date_format=request.form.get("date_format", previous.date_format))
    if settings.duplicates not in ("merge", "skip"):
        settings.duplicates = "merge"
    if settings.date_format not in imports.DATE_FORMATS:
        settings.date_format = "dmy"
    for target in target_labels():
        value = request.form.get(f"map-{target}", "")
        if value.isdigit() and int(value) < len(header):
            settings.mapping[target] = int(value)
    stage_ids = {s.id for s in ensure_default_stages()}
    for key, value in request.form.items():
        if key.startswith("stage-") and value.isdigit() and int(value) in stage_ids:
            settings.stage_map[key[len("stage-"):]] = int(value)
    return settings


@bp.route("/import/<int:job_id>", methods=["GET", "POST"])
@require("leads.import")
def import_mapping(job_id):
    job = get_job_or_404(job_id)
    if job.status != "mapping":
        return redirect(url_for("leads.import_progress", job_id=job.id))
    header, rows = imports.read_rows(job.content)
    settings = imports.Settings.load(job.settings)
    missing = []
    if request.method == "POST" and EmptyForm().validate_on_submit():
        settings = _settings_from_form(header, settings)
        missing = [t for t in imports.REQUIRED if t not in settings.mapping]
        if request.form.get("action") == "start" and not missing:
            job.settings = settings.dump()
            job.status = "checking"
            db.session.commit()
            return redirect(url_for("leads.import_progress", job_id=job.id), 303)
        if request.form.get("action") == "cancel":
            db.session.delete(job)
            db.session.commit()
            flash(_("Import cancelled. Nothing was imported."), "info")
            return redirect(url_for("leads.index"), 303)
        job.settings = settings.dump()
        db.session.commit()
    stage_values = imports.distinct_values(rows, settings.mapping.get("stage"))
    for value, stage_id in imports.guess_stage_map(stage_values, ensure_default_stages()).items():
        settings.stage_map.setdefault(value, stage_id)
    preview = rows[:5]
    return render_page(None, "leads/_import_mapping.html", title=_("Import leads"), job=job, header=header,
                       preview=preview, settings=settings, targets=target_labels(), required=imports.REQUIRED,
                       stage_values=stage_values, stages=ensure_default_stages(), missing=missing,
                       form=EmptyForm(), status=422 if missing else 200)


@bp.route("/import/<int:job_id>/progress")
@require("leads.import")
def import_progress(job_id):
    job = get_job_or_404(job_id)
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
    """Do the next piece of work: check a chunk of rows, or (once asked) import the good ones."""
    job = get_job_or_404(job_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if job.status == "checking":
        rows = imports.file_rows(job)
        end = min(job.checked_rows + imports.CHUNK, len(rows))
        found = imports.check_chunk(job, rows, job.checked_rows, end)
        job.problems = json.dumps(json.loads(job.problems or "[]") + [list(p) for p in found])
        job.checked_rows = end
        if end >= len(rows):
            job.status = "checked"
        db.session.commit()
    elif job.status == "checked" and request.form.get("action") == "import":
        job.status = "importing"
        counts = imports.import_rows(job, imports.file_rows(job), current_user)
        job.status = "done"
        job.result = json.dumps(counts)
        job.finished_at = utcnow()
        job.content = ""  # the file is no longer needed once imported
        db.session.commit()
    if wants_fragment():
        return _progress_page(job)
    return redirect(url_for("leads.import_progress", job_id=job.id), 303)


@bp.route("/import/<int:job_id>/problems.csv")
@require("leads.import")
def import_problems(job_id):
    job = get_job_or_404(job_id)
    problems = json.loads(job.problems or "[]")
    return csv_response(f"import-{job.id}-problems.csv", [_("Line"), _("Field"), _("Problem")], problems)
