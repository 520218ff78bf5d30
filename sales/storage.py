"""Files people upload (ticket photos, product manuals, a signed order): checked, cleaned and kept in one place.

Every upload goes through `accept()`: the file is judged by its content, never by its name (a "manual.pdf" that
is a script is refused); pictures are decoded and saved again, which drops their EXIF block — the GPS position
a phone writes into every photo, the camera's serial number — and keeps only the pixels (turned upright first,
so nothing shows sideways once the orientation tag is gone); an optional virus scanner, a command the shop
configures (UPLOAD_SCAN_COMMAND), reads each file before it is kept.

The files themselves live behind `files()`, under generated names only, in one of two places chosen by
STORAGE_URL: a folder of the instance (the default: `instance/attachments`), or a bucket of S3-compatible object
storage (`s3://bucket/prefix`) that several app servers share. Both answer the same few calls (put, read, open,
delete, send, names, check); views, backups and commands never build a path or a key themselves.
"""
import hashlib
import io
import os
import re
import secrets
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from flask import abort, current_app, send_file
from flask_babel import lazy_gettext as _l

MB = 1024 * 1024
HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic")
PDF = "application/pdf"
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/heic": "heic", PDF: "pdf"}


class Refused(ValueError):
    """The upload is not kept; the message says why, in words for the person who sent it."""


def sniff(head: bytes) -> Optional[str]:
    """The content type the file's first bytes show, whatever its name claims; None when it is none we take."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in HEIC_BRANDS:
        return "image/heic"
    if head.startswith(b"%PDF-"):
        return PDF
    return None


def clean_image(data: bytes, content_type: str) -> bytes:
    """The picture decoded and encoded again without its metadata (EXIF with the GPS position, XMP, comments).

    Refused when it does not decode: a file that starts like a JPEG but is not one is not kept either.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if content_type == "image/heic":
        try:   # HEIC (iPhones) decodes only with pillow-heif installed
            from pillow_heif import register_heif_opener

            register_heif_opener()
        except ImportError:
            pass
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        if content_type == "image/heic":
            raise Refused(_l("This HEIC picture cannot be read here. Set the camera to “Most compatible” (JPEG) "
                             "or send it as a JPEG."))
        raise Refused(_l("This picture is damaged or is not really a picture, so it was not kept."))
    target = PILLOW_FORMATS.get(content_type, "JPEG")
    if target == "JPEG" and upright.mode not in ("RGB", "L", "CMYK"):
        upright = upright.convert("RGB")
    out = io.BytesIO()
    # Only the colour profile survives: it is about the colours, not about who took the picture or where.
    options = {"icc_profile": upright.info["icc_profile"]} if upright.info.get("icc_profile") else {}
    if target in ("JPEG", "WEBP"):
        options["quality"] = 90
    upright.save(out, format=target, **options)
    return out.getvalue()


def scan(data: bytes) -> None:
    """Run the configured virus scanner (UPLOAD_SCAN_COMMAND, e.g. ``clamdscan --no-summary -``) on the file,
    given on its standard input. Exit 0 is clean, anything else refuses the file: a scanner that cannot run
    must not let files through unchecked. Without the setting there is no scan."""
    command = current_app.config.get("UPLOAD_SCAN_COMMAND")
    if not command:
        return
    try:
        finished = subprocess.run(shlex.split(command), input=data, capture_output=True,
                                  timeout=current_app.config.get("UPLOAD_SCAN_TIMEOUT", 60))
    except (OSError, subprocess.SubprocessError):
        current_app.logger.exception("The upload virus scan could not run: %s", command)
        raise Refused(_l("The file could not be checked for viruses just now, so it was not kept. Try again "
                         "in a moment."))
    if finished.returncode == 1:
        current_app.logger.warning("The virus scan refused an upload: %s", finished.stdout[:300])
        raise Refused(_l("The virus check found something in this file, so it was not kept."))
    if finished.returncode != 0:
        current_app.logger.error("The upload virus scan failed (%d): %s", finished.returncode, finished.stderr[:300])
        raise Refused(_l("The file could not be checked for viruses just now, so it was not kept. Try again "
                         "in a moment."))


