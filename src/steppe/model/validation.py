"""One validation layer: collect every problem, then fail once with all of them.

Readers and model constructors push :class:`Problem` records into a :class:`Problems`
collector and call :meth:`Problems.raise_if_any` at the end, so a user sees every bad row of
a file in one go, each naming the file, row (line), field, value and what was expected.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import SupportsIndex

import numpy as np
import pandas as pd

from steppe.errors import InputError
from steppe.model.schema import Field, table_schema


@dataclass(frozen=True)
class Problem:
    """One problem in the input.

    Attributes
    ----------
    source
        File name or table name the problem is in.
    row
        Line number in the file (1-based) or row label, or ``None`` for the whole table.
    field
        Column or metadata key, or ``None``.
    value
        Offending value as text, or ``None``.
    expected
        What was expected instead.
    """

    source: str
    row: int | str | None
    field: str | None
    value: str | None
    expected: str

    def __str__(self) -> str:
        where = self.source
        if self.row is not None:
            where += f", line {self.row}" if isinstance(self.row, int) else f", {self.row}"
        if self.field is not None:
            where += f", field '{self.field}'"
        got = f": got {self.value!r}" if self.value is not None else ""
        return f"{where}{got}; expected {self.expected}"


@dataclass
class Problems:
    """Collector of problems found while reading or validating input.

    Parameters
    ----------
    strict
        When true, :meth:`warn` records an error instead of issuing a warning.
    """

    strict: bool = False
    errors: list[Problem] = field(default_factory=list)

    def add(
        self,
        source: str,
        row: int | str | None,
        field_name: str | None,
        value: object,
        expected: str,
    ) -> None:
        """Record an error."""
        text = None if value is None else str(value)
        self.errors.append(Problem(source, row, field_name, text, expected))

    def warn(
        self,
        source: str,
        row: int | str | None,
        field_name: str | None,
        value: object,
        expected: str,
    ) -> None:
        """Record a recoverable problem: an error if strict, otherwise a warning."""
        if self.strict:
            self.add(source, row, field_name, value, expected)
            return
        problem = Problem(source, row, field_name, None if value is None else str(value), expected)
        warnings.warn(DataWarning(str(problem)), stacklevel=3)

    def __len__(self) -> int:
        return len(self.errors)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.errors)

    def raise_if_any(self, what: str) -> None:
        """Raise one :class:`InputError` listing every problem, if there are any.

        Parameters
        ----------
        what
            What was being read or built, for the message (e.g. ``"TNTP network file x"``).
        """
        if not self.errors:
            return
        n = len(self.errors)
        first = self.errors[0]
        message = f"{what}: {n} problem(s) found; the first is: {first}"
        raise InputError(message, self.errors)


class DataWarning(UserWarning):
    """Input was accepted after a recoverable problem (e.g. a duplicate link was dropped)."""


def _blank(column: pd.Series) -> pd.Series:
    """Missing or whitespace-only cells (cheap for numeric columns)."""
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return column.isna()
    return (column.isna() | (column.astype("string").str.strip() == "")).fillna(True).astype(bool)


def _row_label(row_numbers: Sequence[int] | None, position: SupportsIndex) -> int | str:
    position = int(position)
    if row_numbers is None:
        return f"row {position + 1}"
    return int(row_numbers[position])


def _coerce_numeric(
    column: pd.Series, spec: Field, source: str, rows: Sequence[int] | None, problems: Problems
) -> pd.Series:
    values = pd.to_numeric(column, errors="coerce")
    bad = values.isna() & ~_blank(column)
    for pos in np.flatnonzero(bad.to_numpy()):
        problems.add(source, _row_label(rows, pos), spec.name, column.iloc[pos], "a number")
    if spec.is_integer:
        whole = values.isna() | (values == np.round(values))
        for pos in np.flatnonzero(~whole.to_numpy()):
            problems.add(
                source, _row_label(rows, pos), spec.name, column.iloc[pos], "a whole number"
            )
    return values.astype("float64")


def _check_constraint(
    values: pd.Series,
    raw: pd.Series,
    spec: Field,
    source: str,
    rows: Sequence[int] | None,
    problems: Problems,
) -> None:
    """Record values that break the field's constraint, showing the input text."""
    arr = values.to_numpy(dtype="float64", na_value=np.nan) if spec.is_numeric else None
    if arr is not None:
        present = ~np.isnan(arr)
        checks: list[tuple[np.ndarray, str]] = []
        if spec.constraint == "positive":
            checks.append((present & ~(arr > 0), "a positive number"))
        if spec.constraint == "non_negative":
            checks.append((present & ~(arr >= 0), "a number >= 0"))
        checks.append((present & np.isinf(arr), "a finite number"))
        for mask, expected in checks:
            for pos in np.flatnonzero(mask):
                problems.add(source, _row_label(rows, pos), spec.name, raw.iloc[pos], expected)
    if spec.constraint == "unique":
        dup = values.notna() & values.duplicated(keep="first")
        for pos in np.flatnonzero(dup.to_numpy()):
            problems.add(
                source,
                _row_label(rows, pos),
                spec.name,
                raw.iloc[pos],
                "a value not used by an earlier row",
            )


