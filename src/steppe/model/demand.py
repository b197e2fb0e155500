"""Demand: origin–destination volumes by demand class (commodity or user class)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import SupportsIndex

import numpy as np
import pandas as pd

from steppe.model.network import Network
from steppe.model.validation import Problems, conform_table

KEY = ["origin", "destination", "demand_class"]


@dataclass(frozen=True)
class Demand:
    """Origin–destination demand in one or more classes.

    Attributes
    ----------
    table
        Columns ``origin``, ``destination`` (zone ids), ``demand_class`` and ``volume``
        (flow units per assignment period); one row per (origin, destination, class),
        zero volumes removed.
    """

    table: pd.DataFrame

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        network: Network | None = None,
        source: str = "demand table",
        row_numbers: Sequence[int] | None = None,
        problems: Problems | None = None,
    ) -> Demand:
        """Validate a demand table and build :class:`Demand`.

        Parameters
        ----------
        frame
            Table with ``origin``, ``destination``, ``volume`` and optionally
            ``demand_class`` (default ``"all"``).
        network
            When given, every origin and destination must be one of its zones.
        source
            Name for error messages (usually the file path).
        row_numbers
            File line numbers of the rows, for error messages.
        problems
            Collector to add to.

        Raises
        ------
        steppe.errors.InputError
            Non-numeric, negative, missing or infinite volumes, unknown zones, duplicate
            (origin, destination, class) rows, or a table whose total volume is zero.
        """
        problems = problems if problems is not None else Problems()
        table = conform_table(
            frame, "demand", source=source, problems=problems, row_numbers=row_numbers
        )
        if not problems.errors:
            _check_rows(table, network, source, row_numbers, problems)
        problems.raise_if_any(f"demand from {source}")
        table = table.loc[table["volume"] > 0, [*KEY, "volume"]].reset_index(drop=True)
        return cls(table=table)

    @property
    def classes(self) -> tuple[str, ...]:
        """Demand classes, in order of first appearance."""
        return tuple(pd.unique(self.table["demand_class"]))

    def total(self, demand_class: str | None = None) -> float:
        """Total volume, of one class or of all."""
        volume = self.table["volume"]
        if demand_class is not None:
            volume = volume[self.table["demand_class"] == demand_class]
        return float(volume.sum())

    def of_class(self, demand_class: str) -> pd.DataFrame:
        """Rows of one class."""
        return self.table[self.table["demand_class"] == demand_class].reset_index(drop=True)

    def matrix(self, zone_ids: Sequence[int], demand_class: str | None = None) -> np.ndarray:
        """Dense origin × destination matrix over the given zones (float64)."""
        rows = self.table if demand_class is None else self.of_class(demand_class)
        position = pd.Index(zone_ids)
        out = np.zeros((len(position), len(position)))
        np.add.at(
            out,
            (position.get_indexer(rows["origin"]), position.get_indexer(rows["destination"])),
            rows["volume"].to_numpy(),
        )
        return out

    def scaled(self, factor: float) -> Demand:
        """Demand with every volume multiplied by ``factor``."""
        table = self.table.copy()
        table["volume"] = table["volume"] * factor
        return Demand(table=table)


def _label(rows: Sequence[int] | None, pos: SupportsIndex) -> int | str:
    index = int(pos)
    return int(rows[index]) if rows is not None else f"row {index + 1}"


def _check_rows(
    table: pd.DataFrame,
    network: Network | None,
    source: str,
    rows: Sequence[int] | None,
    problems: Problems,
) -> None:
    if network is not None:
        zones = pd.Index(network.zones["zone_id"])
        for column in ("origin", "destination"):
            for pos in np.flatnonzero(~table[column].isin(zones).to_numpy()):
                problems.add(
                    source,
                    _label(rows, pos),
                    column,
                    table[column].iloc[pos],
                    "a zone id of the network",
                )
    for pos in np.flatnonzero(table.duplicated(KEY, keep="first").to_numpy()):
        key = tuple(v.item() if hasattr(v, "item") else v for v in table.loc[pos, KEY])
        problems.add(
            source,
            _label(rows, pos),
            "origin/destination",
            key,
            "one row per origin, destination and class",
        )
    if len(table) == 0 or float(table["volume"].sum()) <= 0:
        problems.add(source, None, "volume", "total 0", "at least one positive demand volume")
