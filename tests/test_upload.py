"""Bring your own data, without a browser: each hostile file (generated here) is refused with a
clear message before pandas reads it; valid uploads pass the same data layer as `data/`;
accepted uploads are kept under a random token, expire, and are never half-loaded."""

from __future__ import annotations

import base64
import io
import os
import time
import zipfile
from pathlib import Path

import pytest

from rigflows.schema import SCHEMAS, TABLE_NAMES
from rigflows.upload import (
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    Checked,
    UploadStore,
    check_upload,
    column_docs,
    decode_contents,
    template_csv,
)
from tests.conftest import DATA_DIR

FLOWS = (DATA_DIR / "flows.csv").read_bytes()


def line_of(text: str, start: str) -> int:
    """The 1-based line of `text` that starts with `start` (found by hand, not by the loader)."""
    return next(number for number, line in enumerate(text.splitlines(), 1) if line.startswith(start))


def zipped(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def messages(checked: Checked) -> str:
    return " | ".join(str(problem) for problem in checked.problems)


@pytest.fixture
def store(tmp_path: Path) -> UploadStore:
    return UploadStore(tmp_path / "uploads", DATA_DIR)


def stored(store: UploadStore) -> list[str]:
    return sorted(path.name for path in store.root.iterdir())


# --- valid uploads -------------------------------------------------------------------------


def test_the_bundled_flows_as_an_upload_are_accepted_and_loaded(store):
    checked = check_upload("flows.csv", FLOWS)
    assert checked.problems == [] and list(checked.tables) == ["flows"]
    token, problems = store.accept(checked)
    assert problems == [] and token and len(token) >= 40
    dataset = store.dataset(token)
    assert list(dataset.flows["flow_id"]) == [line.split(",")[0] for line in FLOWS.decode().splitlines()[1:]]
    assert stored(store) == [token]


def test_a_zip_of_a_data_directory_with_its_readme_in_a_folder_is_accepted(store):
    entries = {f"mydata/{name}.csv": (DATA_DIR / f"{name}.csv").read_bytes() for name in TABLE_NAMES}
    entries["mydata/README.md"] = (DATA_DIR / "README.md").read_bytes()
    entries["mydata/"] = b""
    checked = check_upload("mydata.zip", zipped(entries))
    assert checked.problems == [] and set(checked.tables) == set(TABLE_NAMES)
    token, problems = store.accept(checked)
    assert problems == [] and store.dataset(token) is not None


def test_a_csv_with_another_name_is_recognised_by_its_header():
    checked = check_upload("export (3).csv", FLOWS)
    assert list(checked.tables) == ["flows"]
    assert "cannot tell which table" in messages(check_upload("export.csv", b"a,b\n1,2\n"))


def test_a_utf8_bom_from_excel_is_not_a_problem():
    assert check_upload("flows.csv", b"\xef\xbb\xbf" + FLOWS).problems == []


# --- the data layer's problems, by file, line and column -----------------------------------


def test_bad_values_are_listed_by_file_line_and_column_and_nothing_is_kept(store):
    text = FLOWS.decode().replace("rus_bitriver,not identified,not_identified,RUS", "rus_bitriver,not identified,not_identified,XXX")
    token, problems = store.accept(check_upload("flows.csv", text.encode()))
    assert token is None and stored(store) == []
    where = {(problem.file, problem.line, problem.column) for problem in problems}
    assert ("flows.csv", line_of(text, "rus_bitriver"), "destination_iso3") in where


def test_a_source_missing_from_the_bundled_sources_is_a_cross_table_problem(store):
    text = FLOWS.decode()
    line = line_of(text, "kaz_bitfufu")
    rows = text.splitlines()
    rows[line - 1] = rows[line - 1].replace("ft_exiled_machines", "my_own_source", 1)
    token, problems = store.accept(check_upload("flows.csv", ("\n".join(rows) + "\n").encode()))
    assert token is None
    assert any(p.file == "flows.csv" and p.line == line and p.column == "source_ids" and "my_own_source" in p.message for p in problems)


# --- hostile files -------------------------------------------------------------------------


def test_a_file_over_5_mb_is_refused_before_it_is_decoded():
    big = b"a" * (MAX_UPLOAD_BYTES + 1)
    assert "5 MB" in messages(check_upload("flows.csv", big))
    as_upload = decode_contents("data:text/csv;base64," + base64.b64encode(big).decode())
    assert isinstance(as_upload, Checked) and "5 MB" in messages(as_upload)


def test_a_file_that_is_not_utf8_names_the_line():
    text = FLOWS.decode()
    line = line_of(text, "kaz_bitfufu")
    latin1 = text.replace("kaz_bitfufu,", "kaz_bitfufu,Société ", 1).encode("latin-1", errors="replace")
    checked = check_upload("flows.csv", latin1)
    assert len(checked.problems) == 1 and checked.problems[0].line == line and "not UTF-8" in checked.problems[0].message


@pytest.mark.parametrize("raw", [bytes(range(256)) * 40, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(2000), b"flow_id\nabc\x00def\n"])
def test_binary_files_are_refused(raw):
    checked = check_upload("flows.csv", raw)
    assert checked.tables == {} and ("binary" in messages(checked) or "not UTF-8" in messages(checked))


def test_a_zip_bomb_is_refused_from_its_directory_without_unpacking(monkeypatch):
    bomb = zipped({"flows.csv": b"0" * (50 * 1024 * 1024)})
    assert len(bomb) < 200_000  # 50 MB of zeros packs small: the bomb
    opened = []
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, *args, **kwargs: opened.append(args) or pytest.fail("unpacked"))
    checked = check_upload("bomb.zip", bomb)
    assert "zip bomb" in messages(checked) and opened == []


