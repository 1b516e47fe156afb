"""Read the curated CSVs of one directory and validate each against its schema."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from rigflows.problems import DataProblem
from rigflows.schema import BOOLEAN_COLUMNS, ID_LIST_COLUMNS, SCHEMAS, TABLE_NAMES, split_ids

_PARSER_LINE = re.compile(r"line (\d+)")
#: pandas names an unterminated quote by its 0-based data row: "EOF inside string starting at row N".
_PARSER_ROW = re.compile(r"starting at row (\d+)")


def read_table(path: Path, name: str) -> tuple[pd.DataFrame | None, list[DataProblem]]:
    """Read `path` as table `name`. Returns the validated frame, or None and the problems."""
    file = path.name
    if not path.exists():
        return None, [DataProblem(file, None, None, "file is missing")]
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except pd.errors.EmptyDataError:
        expected = ", ".join(SCHEMAS[name].columns)
        return None, [DataProblem(file, None, None, f"file is empty; expected a header with: {expected}")]
    except pd.errors.ParserError as error:
        line_match, row_match = _PARSER_LINE.search(str(error)), _PARSER_ROW.search(str(error))
        line = int(line_match.group(1)) if line_match else int(row_match.group(1)) + 1 if row_match else None
        return None, [DataProblem(file, line, None, f"malformed CSV: {_first_line(error)}")]
    except UnicodeDecodeError as error:
        return None, [DataProblem(file, None, None, f"not UTF-8 text: {error.reason}")]
    raw = raw.apply(lambda column: column.str.strip()).replace("", pd.NA)
    try:
        frame = SCHEMAS[name].validate(raw, lazy=True)
    except pa.errors.SchemaErrors as errors:
        return None, _schema_problems(file, errors.failure_cases, SCHEMAS[name].unique)
    for column in BOOLEAN_COLUMNS.get(name, ()):
        frame[column] = frame[column] == "true"
    for column in ID_LIST_COLUMNS:
        if column in frame:
            frame[column] = frame[column].map(split_ids)
    return frame, []


def read_tables(data_dir: Path) -> tuple[dict[str, pd.DataFrame], list[DataProblem]]:
    """Read every table in `data_dir`; tables that fail are left out and their problems listed."""
    tables: dict[str, pd.DataFrame] = {}
    problems: list[DataProblem] = []
    for name in TABLE_NAMES:
        frame, found = read_table(Path(data_dir) / f"{name}.csv", name)
        problems += found
        if frame is not None:
            tables[name] = frame
    return tables, problems


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0]


def _shown(case) -> str:
    """A failing value as the user typed it: numpy scalars printed as plain numbers."""
    return repr(case.item() if hasattr(case, "item") else case)


def _schema_problems(file: str, failures: pd.DataFrame, unique_key: list[str] | None) -> list[DataProblem]:
    """Turn pandera's failure table into one plain-words problem per cell (or column)."""
    problems = []
    uncoercible = set()
    for failure in failures.itertuples(index=False):
        column, check, case, index = failure.column, str(failure.check), failure.failure_case, failure.index
        line = None if index is None or pd.isna(index) else int(index) + 2
        if check == "column_in_dataframe":
            problems.append(DataProblem(file, 1, str(case), "required column is missing"))
        elif check == "column_in_schema":
            problems.append(DataProblem(file, 1, str(case), "unknown column (misspelt?)"))
        elif check.startswith(("coerce_dtype", "dtype")):
            # pandera reports a value that will not convert twice (coerce, then dtype): once is enough.
            if line is not None and (column, line) not in uncoercible:
                uncoercible.add((column, line))
                wanted = "a whole number" if "Int" in check else "a number" if "Float" in check else check
                problems.append(DataProblem(file, line, column, f"expected {wanted}, got {_shown(case)}"))
        elif check == "not_nullable":
            problems.append(DataProblem(file, line, column, "must not be empty"))
        elif check == "multiple_fields_uniqueness":
            problems.append(DataProblem(file, line, None, f"duplicate ({', '.join(unique_key or [])}): this combination appears on another line"))
        elif check.startswith("field_uniqueness"):
            problems.append(DataProblem(file, line, column, f"duplicate {column} {_shown(case)}"))
        elif line is None:
            # A check that could not run because the column did not convert: already reported.
            if not any(col == column for col, _ in uncoercible):
                problems.append(DataProblem(file, None, column, f"{check}: {case}"))
        else:
            problems.append(DataProblem(file, line, column, f"{check}, got {_shown(case)}"))
    return list(dict.fromkeys(problems))
