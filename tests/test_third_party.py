"""The licence and the notices: LICENSE is the AGPL's official text, and THIRD_PARTY.md names every file copied in
from another project and every package Mostrador runs on. A failure says what to add."""
import hashlib
import os
import re
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
NOTICES = ROOT / "THIRD_PARTY.md"
# The text published by the FSF (gnu.org/licenses/agpl-3.0.txt), byte for byte.
AGPL_3_SHA256 = "0d96a4ff68ad6d4b6f1f30f713b18d5184912ba8dd389f86aa7710db079abcb0"
NOT_THE_PROJECT = {".git", ".venv", "instance", "node_modules", "__pycache__", "test-results", ".pytest_cache"}
ASSET_SUFFIXES = (".js", ".css", ".ttf", ".otf", ".woff", ".woff2", ".eot", ".svg", ".png", ".ico", ".gif",
                  ".jpg", ".jpeg", ".webp")


def listed_paths():
    """The files named in the first column of THIRD_PARTY.md's tables."""
    return {match.group(1) for line in NOTICES.read_text().splitlines()
            if (match := re.match(r"\|\s*`([^`]+)`\s*\|", line))}


def files_that_need_a_notice():
    """Everything served as a static asset, everything in a vendor/ folder, and any font or minified script."""
    found = []
    for folder, subfolders, names in os.walk(ROOT):
        subfolders[:] = [s for s in subfolders if s not in NOT_THE_PROJECT and not s.startswith(".")]
        relative = Path(folder).relative_to(ROOT)
        if relative.parts[:2] == ("docs", "screenshots"):
            continue
        for name in names:
            path = (relative / name).as_posix()
            if (relative.parts[:1] == ("static",) or "vendor" in relative.parts or name.endswith(".min.js")
                    or name.endswith((".ttf", ".otf", ".woff", ".woff2"))):
                if name.endswith(ASSET_SUFFIXES) or "vendor" in relative.parts:
                    found.append(path)
    return sorted(found)


def test_the_licence_is_the_official_agpl_3_text():
    text = (ROOT / "LICENSE").read_bytes()
    assert text.lstrip().startswith(b"GNU AFFERO GENERAL PUBLIC LICENSE")
    assert hashlib.sha256(text).hexdigest() == AGPL_3_SHA256, "LICENSE must be the FSF's text, unchanged"


def test_every_vendored_file_and_asset_is_listed():
    listed = listed_paths()
    missing = [path for path in files_that_need_a_notice() if path not in listed]
    assert not missing, (
        "Not in THIRD_PARTY.md: " + ", ".join(missing) + ". Add a row to its table 'Files kept in this repository' "
        "(`path` | what it is | version | licence | where it came from), or, if Mostrador wrote it, to the table "
        "of Mostrador's own files.")


def test_every_listed_file_exists():
    stale = [path for path in listed_paths() if not (ROOT / path).exists()]
    assert not stale, "THIRD_PARTY.md lists files that are gone (remove their rows): " + ", ".join(sorted(stale))


def runtime_packages():
    """{name: distribution} of the runtime requirements (above `# Tests`) and everything they pull in."""
    runtime = (ROOT / "requirements.txt").read_text().split("# Tests")[0]
    found = {}

    def walk(requirement):
        try:
            distribution = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            return
        key = _key(distribution.metadata["Name"])
        if key in found:
            return
        found[key] = distribution
        for line in distribution.requires or []:
            needed = Requirement(line)
            wanted = [{"extra": extra} for extra in ("", *requirement.extras)]
            if needed.marker is None or any(needed.marker.evaluate(env) for env in wanted):
                walk(needed)

    for line in runtime.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            walk(Requirement(line))
    return found


def _key(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_runtime_dependency_is_listed_with_its_licence():
    rows = [line.split("|") for line in NOTICES.read_text().splitlines() if line.startswith("|")]
    listed = {_key(cells[1].strip()): cells for cells in rows if len(cells) > 3}
    missing = []
    for key, distribution in sorted(runtime_packages().items()):
        if key not in listed:
            licence = (distribution.metadata.get("License-Expression") or distribution.metadata.get("License")
                       or "see its metadata").splitlines()[0]
            missing.append(f"{distribution.metadata['Name']} {distribution.version} ({licence})")
    assert not missing, ("Runtime dependencies missing from THIRD_PARTY.md: " + "; ".join(missing) + ". Add a row "
                         "to 'Python packages Mostrador runs on': | package | version | licence | why |")