def _final_dtype(values: pd.Series, spec: Field) -> pd.Series:
    if spec.dtype == "int64":
        return values.fillna(0).astype("int64")
    if spec.dtype == "Int64":
        return values.round().astype("Int64")
    if spec.dtype == "boolean":
        return values.astype("boolean")
    if spec.dtype == "string":
        return values.astype("string")
    return values.astype("float64")


_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


def _coerce_boolean(
    column: pd.Series, spec: Field, source: str, rows: Sequence[int] | None, problems: Problems
) -> pd.Series:
    if pd.api.types.is_bool_dtype(column):
        return column.astype("boolean")
    text = column.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=column.index, dtype="boolean")
    out[text.isin(_TRUE).fillna(False).to_numpy()] = True
    out[text.isin(_FALSE).fillna(False).to_numpy()] = False
    bad = out.isna() & text.notna() & (text != "")
    for pos in np.flatnonzero(bad.to_numpy()):
        problems.add(source, _row_label(rows, pos), spec.name, column.iloc[pos], "true or false")
    return out


def conform_table(
    frame: pd.DataFrame,
    table: str,
    *,
    source: str,
    problems: Problems,
    row_numbers: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Check a table against its schema and return it with schema dtypes and defaults.

    Columns the schema does not know are kept unchanged after the schema columns. Problems
    (missing required column, non-numeric value, empty required value, constraint broken,
    duplicate identifier) are recorded in ``problems``; the caller decides when to raise.

    Parameters
    ----------
    frame
        Input table; values may be text or numbers.
    table
        Schema name, one of ``node``, ``link``, ``demand``.
    source
        File or table name used in problem messages.
    problems
        Collector that receives every problem.
    row_numbers
        File line number of each row, for messages; ``None`` labels rows ``row N``.

    Returns
    -------
    pandas.DataFrame
        A new table, schema columns first, with schema dtypes and defaults filled in.
    """
    out: dict[str, pd.Series] = {}
    index = pd.RangeIndex(len(frame))
    frame = frame.reset_index(drop=True)
    for spec in table_schema(table):
        typed = _typed_field(frame, spec, index)
        if typed is not None:
            out[spec.name] = typed
            continue
        if spec.name not in frame.columns:
            if spec.required:
                problems.add(source, None, spec.name, None, f"a column named '{spec.name}'")
                continue
            raw = pd.Series([spec.default] * len(frame), index=index, dtype="object")
        else:
            raw = frame[spec.name]
            if spec.default is not None:
                raw = raw.where(~_blank(raw), spec.default)
        values = _coerce(raw, spec, source, row_numbers, problems)
        if spec.required:
            empty = _blank(raw)
            for pos in np.flatnonzero(empty.to_numpy()):
                problems.add(
                    source,
                    _row_label(row_numbers, pos),
                    spec.name,
                    "",
                    "a value (field is required)",
                )
        _check_constraint(values, raw, spec, source, row_numbers, problems)
        out[spec.name] = _final_dtype(values, spec)
    # one frame built at once from the columns' arrays (all on ``index`` already): inserting
    # the extra columns one by one, or aligning Series, costs ~0.3 ms per column
    columns = {name: values.array for name, values in out.items()}
    columns.update((name, values.array) for name, values in frame.items() if name not in out)
    return pd.DataFrame(columns, index=index)


def _typed_field(frame: pd.DataFrame, spec: Field, index: pd.RangeIndex) -> pd.Series | None:
    """A field of a table that already holds values of its type, when none is a problem.

    Tables built by steppe itself (e.g. a corridor network) hold numbers, text and booleans
    already; checking them with numpy or one pass over a list is much cheaper than the
    coercion of text input. ``None`` sends the field through the full coercion, which
    records every problem with its row and value.
    """
    if spec.dtype == "string":
        return _typed_text(frame, spec, index)
    if spec.dtype == "boolean":
        column = frame.get(spec.name)
        if column is None or column.dtype != np.dtype(bool):
            return None
        return column.astype("boolean")
    return _typed_number(frame, spec, index)


def _typed_number(frame: pd.DataFrame, spec: Field, index: pd.RangeIndex) -> pd.Series | None:
    """A numeric field of a table with a numeric column, when no value breaks the schema."""
    values = _numbers(frame, spec, len(index))
    if values is None:
        return None
    present = ~np.isnan(values)
    if (spec.required and not present.all()) or np.isinf(values).any():
        return None
    if spec.is_integer and not (values[present] == np.round(values[present])).all():
        return None
    if spec.constraint == "positive" and not (values[present] > 0).all():
        return None
    if spec.constraint == "non_negative" and not (values[present] >= 0).all():
        return None
    if spec.constraint == "unique" and pd.Index(values[present]).has_duplicates:
        return None
    if spec.dtype == "float64":
        return pd.Series(values, index=index, dtype="float64")
    if spec.dtype == "int64":
        return pd.Series(np.where(present, values, 0.0).astype("int64"), index=index)
    return _final_dtype(pd.Series(values, index=index, dtype="float64"), spec)


def _typed_text(frame: pd.DataFrame, spec: Field, index: pd.RangeIndex) -> pd.Series | None:
    """A text field of a table with a text column: stripped, blanks to the default or NA."""
    column = frame.get(spec.name)
    if column is None or spec.constraint == "unique":
        return None
    if not isinstance(column.dtype, pd.StringDtype):
        return None
    values = [None if pd.isna(v) else v.strip() for v in column.tolist()]
    if spec.default is not None:
        values = [v or spec.default.strip() for v in values]
    elif spec.required and not all(values):
        return None
    return pd.Series(pd.array([v or pd.NA for v in values], dtype="string"), index=index)


def _numbers(frame: pd.DataFrame, spec: Field, n: int) -> np.ndarray | None:
    """A numeric field as float64 with its default filled in; ``None`` if not numbers yet."""
    if not spec.is_numeric:
        return None
    try:
        default = np.nan if spec.default is None else float(spec.default)
    except ValueError:
        return None
    if spec.name not in frame.columns:
        return None if spec.required else np.full(n, default)
    column = frame[spec.name]
    if column.dtype == "Int64":
        values = column.to_numpy(dtype="float64", na_value=np.nan)
    elif isinstance(column.dtype, np.dtype) and column.dtype.kind in "if":
        values = column.to_numpy(dtype="float64")
    else:
        return None
    return np.where(np.isnan(values), default, values) if spec.default is not None else values


def _coerce(
    raw: pd.Series, spec: Field, source: str, rows: Sequence[int] | None, problems: Problems
) -> pd.Series:
    if spec.is_numeric:
        return _coerce_numeric(raw, spec, source, rows, problems)
    if spec.dtype == "boolean":
        return _coerce_boolean(raw, spec, source, rows, problems)
    text = raw.astype("string").str.strip()
    return text.where(text != "", pd.NA)
