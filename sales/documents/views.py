"""Staff pages of documents: attach one to a product, customer, lead or quote; open, change, replace, remove.

Which record a document is on decides who may do what (sales/records.py): a seller who may not see a lead gets a
404 for its documents as for the lead itself.
"""
from io import BytesIO

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from extensions import db
from models import Customer, Document, Lead, Product, Quote
from sales import bulk, records, storage
from sales.documents import bp, rules
from sales.documents.forms import DocumentForm
from sales.forms import EmptyForm
from sales.htmx import render_page
from sales.policy import can, require


def holder_url(holder, **anchor):
    """The page of the record a document is on."""
    if isinstance(holder, Product):
        return url_for("catalog.edit", product_id=holder.id, **anchor)
    if isinstance(holder, Customer):
        return url_for("customers.show", customer_id=holder.id, **anchor)
    if isinstance(holder, Lead):
        return url_for("leads.show", lead_id=holder.id, **anchor)
    return url_for("quotes.show", quote_id=holder.id, **anchor)


def holder_name(holder):
    if isinstance(holder, Quote):
        return holder.number
    return getattr(holder, "name", None) or getattr(holder, "title", "")


def new_url(holder):
    endpoint, argument = {Product: ("new_for_product", "product_id"), Customer: ("new_for_customer", "customer_id"),
                          Lead: ("new_for_lead", "lead_id"), Quote: ("new_for_quote", "quote_id")}[type(holder)]
    return url_for(f"documents.{endpoint}", **{argument: holder.id})


ATTACH_ACTIONS = {Product: "catalog.edit", Customer: "customers.edit", Lead: "leads.edit", Quote: "quotes.edit"}


class Section:
    """What a record's page needs to show its documents (templates/documents/_section.html)."""

    def __init__(self, holder, heading=None, empty=None):
        on_product = isinstance(holder, Product)
        self.holder, self.on_product = holder, on_product
        self.documents = rules.documents_of(holder)
        self.heading = heading or _("Documents")
        self.empty = empty or _("No documents yet.")
        self.may_attach = can(current_user, ATTACH_ACTIONS[type(holder)]) and (
            on_product or records.may_change(current_user, holder))
        self.form = DocumentForm(formdata=None).for_holder(on_product) if self.may_attach else None
        self.attach_url = new_url(holder)
        self.action_form = EmptyForm()

    @staticmethod
    def may_change(document):
        return records.may_change(current_user, document)


def _upload(form):
    """The file sent, from the file chooser or the camera (whichever was used), or None."""
    for name in (form.photo.name, form.file.name):
        upload = request.files.get(name)
        if upload and upload.filename:
            return upload
    return None


def _read(form, required):
    """The checked upload (None when no file was sent); a refused one becomes the form's error."""
    upload = _upload(form)
    if upload is None:
        if required and not (form.body.data or "").strip():
            form.file.errors.append(_("Choose a file, take a photo or write the page."))
        return None
    try:
        return rules.read_upload(upload.stream or BytesIO(), upload.filename)
    except rules.DocumentRefused as refused:
        form.file.errors.append(str(refused))
        return None


def _form_page(form, holder, document=None, status=200):
    title = document.title if document else _("New document for %(name)s", name=holder_name(holder))
    return render_page(None, "documents/_form.html", title=title, form=form, holder=holder, document=document,
                       holder_url=holder_url(holder, _anchor="documents"), holder_name=holder_name(holder),
                       on_product=isinstance(holder, Product),
                       action=url_for("documents.edit", document_id=document.id) if document else new_url(holder),
                       status=status)


def _new(holder):
    form = DocumentForm().for_holder(isinstance(holder, Product))
    if request.method == "POST":
        valid = form.validate_on_submit()
        upload = _read(form, required=True)
        if valid and not form.file.errors:
            try:
                document = rules.add_document(holder, kind=form.kind.data, title=form.title.data,
                                              language=form.language.data, body=form.body.data, upload=upload,
                                              every_months=form.every_months.data, user_id=current_user.id)
            except rules.DocumentRefused as refused:     # the storage could not keep the file just now
                form.file.errors.append(str(refused))
                return _form_page(form, holder, status=422)
            db.session.commit()
            flash(_("%(title)s attached.", title=document.title), "success")
            return redirect(holder_url(holder, _anchor="documents"), 303)
        return _form_page(form, holder, status=422)
    return _form_page(form, holder)