def test_a_zip_whose_total_unpacks_past_the_limit_is_refused():
    one_mb = 1024 * 1024
    parts = {f"{name}.csv": os.urandom(one_mb // 2).hex().encode() for name in TABLE_NAMES[:6]}  # 6 MB of text
    bundle = zipped(parts)
    assert len(bundle) < MAX_UPLOAD_BYTES
    assert "in all" in messages(check_upload("big.zip", bundle))


def test_a_zip_with_thousands_of_entries_is_refused():
    checked = check_upload("many.zip", zipped({f"f{index}.txt": b"" for index in range(5000)}))
    assert "5,000 entries" in messages(checked)


@pytest.mark.parametrize("name", ["../flows.csv", "../../../../tmp/flows.csv", "/etc/flows.csv", "..\\..\\flows.csv", "C:/flows.csv", "data/../../flows.csv"])
def test_a_path_that_climbs_out_of_the_zip_is_refused_and_nothing_is_written(tmp_path, name):
    store = UploadStore(tmp_path / "uploads", DATA_DIR)
    checked = check_upload("evil.zip", zipped({name: FLOWS}))
    assert "path traversal" in messages(checked) and checked.tables == {}
    assert store.accept(checked)[0] is None
    assert sorted(path.name for path in tmp_path.rglob("*")) == ["uploads"]


def test_formula_cells_are_refused_by_line_and_column_and_negative_numbers_are_not():
    text = FLOWS.decode()
    line = line_of(text, "kaz_bitfufu")
    rows = text.splitlines()
    rows[line - 1] = rows[line - 1].replace("Bitfufu (BitFuFu)", '"=HYPERLINK(""http://127.0.0.1/"",""x"")"', 1)
    checked = check_upload("flows.csv", ("\n".join(rows) + "\n").encode())
    assert [(p.line, p.column) for p in checked.problems] == [(line, "seller")]
    assert "formula" in checked.problems[0].message
    farms = (DATA_DIR / "farms.csv").read_bytes()
    assert b",-" in farms and check_upload("farms.csv", farms).problems == []  # longitudes west of Greenwich


@pytest.mark.parametrize("start", ["+cmd|' /C calc'!A0", "@SUM(1)", "-1+2", "\t=1"])
def test_each_formula_start_is_refused(start):
    header = ",".join(SCHEMAS["events"].columns)
    row = f'e1,2021-06,,ban,"{start}",d,ft_exiled_machines'
    assert "formula" in messages(check_upload("events.csv", f"{header}\n{row}\n".encode()))


def test_millions_of_rows_are_refused_without_parsing():
    started = time.perf_counter()
    checked = check_upload("flows.csv", b"flow_id\n" + b"a\n" * 2_000_000)
    assert f"more than {MAX_ROWS:,} rows" in messages(checked)
    assert time.perf_counter() - started < 10  # bounded: a count, not a parse (generous margin)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('x,"' + '""' * 200_000 + '"\n', "malformed CSV"),  # one cell of 200,000 quotes: past csv's own limit
        ('x,"' + '""' * 20_000 + '"\n', "longer than 10,000"),
        ('x,"' + '"' * 999_999 + "\n", "malformed CSV"),  # never closed
        ('x,"a"b"c"d\n', "malformed CSV"),
    ],
)
def test_deeply_nested_or_unbalanced_quotes_are_refused(body, expected):
    checked = check_upload("events.csv", ("event_id,title\n" + body).encode())
    assert expected in messages(checked) and checked.tables == {}


