"""Read the curated CSVs of one directory and validate each against its schema."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from rigflows.problems import DataProblem
from rigflows.schema import BOOLEAN_COLUMNS, SCHEMAS, TABLE_NAMES

_PARSER_LINE = re.compile(r"line (\d+)")


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
        match = _PARSER_LINE.search(str(error))
        line = int(match.group(1)) if match else None
        return None, [DataProblem(file, line, None, f"malformed CSV: {_first_line(error)}")]
    except UnicodeDecodeError as error:
        return None, [DataProblem(file, None, None, f"not UTF-8 text: {error.reason}")]
    raw = raw.apply(lambda column: column.str.strip()).replace("", pd.NA)
    try:
        frame = SCHEMAS[name].validate(raw, lazy=True)
    except pa.errors.SchemaErrors as errors:
        return None, _schema_problems(file, errors.failure_cases)
    for column in BOOLEAN_COLUMNS.get(name, ()):
        frame[column] = frame[column] == "true"
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


def _schema_problems(file: str, failures: pd.DataFrame) -> list[DataProblem]:
    """Turn pandera's failure table into one plain-words problem per cell (or column)."""
    problems = []
    uncoercible = set()
    for failure in failures.itertuples(index=False):
        column, check, case, index = failure.column, str(failure.check), failure.failure_case, failure.index
        if check == "column_in_dataframe":
            problems.append(DataProblem(file, 1, str(case), "required column is missing"))
        elif check == "column_in_schema":
            problems.append(DataProblem(file, 1, str(case), "unknown column (misspelt?)"))
        elif check.startswith("coerce_dtype") or check.startswith("dtype"):
            if index is not None and not pd.isna(index):
                uncoercible.add((column, int(index)))
                wanted = "a whole number" if "Int" in check else "a number" if "Float" in check else "true or false" if "bool" in check else check
                problems.append(DataProblem(file, int(index) + 2, column, f"expected {wanted}, got {case!r}"))
        elif check == "not_nullable":
            problems.append(DataProblem(file, int(index) + 2, column, "must not be empty"))
        elif check.startswith("field_uniqueness") or check == "multiple_fields_uniqueness":
            label = column if column else "row"
            problems.append(DataProblem(file, int(index) + 2, column, f"duplicate {label} {case!r}"))
        elif index is None or pd.isna(index):
            # A check that could not run because the column did not coerce: already reported.
            if not any(col == column for col, _ in uncoercible):
                problems.append(DataProblem(file, None, column, f"{check}: {case}"))
        else:
            problems.append(DataProblem(file, int(index) + 2, column, f"{check}, got {case!r}"))
    return problems
