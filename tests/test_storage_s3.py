"""Files in an S3-compatible bucket (STORAGE_URL=s3://bucket/prefix), against a real S3 server on loopback (moto's
server mode, tests/object_store.py): a ticket photo and a document go up through the pages, come back byte for
byte with the headers the folder gives them, and go when deleted; `flask move-files` moves every file between the
folder and the bucket and back, checking each copy's SHA-256 before deleting anything; backups and restores take
the files from the bucket and put them back into one; readiness asks the bucket."""
import hashlib
import io
import zipfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from extensions import db
from models import Attachment, Customer, Document, Product
from sales import clock, storage
from tests.object_store import S3Server

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def png(colour=(20, 120, 90), size=(12, 9)):
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def s3_server():
    with S3Server() as server:
        yield server


@pytest.fixture
def bucket(app, s3_server, monkeypatch, tmp_path):
    """The app keeps its files in a new bucket of the S3 server (prefix "files/"); its instance folder is a fresh
    one, so the test can tell that nothing landed on the disk."""
    name = s3_server.new_bucket()
    for key, value in s3_server.settings(name).items():
        monkeypatch.setitem(app.config, key, value)
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    return name


def in_bucket(s3_server, name):
    return s3_server.objects(name)


def folder_files(app):
    folder = Path(app.instance_path) / "attachments"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@pytest.fixture
def ticket(app, make_customer):
    from sales.support import rules

    customer = make_customer("Ana García")
    with app.app_context():
        opened = rules.open_ticket(db.session.get(Customer, customer.id), title="Squeaky brake")
        db.session.commit()
        return opened.id


