"""Shared fixtures: the bundled dataset, and throwaway copies of it to break on purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from rigflows.config import PROJECT_ROOT
from rigflows.dataset import load_dataset

DATA_DIR = PROJECT_ROOT / "data"


@pytest.fixture(scope="session")
def dataset():
    return load_dataset(DATA_DIR)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled data directory."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def edit_table(data_dir: Path, name: str, change) -> None:
    """Read data_dir/name.csv as text, apply `change(frame)`, write it back unchanged otherwise."""
    path = data_dir / f"{name}.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame = change(frame)
    frame.to_csv(path, index=False)
