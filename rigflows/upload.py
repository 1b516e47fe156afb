"""Bring your own data: a reader's CSV (one curated table) or zip (a data directory), checked
by the same data layer as `data/`, and kept server-side under a random token until it expires.

Hostile files are refused before pandas sees them, within fixed bounds: size, encoding, binary
content, zip entry count and uncompressed sizes (read from the zip's directory, then enforced
while reading), paths that climb out of the folder, formula cells, row count and cell length.
What passes is written, with the bundled tables it does not replace, to a staging folder that
`rigflows.dataset.find_problems` checks; only a folder with no problem is kept. Nothing is
half-loaded: an upload is accepted whole or refused with every problem listed.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
import secrets
import shutil
import os
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from rigflows.api import looks_like_formula
from rigflows.dataset import Dataset, find_problems, load_dataset
from rigflows.problems import DataError, DataProblem
from rigflows.schema import SCHEMAS, TABLE_NAMES

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
#: A data directory has one file a table; a few more (README, folders) are tolerated.
MAX_ZIP_ENTRIES = 3 * len(TABLE_NAMES)
MAX_UNCOMPRESSED_BYTES = 5 * 1024 * 1024  # per file and in total: the same limit as a plain CSV
#: Rows per table: the largest bundled table has under 1,000; far more would make a Sankey no
#: browser can draw (20,000 flows are 10 MB of figure).
MAX_ROWS = 10_000
MAX_CELL_CHARS = 10_000
#: The widest table has 17 columns.
MAX_COLUMNS = 100
#: Where uploads are kept and for how long; the oldest go first past the total size.
EXPIRY_SECONDS = 2 * 3600
MAX_STORED_BYTES = 200 * 1024 * 1024
def upload_root(environ: dict[str, str] | None = None) -> Path:
    """RIGFLOWS_UPLOAD_DIR, or a folder in the system's temporary directory."""
    env = os.environ if environ is None else environ
    return Path(env.get("RIGFLOWS_UPLOAD_DIR") or Path(tempfile.gettempdir()) / "rigflows-uploads")


#: In an upload's folder: which of its tables are the reader's (the rest are the bundled ones).
UPLOADED_LIST = "uploaded.txt"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
UPLOAD_NAME = "your upload"


@dataclass(frozen=True)
class Checked:
    """An upload's verdict: the tables it brings (name → CSV text), or every problem found."""

    tables: dict[str, str] = field(default_factory=dict)
    problems: list[DataProblem] = field(default_factory=list)


def refusal(message: str, file: str = UPLOAD_NAME) -> Checked:
    return Checked(problems=[DataProblem(file, None, None, message)])


def decode_contents(contents: object) -> bytes | Checked:
    """The bytes of dcc.Upload's 'data:<type>;base64,<data>' string, size-checked before decoding."""
    if not isinstance(contents, str) or "," not in contents[:200]:
        return refusal("the upload did not arrive as a file")
    encoded = contents.split(",", 1)[1]
    if len(encoded) * 3 // 4 - encoded[-2:].count("=") > MAX_UPLOAD_BYTES:
        return refusal(f"the file is larger than the {MAX_UPLOAD_BYTES // (1024 * 1024)} MB limit")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return refusal("the upload is not valid base64")


def check_upload(filename: str, raw: bytes) -> Checked:
    """Split an upload into tables and refuse anything hostile (nothing is parsed by pandas yet)."""
    filename = str(filename or "upload")[:200]
    if len(raw) > MAX_UPLOAD_BYTES:
        return refusal(f"the file is larger than the {MAX_UPLOAD_BYTES // (1024 * 1024)} MB limit", filename)
    if raw.startswith(b"PK\x03\x04") or raw.startswith(b"PK\x05\x06") or filename.lower().endswith(".zip"):
        return _check_zip(filename, raw)
    problems = _check_text(filename, raw)
    if problems:
        return Checked(problems=problems)
    text = _text(raw)
    name = _table_named(filename) or _table_with_header(text)
    if name is None:
        return refusal(f"cannot tell which table this is: name the file after a table ({', '.join(f'{t}.csv' for t in TABLE_NAMES)}) or start it with a template's header", filename)
    return Checked(tables={name: text})


def _text(raw: bytes) -> str:
    return raw.decode("utf-8").removeprefix("\ufeff")


def _table_named(filename: str) -> str | None:
    stem = PurePosixPath(filename.replace("\\", "/")).name.removesuffix(".csv").removesuffix(".CSV")
    return stem if stem in TABLE_NAMES else None


def _table_with_header(text: str) -> str | None:
    header = next(csv.reader(io.StringIO(text.split("\n", 1)[0])), [])
    columns = [column.strip() for column in header]
    return next((name for name in TABLE_NAMES if columns == list(SCHEMAS[name].columns)), None)


