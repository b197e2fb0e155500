"""Read a corridor model folder (CSV tables, as ``steppe/data/eurasia``)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pandas as pd

from steppe.errors import InputError
from steppe.io.tables import read_text
from steppe.model.corridor import CorridorModel
from steppe.model.corridor.tables import REQUIRED_COLUMNS

PathLike = str | os.PathLike[str]
OPTIONAL = ("projects", "sources", "assumptions", "conflicts")


def _read(folder: Path, table: str, *, required: bool) -> pd.DataFrame:
    path = folder / f"{table}.csv"
    if not path.exists():
        if required:
            raise InputError(f"corridor folder {folder}: {path.name} is missing")
        return pd.DataFrame()
    text = read_text(path, what=f"corridor table {path}")
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    missing = [c for c in REQUIRED_COLUMNS.get(table, ()) if c not in frame.columns]
    if missing:
        raise InputError(
            f"{path}: missing column(s) {', '.join(missing)}; "
            f"expected {', '.join(REQUIRED_COLUMNS[table])}"
        )
    for column in frame.columns:
        empty = frame[column].str.strip() == ""
        frame.loc[empty, column] = None
    return frame


def read_corridor_folder(folder: PathLike, *, name: str | None = None) -> CorridorModel:
    """Read node, link, crossing, commodity, tariff and demand tables (plus provenance).

    Parameters
    ----------
    folder
        Folder with ``node.csv``, ``link.csv``, ``crossing.csv``, ``commodity.csv``,
        ``tariff.csv``, ``demand.csv`` and optionally ``projects.csv``, ``sources.csv``,
        ``assumptions.csv``, ``conflicts.csv``.
    name
        Model name; the folder name by default.

    Returns
    -------
    CorridorModel

    Raises
    ------
    steppe.errors.InputError
        A missing table or column, or a file that is not UTF-8 text.
    """
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"corridor model folder {root} does not exist or is not a folder")
    tables = {t: _read(root, t, required=True) for t in REQUIRED_COLUMNS}
    extra = {t: _read(root, t, required=False) for t in OPTIONAL}
    return CorridorModel(
        nodes=tables["node"],
        links=tables["link"],
        crossings=tables["crossing"],
        commodities=tables["commodity"],
        tariffs=tables["tariff"],
        demand=tables["demand"],
        projects=extra["projects"],
        sources=extra["sources"],
        assumptions=extra["assumptions"],
        conflicts=extra["conflicts"],
        name=name or root.name,
        metadata={"folder": str(root)},
    )