@pytest.mark.parametrize("text", ["," * 2_000_000 + "\n", "event_id,title\n" + "," * 2_000_000 + "\n"])
def test_a_row_of_millions_of_cells_is_refused(text):
    checked = check_upload("events.csv", text.encode())
    assert "2,000,001" in messages(checked) and "refused" in messages(checked)


def test_junk_that_is_not_an_upload_is_refused():
    for contents in (None, 5, "no comma", "data:text/csv;base64,@@@not-base64@@@"):
        assert isinstance(decode_contents(contents), Checked)
    assert "not a readable zip" in messages(check_upload("x.zip", b"PK\x03\x04garbage"))


# --- the store -----------------------------------------------------------------------------


def test_tokens_are_random_and_hostile_tokens_name_nothing(store):
    first, _ = store.accept(check_upload("flows.csv", FLOWS))
    second, _ = store.accept(check_upload("flows.csv", FLOWS))
    assert first != second and store.folder(first) != store.folder(second)
    for token in ("../uploads", "..", "", None, 5, first + "/../x", "a" * 31):
        assert store.folder(token) is None and store.dataset(token) is None


def test_uploads_expire_and_are_purged(tmp_path):
    store = UploadStore(tmp_path / "uploads", DATA_DIR, expiry=60)
    token, _ = store.accept(check_upload("flows.csv", FLOWS))
    folder = store.folder(token)
    old = time.time() - 120
    os.utime(folder, (old, old))
    assert store.folder(token) is None
    store.purge()
    assert not folder.exists()


def test_the_oldest_uploads_go_first_past_the_size_limit(tmp_path):
    store = UploadStore(tmp_path / "uploads", DATA_DIR, max_bytes=1)
    first, _ = store.accept(check_upload("flows.csv", FLOWS))
    os.utime(store.folder(first), (time.time() - 30, time.time() - 30))
    second, _ = store.accept(check_upload("flows.csv", FLOWS))  # purges before keeping the new one
    assert store.folder(first) is None and store.folder(second) is not None


def test_forget_deletes_the_upload(store):
    token, _ = store.accept(check_upload("flows.csv", FLOWS))
    store.forget(token)
    assert stored(store) == []


# --- templates -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", TABLE_NAMES)
def test_each_template_is_the_header_of_the_bundled_file(name):
    assert template_csv(name) == (DATA_DIR / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0] + "\n"


def test_column_docs_say_type_rule_and_meaning():
    docs = {doc["column"]: doc for doc in column_docs("flows", DATA_DIR / "README.md")}
    assert docs["seller_type"]["rule"] == "must be one of mining_firm, manufacturer, own_fleet, not_identified"
    assert docs["machines"]["type"] == "whole number" and docs["machines"]["required"].startswith("no")
    assert docs["flow_id"]["required"] == "yes" and "unique" in docs["flow_id"]["rule"]
    assert all(doc["meaning"] for doc in docs.values()), [c for c, d in docs.items() if not d["meaning"]]