@dataclass
class Accepted:
    """A checked upload, ready to store: its cleaned bytes and what they are."""

    data: bytes
    content_type: str
    original_name: Optional[str]

    @property
    def extension(self):
        return EXTENSIONS[self.content_type]


def accept(stream, original_name, *, types, max_bytes, empty, too_large, wrong_type) -> Accepted:
    """Read an upload and check it: not empty, at most `max_bytes`, of one of `types` by its content, a picture
    that decodes (then cleaned), passed by the virus scan. Raises Refused with the caller's own words for the
    first three ("Choose a photo to attach.")."""
    data = stream.read(max_bytes + 1) if stream is not None else b""
    if not data:
        raise Refused(empty)
    if len(data) > max_bytes:
        raise Refused(too_large)
    content_type = sniff(data[:16])
    if content_type not in types:
        raise Refused(wrong_type)
    if content_type in PILLOW_FORMATS or content_type == "image/heic":
        data = clean_image(data, content_type)
        if content_type == "image/heic":
            content_type = "image/jpeg"   # decoded (pillow-heif installed) and kept as the JPEG every browser shows
    scan(data)
    return Accepted(data, content_type, (original_name or "").strip()[:200] or None)


# --- A request larger than the server takes (MAX_CONTENT_LENGTH) -------------------------------------------

TOO_LARGE_PAGES = {}


def back_when_too_large(endpoint):
    """Register `page(view_args) -> (url, message)`: where a too-large upload to `endpoint` goes back to (with
    the message flashed), instead of a bare 413. sales/errors.py answers every such request."""
    def register(page):
        TOO_LARGE_PAGES[endpoint] = page
        return page
    return register


# --- Where the files are kept --------------------------------------------------------------------------------

CHUNK = 1024 * 1024
# A stored file's name: the random names `put` makes ("3f9c….jpg") and those older files already carry. Nothing
# else ever becomes a path or a key: no folders, no "..", no hidden files (the folder's own ".ready-" probes).
STORED_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]{0,150}(\.[0-9A-Za-z]{1,10})?\Z")
CONTENT_TYPES = {extension: content_type for content_type, extension in EXTENSIONS.items()}


class StorageError(Exception):
    """The file storage is not set up as it must be; the message says what to set."""


def _not_stored(store, exc):
    """A store that cannot take an upload just now (a full disk, an unreachable bucket): the operator reads why in
    the log, the person gets their form back with words, not an error page."""
    current_app.logger.error("The upload could not be stored in %s: %s: %s", store, exc.__class__.__name__, exc)
    return Refused(_l("The file could not be stored just now, so it was not kept. Try again in a moment."))


def is_stored_name(name) -> bool:
    return isinstance(name, str) and bool(STORED_NAME.match(name))


def _valid_name(name):
    if not is_stored_name(name):
        raise ValueError(f"Not the name of a stored file: {name!r}")
    return name


def _new_name(extension):
    return f"{secrets.token_hex(16)}.{extension}"


def _type_of(name):
    return CONTENT_TYPES.get(name.rpartition(".")[2], "application/octet-stream")


def _shown_privately(response, download_name):
    """The headers every stored file is sent with, from either place: shown in the browser (inline), and a PDF's
    own scripts get no access to the shop's pages or cookies."""
    if not download_name:
        response.headers["Content-Disposition"] = "inline"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; " \
        "object-src 'self'; frame-ancestors 'self'"
    return response


