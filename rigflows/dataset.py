"""The loaded, validated data: built once per process and never changed afterwards."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import pandas as pd

from rigflows.config import TOPOJSON_PATH
from rigflows.geo import CountryGeometry, read_country_geometry
from rigflows.integrity import check_integrity
from rigflows.load import read_tables
from rigflows.problems import DataError, DataProblem
from rigflows.schema import TABLE_NAMES


@dataclass(frozen=True, eq=False)
class Dataset:
    """Every curated table (by name, as in `rigflows.schema`) plus the country geometry.

    Compared and hashed by identity (one per process), so views can be cached per dataset.
    """

    tables: dict[str, pd.DataFrame] = field(repr=False)
    geometry: CountryGeometry = field(repr=False)
    data_dir: Path

    def __getattr__(self, name: str) -> pd.DataFrame:
        # dataset.flows, dataset.sources, ... read better than dataset.tables["flows"].
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    @cached_property
    def months(self) -> list[str]:
        """The months CBECI covers, oldest first (YYYY-MM). Read per frame: worked out once."""
        return sorted(self.tables["hashrate_share"]["month"].unique())


def _read_and_check(data_dir: Path, topojson_path: Path) -> tuple[dict[str, pd.DataFrame], CountryGeometry, list[DataProblem]]:
    tables, problems = read_tables(Path(data_dir))
    geometry = read_country_geometry(topojson_path)
    # Tables that failed are left out; the rules that need them are skipped, the rest still run.
    return tables, geometry, problems + check_integrity(tables, geometry)


def find_problems(data_dir: Path, topojson_path: Path = TOPOJSON_PATH) -> list[DataProblem]:
    """Every problem with the data in `data_dir` (empty list when it is valid)."""
    return _read_and_check(data_dir, topojson_path)[2]


@lru_cache(maxsize=4)
def load_dataset(data_dir: Path, topojson_path: Path = TOPOJSON_PATH) -> Dataset:
    """Load and validate `data_dir` once per process; raises DataError listing every problem."""
    tables, geometry, problems = _read_and_check(data_dir, topojson_path)
    if problems:
        raise DataError(problems)
    return Dataset(tables={name: tables[name] for name in TABLE_NAMES}, geometry=geometry, data_dir=Path(data_dir))