@storage.back_when_too_large("documents.new_for_product")
@storage.back_when_too_large("documents.new_for_customer")
@storage.back_when_too_large("documents.new_for_lead")
@storage.back_when_too_large("documents.new_for_quote")
@storage.back_when_too_large("documents.edit")
def _too_large(view_args):
    message = _("That file is too large. Documents can be up to %(mb)d MB.",
                mb=rules.MAX_DOCUMENT_BYTES // storage.MB)
    document = db.session.get(Document, view_args["document_id"]) if "document_id" in view_args else None
    if document is not None and records.may_view(current_user, document):
        return url_for("documents.edit", document_id=document.id), message
    for argument, model in (("product_id", Product), ("customer_id", Customer), ("lead_id", Lead),
                            ("quote_id", Quote)):
        holder = db.session.get(model, view_args[argument]) if argument in view_args else None
        if holder is not None and (model is Product or records.may_view(current_user, holder)):
            return holder_url(holder, _anchor="documents"), message
    return url_for("pages.home"), message


@bp.route("/new/product/<int:product_id>", methods=["GET", "POST"])
@require("catalog.edit")
def new_for_product(product_id):
    return _new(db.session.get(Product, product_id) or abort(404))


@bp.route("/new/customer/<int:customer_id>", methods=["GET", "POST"])
@require("customers.edit")
def new_for_customer(customer_id):
    return _new(records.get_or_404(Customer, customer_id, change=True))


@bp.route("/new/lead/<int:lead_id>", methods=["GET", "POST"])
@require("leads.edit")
def new_for_lead(lead_id):
    return _new(records.get_or_404(Lead, lead_id, change=True))


@bp.route("/new/quote/<int:quote_id>", methods=["GET", "POST"])
@require("quotes.edit")
def new_for_quote(quote_id):
    return _new(records.get_or_404(Quote, quote_id, change=True))


@bp.route("/<int:document_id>")
def show(document_id):
    document = records.get_or_404(Document, document_id)
    if document.is_file:
        return storage.files().send(document.stored_name, document.content_type, document.original_name)
    return render_page(None, "documents/_page.html", title=document.title, document=document,
                       holder_url=holder_url(document.holder, _anchor="documents"),
                       holder_name=holder_name(document.holder),
                       may_change=records.may_change(current_user, document))


@bp.route("/<int:document_id>/edit", methods=["GET", "POST"])
def edit(document_id):
    document = records.get_or_404(Document, document_id, change=True)
    form = DocumentForm(obj=document) if request.method == "GET" else DocumentForm()
    form.for_holder(document.product_id is not None)
    if request.method == "GET":
        form.version.data = document.version
        form.language.data = document.language or ""
        return _form_page(form, document.holder, document)
    valid = form.validate_on_submit()
    upload = _read(form, required=not document.is_file)
    if valid and form.loaded_version() != document.version:
        form.version.errors.append(_("Someone else changed this document meanwhile. Look at it again before you "
                                     "save."))
        form.version.data = document.version
        return _form_page(form, document.holder, document, status=409)
    if not valid or form.file.errors:
        return _form_page(form, document.holder, document, status=422)
    try:
        unused = rules.change_document(document, kind=form.kind.data, title=form.title.data,
                                       language=form.language.data, body=form.body.data, upload=upload,
                                       every_months=form.every_months.data)
    except rules.DocumentRefused as refused:     # the storage could not keep the new file just now
        db.session.rollback()
        form.file.errors.append(str(refused))
        return _form_page(form, document.holder, document, status=422)
    db.session.commit()
    rules.forget_file(unused)
    flash(_("%(title)s saved.", title=document.title), "success")
    return redirect(holder_url(document.holder, _anchor="documents"), 303)


class DocumentDeletion(bulk.Deletion):
    model = Document
    permission = None              # records.py alone decides, as for the rest of the documents

    def question(self, document):
        return _("Remove “%(title)s” from %(holder)s?", title=document.title, holder=holder_name(document.holder))

    def summary(self, document):
        return _("%(title)s removed.", title=document.title)

    def restored_text(self, before):
        return _("“%(title)s” is back.", title=before["title"])

    def back(self, before):
        for column, model in (("product_id", Product), ("customer_id", Customer), ("lead_id", Lead),
                              ("quote_id", Quote)):
            if before.get(column):
                return holder_url(model(id=before[column]), _anchor="documents")
        return url_for("pages.home")

    def may_restore(self, user, document):
        return records.may_change(user, document)

    def after_delete(self, before):
        forget_expired_files()


DOCUMENT_DELETION = bulk.deletion(DocumentDeletion())


def forget_expired_files(now=None):
    """A removed document's file stays for the ten minutes of undo; the files of removals past them go (at the
    next removal), with the removals' records, which can no longer be undone anyway."""
    for expired in bulk.expired_deletions(Document.__tablename__, now):
        for entry in expired.records.values():
            rules.forget_file(entry["before"].get("stored_name"))
        db.session.delete(expired)
    db.session.commit()


@bp.route("/<int:document_id>/delete", methods=["GET", "POST"])
def delete(document_id):
    """GET asks first; POST removes the document, with ten minutes to undo it."""
    document = records.get_or_404(Document, document_id, change=True)
    if request.method == "GET":
        return bulk.confirm_delete(DOCUMENT_DELETION, document, request.path)
    return bulk.delete_view(DOCUMENT_DELETION, document)