class LocalFolder:
    """Files in a folder of this machine: instance/attachments, which the backup keeps with the database."""

    kind = "folder"

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def __str__(self):
        return str(self.folder)

    def put(self, data: bytes, extension: str) -> str:
        """Keep the bytes under a new random name (never the uploader's) and return that name."""
        name = _new_name(extension)
        try:
            (self.folder / name).write_bytes(data)
        except OSError as exc:
            (self.folder / name).unlink(missing_ok=True)    # half a file on a full disk helps nobody
            raise _not_stored(self, exc) from None
        return name

    def put_as(self, name: str, source) -> None:
        """Keep the contents of the binary file `source` under the name the file already has (a restore, a move),
        written whole or not at all."""
        target = self.folder / _valid_name(name)
        partial = self.folder / f".{name}.partial"
        try:
            with open(partial, "wb") as out:
                shutil.copyfileobj(source, out, CHUNK)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)

    def delete(self, name: str) -> None:
        if is_stored_name(name):
            (self.folder / name).unlink(missing_ok=True)

    def open(self, name: str):
        """The file as a binary file object to read; FileNotFoundError when there is none."""
        if not is_stored_name(name):
            raise FileNotFoundError(name)
        return open(self.folder / name, "rb")

    def read(self, name: str) -> bytes:
        with self.open(name) as source:
            return source.read()

    def names(self) -> list:
        """Every stored file's name, sorted: what backups, exports and `flask move-files` go through."""
        return sorted(path.name for path in self.folder.iterdir() if is_stored_name(path.name) and path.is_file())

    def check(self) -> None:
        """Raise unless a file can be written here (a full disk or a read-only mount says no)."""
        with tempfile.NamedTemporaryFile(dir=self.folder, prefix=".ready-", delete=True) as probe:
            probe.write(b"ok")
            probe.flush()
            os.fsync(probe.fileno())

    def send(self, name: str, content_type: str, download_name: Optional[str] = None):
        """The file as a response, shown in the browser (inline) with the type it was stored as."""
        path = self.folder / name if is_stored_name(name) else None
        if path is None or not path.is_file():
            abort(404)
        response = send_file(path, mimetype=content_type, max_age=0, download_name=download_name,
                             as_attachment=False, conditional=True)
        return _shown_privately(response, download_name)