def _check_text(file: str, raw: bytes) -> list[DataProblem]:
    """Binary, encoding, row count, malformed quoting, cell length and formula cells."""
    if b"\x00" in raw:
        return [DataProblem(file, None, None, "binary file, not CSV text: refused")]
    try:
        text = _text(raw)
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return [DataProblem(file, line, None, f"not UTF-8 text (byte {raw[error.start]:#04x}): save the file as UTF-8 CSV")]
    if max(text.count("\n"), text.count("\r")) > MAX_ROWS + 1:
        return [DataProblem(file, None, None, f"more than {MAX_ROWS:,} rows: refused")]
    problems = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, [])
        columns = [column.strip() for column in header]
        if len(columns) > MAX_COLUMNS:
            return [DataProblem(file, 1, None, f"{len(columns):,} columns; a table has at most {MAX_COLUMNS}: refused")]
        for row in reader:
            line = reader.line_num
            if len(row) > MAX_COLUMNS:
                problems.append(DataProblem(file, line, None, f"{len(row):,} cells; a table has at most {MAX_COLUMNS} columns: refused"))
                break
            for position, cell in enumerate(row):
                column = columns[position] if position < len(columns) else None
                if len(cell) > MAX_CELL_CHARS:
                    problems.append(DataProblem(file, line, column, f"cell longer than {MAX_CELL_CHARS:,} characters: refused"))
                elif looks_like_formula(cell.strip()) or looks_like_formula(cell):
                    problems.append(DataProblem(file, line, column, f"starts with {cell.strip()[:1] or 'a control character'!r}: a spreadsheet would run it as a formula; refused"))
            if len(problems) >= 50:
                problems.append(DataProblem(file, None, None, "more problems not listed"))
                break
    except csv.Error as error:  # unterminated or stray quotes, a cell past csv's own size limit
        problems.append(DataProblem(file, reader.line_num or None, None, f"malformed CSV: {error}"))
    return problems


