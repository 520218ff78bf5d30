"""Files people upload (ticket photos, product manuals, a signed order): checked, cleaned and kept in one place.

Every upload goes through `accept()`: the file is judged by its content, never by its name (a "manual.pdf" that
is a script is refused); pictures are decoded and saved again, which drops their EXIF block — the GPS position
a phone writes into every photo, the camera's serial number — and keeps only the pixels (turned upright first,
so nothing shows sideways once the orientation tag is gone); an optional virus scanner, a command the shop
configures (UPLOAD_SCAN_COMMAND), reads each file before it is kept.

The files themselves live behind `files()`: today a folder of the instance (kept by backups), written under
generated names only. Views and rules never build a path themselves, so the files can later move to storage
shared by several app servers by changing this module alone.
"""
import io
import secrets
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from flask import current_app, send_file
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


class LocalFolder:
    """Files in a folder of this machine: instance/attachments, which the backup keeps with the database."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def put(self, data: bytes, extension: str) -> str:
        """Keep the bytes under a new random name (never the uploader's) and return that name."""
        name = f"{secrets.token_hex(16)}.{extension}"
        (self.folder / name).write_bytes(data)
        return name

    def delete(self, name: str) -> None:
        (self.folder / Path(name).name).unlink(missing_ok=True)

    def read(self, name: str) -> bytes:
        return (self.folder / Path(name).name).read_bytes()

    def send(self, name: str, content_type: str, download_name: Optional[str] = None):
        """The file as a response, shown in the browser (inline) with the type it was stored as."""
        path = self.folder / Path(name).name
        if not path.is_file():
            from flask import abort

            abort(404)
        response = send_file(path, mimetype=content_type, max_age=0, download_name=download_name,
                             as_attachment=False, conditional=True)
        if not download_name:
            response.headers["Content-Disposition"] = "inline"
        # A PDF's own scripts get no access to the shop's pages or cookies.
        response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; " \
            "object-src 'self'; frame-ancestors 'self'"
        return response


def attachments_folder(instance_path: str) -> Path:
    folder = Path(instance_path) / "attachments"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def files() -> LocalFolder:
    return LocalFolder(attachments_folder(current_app.instance_path))
