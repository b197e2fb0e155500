"""The data schema of steppe's tables, kept as data.

Each table (``node``, ``link``, ``demand``) is described by a CSV file in
``steppe/model/schema/`` with one row per field: name, dtype, unit, default, whether it is
required, a constraint and a description. The same description drives input validation
(:mod:`steppe.model.validation`) and the generated data dictionary (``docs/data-dictionary.md``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

TABLES: tuple[str, ...] = ("node", "link", "demand")
"""Tables that have a schema."""

CONSTRAINTS: frozenset[str] = frozenset(
    {"", "unique", "positive", "non_negative", "finite", "node", "zone"}
)


@dataclass(frozen=True)
class Field:
    """One column of a table.

    Attributes
    ----------
    name
        Column name.
    dtype
        pandas dtype name (``int64``, ``Int64``, ``float64``, ``string``, ``boolean``).
    unit
        Unit of the values, empty if dimensionless or an identifier.
    default
        Default value as text, or ``None`` when there is no default.
    required
        Whether the column must be present in input.
    constraint
        One of :data:`CONSTRAINTS`: ``unique``, ``positive``, ``non_negative``, ``finite``,
        ``node`` (must name an existing node), ``zone`` (must name an existing zone) or empty.
    description
        What the field means.
    """

    name: str
    dtype: str
    unit: str
    default: str | None
    required: bool
    constraint: str
    description: str

    @property
    def is_numeric(self) -> bool:
        """Whether values are numbers."""
        return self.dtype in {"int64", "Int64", "float64"}

    @property
    def is_integer(self) -> bool:
        """Whether values are whole numbers."""
        return self.dtype in {"int64", "Int64"}


def _parse_row(row: dict[str, str]) -> Field:
    constraint = row["constraint"].strip()
    if constraint not in CONSTRAINTS:
        raise ValueError(f"schema field {row['field']!r}: unknown constraint {constraint!r}")
    default = row["default"].strip()
    return Field(
        name=row["field"].strip(),
        dtype=row["dtype"].strip(),
        unit=row["unit"].strip(),
        default=default if default != "" else None,
        required=row["required"].strip().lower() == "true",
        constraint=constraint,
        description=row["description"].strip(),
    )


@cache
def table_schema(table: str) -> tuple[Field, ...]:
    """Return the fields of a table, in column order.

    Parameters
    ----------
    table
        One of :data:`TABLES`.

    Returns
    -------
    tuple of Field
    """
    if table not in TABLES:
        raise KeyError(f"no schema for table {table!r}; known tables: {', '.join(TABLES)}")
    text = (files("steppe.model") / "schema" / f"{table}.csv").read_text(encoding="utf-8")
    return tuple(_parse_row(row) for row in csv.DictReader(text.splitlines()))


def field_names(table: str) -> tuple[str, ...]:
    """Names of a table's fields, in column order."""
    return tuple(f.name for f in table_schema(table))


def data_dictionary_markdown() -> str:
    """Render every table's schema as a Markdown data dictionary.

    Returns
    -------
    str
        The text of ``docs/data-dictionary.md``.
    """
    lines = [
        "# Data dictionary",
        "",
        "Generated from `src/steppe/model/schema/*.csv` by `make docs`;",
        "do not edit by hand. The same schema validates every input table.",
        "",
    ]
    for table in TABLES:
        lines += [
            f"## `{table}`",
            "",
            "| field | dtype | unit | default | required | constraint | description |",
            "|---|---|---|---|---|---|---|",
        ]
        for f in table_schema(table):
            req = "yes" if f.required else "no"
            default = "" if f.default is None else f"`{f.default}`"
            lines.append(
                f"| `{f.name}` | {f.dtype} | {f.unit} | {default} | {req} | {f.constraint} "
                f"| {f.description} |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - documentation generator
    print(data_dictionary_markdown())
