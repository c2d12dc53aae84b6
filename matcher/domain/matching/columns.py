"""Column helpers shared by the offer pool and request batches: day numbers, columns, language masks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache

import numpy as np

# Day numbers are date.toordinal(); an open-ended "available until" is stored as the last representable day.
OPEN_ENDED_DAY = date.max.toordinal()


def day_number(day: date | None) -> int:
    """Day number of a date (``date.toordinal()``); ``None`` means open-ended."""
    return OPEN_ENDED_DAY if day is None else day.toordinal()


def days_column(values, n: int, name: str) -> np.ndarray:
    """Day numbers from day numbers or dates (None is open-ended); all open-ended when values is None."""
    if values is None:
        return np.full(n, OPEN_ENDED_DAY, dtype=np.int64)
    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        out = arr.astype(np.int64)
    else:
        out = np.fromiter((day_number(v) for v in values), dtype=np.int64, count=n)
    if out.shape != (n,):
        raise ValueError(f"{name} must have one value per row")
    return out


def column(values, n: int, name: str, dtype, default) -> np.ndarray:
    """One value per row as an array of dtype (default everywhere when values is None)."""
    if values is None:
        return np.full(n, default, dtype=dtype)
    arr = np.asarray(values, dtype=dtype)
    if arr.shape != (n,):
        raise ValueError(f"{name} must have one value per row")
    return arr


def codes_of(entry) -> tuple[str, ...]:
    """Language codes of one row: a sequence, or a comma-separated string."""
    if entry is None:
        return ()
    if isinstance(entry, str):
        return tuple(c.strip() for c in entry.split(",") if c.strip())
    return tuple(entry)


@dataclass(frozen=True)
class LanguageTable:
    """Maps ISO 639-1 codes to bits of a multi-word uint64 mask (one bit per code the pool's offers speak)."""

    codes: tuple[str, ...]

    @property
    def words(self) -> int:
        """Number of uint64 words per mask."""
        return max(1, (len(self.codes) + 63) // 64)

    @cached_property
    def _bit(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.codes)}

    def mask(self, codes: Iterable[str]) -> np.ndarray:
        """Mask of the given codes; codes no offer speaks are dropped."""
        if isinstance(codes, tuple):  # the common case, one request's codes: built once per distinct tuple
            return self._masks(codes)
        return self._build_mask(codes)

    @cached_property
    def _masks(self):
        def read_only(codes: tuple[str, ...]) -> np.ndarray:
            out = self._build_mask(codes)
            out.setflags(write=False)
            return out

        return lru_cache(maxsize=1024)(read_only)

    def _build_mask(self, codes: Iterable[str]) -> np.ndarray:
        out = np.zeros(self.words, dtype=np.uint64)
        for code in codes:
            i = self._bit.get(code)
            if i is not None:
                out[i // 64] |= np.uint64(1) << np.uint64(i % 64)
        return out

    def decode(self, mask: np.ndarray) -> tuple[str, ...]:
        """Codes present in a mask, in table order."""
        return tuple(c for i, c in enumerate(self.codes) if int(mask[i // 64]) >> (i % 64) & 1)

    def encode(self, entries: Sequence) -> np.ndarray:
        """Masks, shape (n, words), of one code list per row."""
        distinct, inverse = distinct_rows(entries)
        table = np.zeros((max(len(distinct), 1), self.words), dtype=np.uint64)
        for row, entry in enumerate(distinct):
            table[row] = self.mask(codes_of(entry))
        return table[inverse]


def distinct_rows(entries: Sequence) -> tuple[list, np.ndarray]:
    """Distinct entries (few code lists repeat across many rows) and each row's index among them."""
    index = {entry: i for i, entry in enumerate(dict.fromkeys(entries))}
    return list(index), np.array([index[entry] for entry in entries], dtype=np.int64).reshape(-1)
