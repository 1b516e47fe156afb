"""Table rows as Python values, for the loops that word them (hovers, texts, lists).

pandas' own row iteration is slow for this: `itertuples` slices every column with `iloc` (~40 µs
a row in pandas 3) and iterating a string column goes element by element through pandas (~1 µs
a cell); a column's `tolist` converts it in one call.
"""

from __future__ import annotations

from collections import namedtuple
from functools import lru_cache

import pandas as pd


def named_rows(frame: pd.DataFrame) -> list[tuple]:
    """The rows as namedtuples, like `frame.itertuples(index=False)`; select the columns first
    (`frame[[...]]`) when only a few are read."""
    row = _row_type(tuple(frame.columns))
    return [row._make(values) for values in zip(*(frame[column].tolist() for column in frame.columns))]


@lru_cache(maxsize=64)  # making a namedtuple class costs ~0.3 ms; the frames' columns never change
def _row_type(columns: tuple[str, ...]) -> type:
    return namedtuple("Row", columns, rename=True)