def _check_zip(filename: str, raw: bytes) -> Checked:
    """A zip of a data directory: entries counted, named and sized before anything is read."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, NotImplementedError) as error:
        return refusal(f"not a readable zip file: {error}", filename)
    if len(entries) > MAX_ZIP_ENTRIES:
        return refusal(f"the zip holds {len(entries):,} entries; a data directory has at most {MAX_ZIP_ENTRIES}: refused", filename)
    problems: list[DataProblem] = []
    chosen: dict[str, zipfile.ZipInfo] = {}
    for entry in entries:
        shown = entry.filename[:120]
        path = PurePosixPath(entry.filename.replace("\\", "/"))
        if entry.filename.startswith(("/", "\\")) or ".." in path.parts or re.match(r"^[A-Za-z]:", entry.filename):
            problems.append(DataProblem(shown, None, None, "path leaves the zip's folder (path traversal): refused"))
            continue
        if entry.is_dir() or path.name.startswith(".") or "__MACOSX" in path.parts:
            continue
        if len(path.parts) > 2:
            problems.append(DataProblem(shown, None, None, "too deep: put the tables at the top of the zip or in one folder"))
            continue
        if entry.flag_bits & 0x1:
            problems.append(DataProblem(shown, None, None, "encrypted: refused"))
            continue
        if path.suffix.lower() != ".csv":
            continue  # a README or notes beside the tables: never read, never stored
        name = _table_named(path.name)
        if name is None:
            problems.append(DataProblem(shown, None, None, f"not a table of this dashboard (expected one of {', '.join(f'{t}.csv' for t in TABLE_NAMES)})"))
        elif name in chosen:
            problems.append(DataProblem(shown, None, None, f"{name}.csv appears twice in the zip"))
        else:
            chosen[name] = entry
    declared = sum(entry.file_size for entry in chosen.values())
    for name, entry in chosen.items():
        if entry.file_size > MAX_UNCOMPRESSED_BYTES or entry.file_size > 200 * max(entry.compress_size, 1):
            problems.append(DataProblem(entry.filename[:120], None, None, f"unpacks to {entry.file_size:,} bytes from {entry.compress_size:,} (a zip bomb?): refused"))
    if declared > MAX_UNCOMPRESSED_BYTES:
        problems.append(DataProblem(filename, None, None, f"unpacks to {declared:,} bytes in all, over the {MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB limit: refused"))
    if problems:
        return Checked(problems=problems)
    if not chosen:
        return refusal(f"the zip holds no table ({', '.join(f'{t}.csv' for t in TABLE_NAMES)})", filename)
    tables = {}
    for name, entry in chosen.items():
        try:
            with archive.open(entry) as handle:
                data = handle.read(MAX_UNCOMPRESSED_BYTES + 1)  # the directory may lie: never read more
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as error:
            problems.append(DataProblem(entry.filename[:120], None, None, f"cannot be unpacked: {error}"))
            continue
        if len(data) > MAX_UNCOMPRESSED_BYTES:
            problems.append(DataProblem(entry.filename[:120], None, None, "unpacks to more than its declared size (a zip bomb?): refused"))
            continue
        found = _check_text(f"{name}.csv", data)
        problems += found
        if not found:
            tables[name] = _text(data)
    return Checked(problems=problems) if problems else Checked(tables=tables)


# --- the data layer's verdict, and where accepted uploads are kept ---------------------------


class UploadStore:
    """Accepted uploads on disk, one folder per random token: the full data directory (the
    reader's tables plus the bundled ones they did not replace), expired after EXPIRY_SECONDS
    and evicted oldest first past MAX_STORED_BYTES. The folder is shared by gunicorn workers."""

    def __init__(self, root: Path, base_dir: Path, expiry: float = EXPIRY_SECONDS, max_bytes: int = MAX_STORED_BYTES):
        self.root, self.base_dir, self.expiry, self.max_bytes = Path(root), Path(base_dir), expiry, max_bytes
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)  # tokens are folder names: not for other users to list

    def accept(self, checked: Checked) -> tuple[str | None, list[DataProblem]]:
        """Validate `checked` with the data layer; keep it and return its token only if valid."""
        if checked.problems or not checked.tables:
            return None, checked.problems or [DataProblem(UPLOAD_NAME, None, None, "no table found")]
        self.purge()
        staging = self.root / f".staging-{secrets.token_hex(8)}"
        staging.mkdir()
        try:
            for name in TABLE_NAMES:
                target = staging / f"{name}.csv"
                if name in checked.tables:
                    target.write_text(checked.tables[name], encoding="utf-8")
                else:
                    shutil.copyfile(self.base_dir / f"{name}.csv", target)
            problems = find_problems(staging)
            if problems:
                return None, problems
            (staging / UPLOADED_LIST).write_text("\n".join(sorted(checked.tables)), encoding="utf-8")
            token = secrets.token_urlsafe(32)
            staging.rename(self.root / token)
            return token, []
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def folder(self, token: object) -> Path | None:
        """The data directory of a live token, or None (unknown, malformed or expired)."""
        if not isinstance(token, str) or not _TOKEN.match(token):
            return None
        folder = self.root / token
        try:
            fresh = time.time() - folder.stat().st_mtime < self.expiry
        except OSError:
            return None
        return folder if fresh else None

    def uploaded_tables(self, token: object) -> list[str]:
        """The tables a live upload replaced ([] when the token names no live upload)."""
        folder = self.folder(token)
        try:
            return (folder / UPLOADED_LIST).read_text(encoding="utf-8").split() if folder else []
        except OSError:
            return []

    def forget(self, token: object) -> None:
        folder = self.folder(token)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)

    def purge(self) -> None:
        """Drop expired uploads, then the oldest until the rest fit in max_bytes."""
        now = time.time()
        folders = []
        for folder in self.root.iterdir():
            try:
                age = now - folder.stat().st_mtime
            except OSError:
                continue
            if age > self.expiry or (folder.name.startswith(".staging-") and age > 600):
                shutil.rmtree(folder, ignore_errors=True)
            elif not folder.name.startswith("."):
                folders.append((now - age, folder, _size(folder)))
        total = sum(size for _, _, size in folders)
        for _, folder, size in sorted(folders):
            if total <= self.max_bytes:
                break
            shutil.rmtree(folder, ignore_errors=True)
            total -= size

    def dataset(self, token: object) -> Dataset | None:
        """The Dataset of a live upload (loaded once per worker and folder), or None."""
        folder = self.folder(token)
        if folder is None:
            return None
        try:
            return load_dataset(folder)
        except (DataError, OSError):  # removed or changed on disk since it was accepted
            return None


def _size(folder: Path) -> int:
    """Bytes in a folder's files (0 if another worker removed it meanwhile)."""
    try:
        return sum(file.stat().st_size for file in folder.iterdir())
    except OSError:
        return 0


# --- templates -------------------------------------------------------------------------------


def template_csv(name: str) -> str:
    """A table's header row: the start of a file the reader fills in."""
    return ",".join(SCHEMAS[name].columns) + "\n"


def column_docs(name: str, readme: Path | None = None) -> list[dict[str, str]]:
    """Each column of `name`: its type, whether it may be empty, its rule (from the schema) and
    its meaning (from data/README.md's table for that file, when given)."""
    meanings = _readme_meanings(readme, name) if readme is not None else {}
    docs = []
    for column, spec in SCHEMAS[name].columns.items():
        dtype = str(spec.dtype)
        kind = "whole number" if "Int" in dtype else "number" if "Float" in dtype else "text"
        rules = [check.error for check in spec.checks if getattr(check, "error", None)]
        if spec.unique:
            rules.append("unique")
        docs.append({
            "column": column,
            "type": kind,
            "required": "no (empty = unknown)" if spec.nullable else "yes",
            "rule": "; ".join(rules),
            "meaning": meanings.get(column, ""),
        })
    return docs


def _readme_meanings(readme: Path, name: str) -> dict[str, str]:
    """`| \\`column\\` | meaning |` rows under the '### <name>.csv' heading of data/README.md."""
    try:
        lines = Path(readme).read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    meanings, inside = {}, False
    for line in lines:
        if line.startswith("### "):
            inside = line.startswith(f"### {name}.csv")
        elif inside:
            match = re.match(r"^\|([^|]*)\|\s*(.*?)\s*\|\s*$", line)
            for column in re.findall(r"`([a-z0-9_]+)`", match.group(1)) if match else []:
                meanings[column] = match.group(2)
    return meanings