class S3Bucket:
    """Files as objects of an S3-compatible bucket (AWS S3, MinIO, Garage, Ceph, Backblaze B2, Wasabi, R2, …) under
    a prefix, so that every app server reads what any of them stored. The objects stay private: nothing here sets
    an ACL or hands out a public or presigned URL (see `send`)."""

    kind = "s3"

    def __init__(self, client, bucket: str, prefix: str = "", probe_client=None):
        self.client, self.bucket = client, bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.probe_client = probe_client or client

    def __str__(self):
        return f"s3://{self.bucket}/{self.prefix}"

    def _key(self, name):
        if not is_stored_name(name):
            raise FileNotFoundError(name)
        return self.prefix + name

    def put(self, data: bytes, extension: str) -> str:
        """Keep the bytes under a new random name (never the uploader's) and return that name; Refused when the
        bucket cannot take it just now."""
        from botocore.exceptions import BotoCoreError, ClientError

        name = _new_name(extension)
        try:
            self.client.put_object(Bucket=self.bucket, Key=self.prefix + name, Body=data, ContentType=_type_of(name))
        except (BotoCoreError, ClientError) as exc:
            raise _not_stored(self, exc) from None
        return name

    def put_as(self, name: str, source) -> None:
        """Keep the contents of the binary file `source` under the name it already has (a restore, a move). An
        object appears whole or not at all; a large one goes up in parts."""
        self.client.upload_fileobj(source, self.bucket, self.prefix + _valid_name(name),
                                   ExtraArgs={"ContentType": _type_of(name)})

    def delete(self, name: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        if is_stored_name(name):
            try:
                self.client.delete_object(Bucket=self.bucket, Key=self.prefix + name)
            except (BotoCoreError, ClientError) as exc:
                # Called once the record no longer names the file: the change stands, the object is left over.
                current_app.logger.error("Could not delete %s from %s (%s): delete it by hand", name, self, exc)

    def open(self, name: str):
        """The object as a binary file object to read; FileNotFoundError when there is none."""
        from botocore.exceptions import ClientError

        try:
            return _ObjectBody(self.client.get_object(Bucket=self.bucket, Key=self._key(name)))
        except ClientError as error:
            if _not_found(error):
                raise FileNotFoundError(name) from None
            raise

    def read(self, name: str) -> bytes:
        with self.open(name) as source:
            return source.read()

    def names(self) -> list:
        """Every stored file's name under the prefix, sorted."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        return sorted(name for page in pages for item in page.get("Contents", ())
                      if is_stored_name(name := item["Key"][len(self.prefix):]))

    def check(self) -> None:
        """Raise unless the bucket answers these credentials. A one-key listing, not a test write: load balancers
        ask every few seconds, and each write would be a billed request and, in a versioned bucket, a kept
        version. Asked once, with short timeouts: a load balancer wants its answer in a second or two."""
        self.probe_client.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix, MaxKeys=1)

    def send(self, name: str, content_type: str, download_name: Optional[str] = None):
        """The object streamed through the app, with the headers the folder's files get.

        Streamed, not a redirect to a presigned URL: who may see a file is decided at each request (sales/records.py,
        or a customer's link that the shop can revoke), never by a URL that works for anyone holding it until it
        expires — in a forwarded email, the browser's history, a proxy's log. The tablets never need to reach the
        object store either (it can stay on a private network), and the response carries the same headers as from
        the folder (inline, the type as stored, the CSP that keeps a PDF's scripts off the shop's pages). The cost,
        a worker busy while a file of at most 12 MB passes, is the folder's as well.
        """
        try:
            source = self.open(name)
        except FileNotFoundError:
            abort(404)
        found = source.found
        response = send_file(source, mimetype=content_type, max_age=0,
                             download_name=download_name, as_attachment=False, conditional=True,
                             etag=found["ETag"].strip('"'), last_modified=found.get("LastModified"))
        if response.status_code == 200:
            response.content_length = found["ContentLength"]
        # The ranges werkzeug offers need a seekable file; the object is streamed whole instead.
        response.headers.pop("Accept-Ranges", None)
        return _shown_privately(response, download_name)


class _ObjectBody:
    """An object's bytes as a plain file object: read and close, no fileno (so gunicorn never tries sendfile on
    the connection underneath)."""

    def __init__(self, found):
        self.found, self.body = found, found["Body"]

    def read(self, size=-1):
        return self.body.read(size if size and size > 0 else None)

    def close(self):
        self.body.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _http_status(error):
    return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")


def _not_found(error):
    return error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound") or \
        _http_status(error) == 404


_clients = {}


def s3_client(config, probe=False):
    """One boto3 client per process and settings (a client is thread-safe, not fork-safe: gunicorn's workers each
    make their own on first use). probe: the readiness check's, which asks once and waits little."""
    settings = (os.getpid(), probe, config.get("STORAGE_ENDPOINT_URL") or None,
                config.get("STORAGE_REGION") or "us-east-1", config.get("STORAGE_ACCESS_KEY_ID") or None,
                config.get("STORAGE_SECRET_ACCESS_KEY") or None)
    client = _clients.get(settings)
    if client is None:
        import boto3
        from botocore.config import Config

        _pid, _probe, endpoint, region, key, secret = settings
        patience = {"connect_timeout": 2, "read_timeout": 3, "retries": {"max_attempts": 1, "mode": "standard"}} \
            if probe else {"connect_timeout": 5, "read_timeout": 30, "retries": {"max_attempts": 3, "mode": "standard"}}
        client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint, region_name=region, aws_access_key_id=key, aws_secret_access_key=secret,
            config=Config(
                signature_version="s3v4",
                # endpoint/bucket/key: what every self-hosted store answers; bucket.endpoint needs wildcard DNS.
                s3={"addressing_style": "path" if endpoint else "auto"},
                # Checksums only where S3 demands them: the CRC headers newer SDKs add are refused by some stores.
                request_checksum_calculation="when_required", response_checksum_validation="when_required",
                **patience))
        _clients[settings] = client
    return client