def test_a_ticket_photo_goes_into_the_bucket_and_comes_back_the_same(as_owner, app, bucket, s3_server, ticket,
                                                                      make_user):
    from tests.conftest import login

    photo = png()
    response = as_owner.post(f"/support/tickets/{ticket}/photos", data={"photo": (io.BytesIO(photo), "brake.png")},
                             content_type="multipart/form-data")
    assert response.status_code == 303
    with app.app_context():
        attachment = db.session.scalar(select(Attachment))
    objects = in_bucket(s3_server, bucket)
    assert list(objects) == [f"files/{attachment.stored_name}"] and "brake" not in attachment.stored_name
    assert folder_files(app) == []                       # nothing on this server's disk

    served = as_owner.get(f"/support/photos/{attachment.id}")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.data == objects[f"files/{attachment.stored_name}"]
    assert served.data.startswith(b"\x89PNG") and served.headers["Content-Length"] == str(len(served.data))
    assert served.headers["Content-Disposition"] == "inline"
    assert "default-src 'none'" in served.headers["Content-Security-Policy"]
    assert served.headers["Cache-Control"] == "no-store"     # a shared tablet keeps no customer's photo
    again = as_owner.get(f"/support/photos/{attachment.id}", headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert "Location" not in served.headers           # streamed by the app, never a redirect to the bucket

    # The record rules still decide who sees it: a seller of another customer gets nothing.
    other = app.test_client()
    login(other, make_user("seller"))
    assert other.get(f"/support/photos/{attachment.id}").status_code == 404

    s3_server.client().delete_object(Bucket=bucket, Key=f"files/{attachment.stored_name}")
    assert as_owner.get(f"/support/photos/{attachment.id}").status_code == 404   # gone from the bucket: 404


def test_a_document_is_stored_replaced_and_deleted_in_the_bucket(as_owner, app, bucket, s3_server):
    with app.app_context():
        product = Product(code="ECITY", name="E-City bike", unit_price=Decimal("1890"), warranty_months=24)
        db.session.add(product)
        db.session.commit()
        product_id = product.id
    response = as_owner.post(f"/documents/new/product/{product_id}", content_type="multipart/form-data",
                             data={"doc-kind": "datasheet", "doc-language": "es",
                                   "doc-file": (io.BytesIO(PDF), "guía técnica.pdf")})
    assert response.status_code == 303
    with app.app_context():
        document = db.session.scalar(select(Document))
    assert in_bucket(s3_server, bucket) == {f"files/{document.stored_name}": PDF}

    opened = as_owner.get(f"/documents/{document.id}")
    assert opened.status_code == 200 and opened.data == PDF and opened.mimetype == "application/pdf"
    assert opened.headers["Content-Disposition"].startswith("inline;")
    assert "filename*=UTF-8''gu%C3%ADa%20t%C3%A9cnica.pdf" in opened.headers["Content-Disposition"]

    replacement = png((200, 60, 40))
    response = as_owner.post(f"/documents/{document.id}/edit", content_type="multipart/form-data", data={
        "doc-kind": "datasheet", "doc-language": "en", "doc-title": "Updated", "doc-version": document.version,
        "doc-file": (io.BytesIO(replacement), "new.png")})
    assert response.status_code == 303
    with app.app_context():
        replaced = db.session.scalar(select(Document))
    objects = in_bucket(s3_server, bucket)
    assert list(objects) == [f"files/{replaced.stored_name}"], "the old file left the bucket"
    assert as_owner.get(f"/documents/{document.id}").data == objects[f"files/{replaced.stored_name}"]

    assert as_owner.post(f"/documents/{document.id}/delete").status_code == 303
    assert as_owner.get(f"/documents/{document.id}").status_code == 404
    # The file waits in the bucket for the ten minutes of undo (tests/test_deletes_undo.py), then goes.
    assert list(in_bucket(s3_server, bucket)) == [f"files/{replaced.stored_name}"]
    from sales.documents.views import forget_expired_files

    with app.app_context():
        forget_expired_files(now=clock.utcnow() + timedelta(minutes=11))
    assert in_bucket(s3_server, bucket) == {} and folder_files(app) == []


def test_readiness_asks_the_bucket(client, app, bucket, monkeypatch):
    ready = client.get("/healthz/ready")
    assert ready.status_code == 200 and ready.json["storage"] == "ok"
    monkeypatch.setitem(app.config, "STORAGE_URL", "s3://no-such-bucket-here/files")
    missing = client.get("/healthz/ready")
    assert missing.status_code == 503 and missing.json["storage"].startswith("error")
    monkeypatch.setitem(app.config, "STORAGE_URL", f"s3://{bucket}/files")
    monkeypatch.setitem(app.config, "STORAGE_ENDPOINT_URL", "http://127.0.0.1:9")    # nothing listens there
    unreachable = client.get("/healthz/ready")
    assert unreachable.status_code == 503 and unreachable.json["storage"] == "error: EndpointConnectionError"
    assert unreachable.json["database"] == "ok" and client.get("/healthz/live").status_code == 200


def test_an_upload_the_bucket_cannot_take_gives_the_form_back_with_words(as_owner, app, bucket, ticket,
                                                                         monkeypatch):
    from tests.conftest import text_of

    monkeypatch.setitem(app.config, "STORAGE_ENDPOINT_URL", "http://127.0.0.1:9")    # the store is down
    response = as_owner.post(f"/support/tickets/{ticket}/photos", data={"photo": (io.BytesIO(png()), "a.png")},
                             content_type="multipart/form-data")
    assert response.status_code == 422
    assert "The file could not be stored just now, so it was not kept." in text_of(response)
    with app.app_context():
        product = Product(code="RACK", name="Rear rack", unit_price=Decimal("40"), warranty_months=24)
        db.session.add(product)
        db.session.commit()
        product_id = product.id
    response = as_owner.post(f"/documents/new/product/{product_id}", content_type="multipart/form-data",
                             data={"doc-kind": "manual", "doc-language": "es", "doc-title": "Fitting the rack",
                                   "doc-file": (io.BytesIO(PDF), "rack.pdf")})
    assert response.status_code == 422 and "could not be stored just now" in text_of(response)
    assert 'value="Fitting the rack"' in response.get_data(as_text=True)          # what was typed is kept
    with app.app_context():
        assert db.session.scalar(select(Attachment)) is None and db.session.scalar(select(Document)) is None


def test_move_files_to_the_bucket_and_back_checks_every_copy(app, bucket, s3_server, runner):
    with app.app_context():
        folder = storage.folder()
        originals = {folder.put(png((n * 40, 10, 10)), "png"): None for n in range(4)}
        for name in originals:
            originals[name] = sha256(folder.read(name))
        names = sorted(originals)
        # An earlier run that stopped half-way: one file already copied, one copied damaged.
        storage.bucket().put_as(names[0], io.BytesIO(folder.read(names[0])))
        storage.bucket().put_as(names[1], io.BytesIO(b"half a file"))

    result = runner.invoke(args=["move-files", "--to", "s3"])
    assert result.exit_code == 0, result.output
    assert "Copied 3 file(s)" in result.output and "1 already there with the same SHA-256" in result.output
    assert f"deleted 4 file(s) from {Path(app.instance_path) / 'attachments'}" in result.output
    objects = in_bucket(s3_server, bucket)
    assert {key.removeprefix("files/"): sha256(data) for key, data in objects.items()} == originals
    assert folder_files(app) == []

    again = runner.invoke(args=["move-files", "--to", "s3"])     # nothing left to move: says so, harms nothing
    assert again.exit_code == 0 and "Copied 0 file(s)" in again.output and len(in_bucket(s3_server, bucket)) == 4

    back = runner.invoke(args=["move-files", "--to", "folder"])
    assert back.exit_code == 0, back.output
    assert "Copied 4 file(s)" in back.output and f"deleted 4 file(s) from s3://{bucket}/files/" in back.output
    folder_path = Path(app.instance_path) / "attachments"
    assert {name: sha256((folder_path / name).read_bytes()) for name in folder_files(app)} == originals
    assert in_bucket(s3_server, bucket) == {}


def test_move_files_deletes_nothing_when_a_copy_does_not_match(app, bucket, s3_server):
    class Damaging(storage.S3Bucket):
        """A store that keeps one file wrong, as a failing disk or a proxy that cuts uploads would."""

        def put_as(self, name, source):
            data = source.read()
            super().put_as(name, io.BytesIO(data[:-1] if name == victim else data))

    with app.app_context():
        folder = storage.folder()
        names = [folder.put(png((n * 50, 0, 0)), "png") for n in range(3)]
        victim = names[1]
        real = storage.bucket()
        report = storage.move_files(folder, Damaging(real.client, real.bucket, "files"))
    assert report.mismatched == [victim] and report.copied == 2 and report.deleted == 0
    assert folder_files(app) == sorted(names), "every original is still in the folder"


def test_move_files_needs_the_bucket_named(app, runner, monkeypatch):
    monkeypatch.setitem(app.config, "STORAGE_URL", None)
    result = runner.invoke(args=["move-files", "--to", "s3"])
    assert result.exit_code == 1 and "STORAGE_URL is not set" in result.output


def test_a_backup_takes_the_files_from_the_bucket_and_a_restore_puts_them_into_one(app, bucket, s3_server, runner,
                                                                                  tmp_path, ticket, as_owner):
    from app import create_app

    from sales.backup.archive import verify_archive
    from sales.backup.restore import restore_backup

    photo = png((1, 2, 3))
    as_owner.post(f"/support/tickets/{ticket}/photos", data={"photo": (io.BytesIO(photo), "a.png")},
                  content_type="multipart/form-data")
    with app.app_context():
        stored_name = db.session.scalar(select(Attachment.stored_name))
    kept = in_bucket(s3_server, bucket)[f"files/{stored_name}"]

    result = runner.invoke(args=["backup", str(tmp_path / "shop.zip")])
    assert result.exit_code == 0 and "1 attachment file(s)" in result.output, result.output
    assert "missing" not in result.output
    checked = runner.invoke(args=["verify-backup", str(tmp_path / "shop.zip")])
    assert checked.exit_code == 0 and "complete and undamaged" in checked.output
    manifest = verify_archive(tmp_path / "shop.zip")
    assert manifest["attachments"] == {"stored": 1, "missing": [], "storage": "s3"}
    with zipfile.ZipFile(tmp_path / "shop.zip") as archive:
        assert archive.read(f"attachments/{stored_name}") == kept

    # A new shop whose files live in a bucket of their own: the restore puts the photo there, not on its disk.
    other_bucket = s3_server.new_bucket()
    target = create_app({"TESTING": True, "SECRET_KEY": "restored",
                         "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'restored.db'}",
                         **s3_server.settings(other_bucket, prefix="shop2")})
    target.instance_path = str(tmp_path / "restored-instance")
    with target.app_context():
        report = restore_backup(tmp_path / "shop.zip", target.instance_path)
        assert report.files == 1 and db.session.scalar(select(Attachment.stored_name)) == stored_name
        db.engine.dispose()
    assert s3_server.objects(other_bucket, prefix="shop2") == {f"shop2/{stored_name}": kept}
    assert not (tmp_path / "restored-instance" / "attachments").exists() or \
        not list((tmp_path / "restored-instance" / "attachments").iterdir())


def test_the_whole_shop_export_takes_the_files_from_the_bucket(app, bucket, s3_server, tmp_path):
    from sales.backup.shop_export import write_shop_export

    with app.app_context():
        name = storage.files().put(PDF, "pdf")
        with open(tmp_path / "export.zip", "wb") as out:
            write_shop_export(out, app.instance_path)
    with zipfile.ZipFile(tmp_path / "export.zip") as archive:
        assert archive.read(f"attachments/{name}") == PDF
        assert "attachments/: 1 files" in archive.read("README.txt").decode()


def test_a_stored_name_is_never_a_path_or_a_key_of_something_else(app, bucket):
    with app.app_context():
        for store in (storage.bucket(), storage.folder()):
            for name in ("../secret_key", "files/../x", ".hidden", "a/b.png", ""):
                with pytest.raises(FileNotFoundError):
                    store.read(name)
                with pytest.raises(ValueError):
                    store.put_as(name, io.BytesIO(b"x"))
            assert store.names() == []