def attachments_folder(instance_path: str) -> Path:
    folder = Path(instance_path) / "attachments"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def folder(instance_path: Optional[str] = None) -> LocalFolder:
    return LocalFolder(attachments_folder(instance_path or current_app.instance_path))


def bucket() -> S3Bucket:
    """The bucket STORAGE_URL names (s3://bucket/prefix), reached with the STORAGE_* settings."""
    url = (current_app.config.get("STORAGE_URL") or "").strip()
    name, _, prefix = url[len("s3://"):].partition("/")
    if not url:
        raise StorageError("STORAGE_URL is not set: set it to s3://bucket/prefix, with STORAGE_ENDPOINT_URL, "
                           "STORAGE_REGION, STORAGE_ACCESS_KEY_ID and STORAGE_SECRET_ACCESS_KEY as the store needs.")
    if not url.startswith("s3://") or not name:
        raise StorageError(f"STORAGE_URL must be s3://bucket/prefix (or unset: the instance folder), not {url!r}.")
    return S3Bucket(s3_client(current_app.config), name, prefix, s3_client(current_app.config, probe=True))


def files(instance_path: Optional[str] = None):
    """Where the shop's files are kept: the bucket when STORAGE_URL names one, else the attachments folder of
    `instance_path` (this app's instance folder unless given)."""
    if (current_app.config.get("STORAGE_URL") or "").strip():
        return bucket()
    return folder(instance_path)


# --- Moving the files from one place to the other ------------------------------------------------------------


@dataclass
class MoveReport:
    copied: int = 0
    already_there: int = 0     # a copy with the same SHA-256 was there already (an earlier run)
    vanished: int = 0          # deleted by the app between the listing and the copy (a document replaced)
    mismatched: list = field(default_factory=list)
    deleted: int = 0
    bytes: int = 0


def sha256_of(store, name) -> Optional[str]:
    """The SHA-256 of the stored file as it reads back, or None when there is none."""
    digest = hashlib.sha256()
    try:
        with store.open(name) as source:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
    except FileNotFoundError:
        return None
    return digest.hexdigest()


def move_files(source, target) -> MoveReport:
    """Copy every file of `source` to `target` under its own name, read each copy back and compare its SHA-256 with
    the original's, and delete the originals only once every copy matched. A failure anywhere leaves every
    original in place; running it again carries on (a file already in `target` with the same checksum is not
    copied again, one that differs is copied over)."""
    report, verified = MoveReport(), []
    for name in source.names():
        with tempfile.SpooledTemporaryFile(max_size=16 * MB) as copy:
            digest = hashlib.sha256()
            try:
                with source.open(name) as original:
                    while chunk := original.read(CHUNK):
                        digest.update(chunk)
                        copy.write(chunk)
            except FileNotFoundError:
                report.vanished += 1
                continue
            expected, size = digest.hexdigest(), copy.tell()
            if sha256_of(target, name) == expected:
                report.already_there += 1
            else:
                copy.seek(0)
                target.put_as(name, copy)
                if sha256_of(target, name) != expected:
                    report.mismatched.append(name)
                    continue
                report.copied += 1
                report.bytes += size
        verified.append(name)
    if not report.mismatched:
        for name in verified:
            source.delete(name)
            report.deleted += 1
    return report


def named_in_database() -> set:
    """Every stored name the records refer to (ticket photos, documents)."""
    from sqlalchemy import select

    from extensions import db
    from models import Attachment, Document

    names = set(db.session.scalars(select(Attachment.stored_name)))
    return names | set(db.session.scalars(select(Document.stored_name).where(Document.stored_name.is_not(None))))
