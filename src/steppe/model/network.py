"""The network: node and link tables validated against the schema."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from steppe.model.validation import Problems, conform_table


@dataclass(frozen=True)
class Network:
    """A directed network of nodes and links.

    Build one with :meth:`Network.from_frames` (or a reader in :mod:`steppe.io`), which
    validates both tables against the schema and reports every problem at once.

    Attributes
    ----------
    nodes
        Node table (see ``docs/data-dictionary.md``), one row per node.
    links
        Link table, one row per directed link, in input order. Parallel links are allowed.
    name
        Network name, for reports and provenance.
    metadata
        Free-form facts about the network (units, source files, first thru node …).
    """

    nodes: pd.DataFrame
    links: pd.DataFrame
    name: str = "network"
    metadata: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_frames(
        cls,
        nodes: pd.DataFrame,
        links: pd.DataFrame,
        *,
        name: str = "network",
        metadata: Mapping[str, object] | None = None,
        node_source: str = "node table",
        link_source: str = "link table",
        node_rows: Sequence[int] | None = None,
        link_rows: Sequence[int] | None = None,
        problems: Problems | None = None,
    ) -> Network:
        """Validate node and link tables and build a network.

        Parameters
        ----------
        nodes, links
            Input tables. Missing optional columns get their schema defaults.
        name
            Network name.
        metadata
            Extra facts to keep with the network.
        node_source, link_source
            Names used in error messages (usually file paths).
        node_rows, link_rows
            File line numbers of the rows, for error messages.
        problems
            Collector to add to; a new strict-free one by default.

        Returns
        -------
        Network

        Raises
        ------
        steppe.errors.InputError
            Listing every problem found in either table.
        """
        problems = problems if problems is not None else Problems()
        node_table = conform_table(
            nodes, "node", source=node_source, problems=problems, row_numbers=node_rows
        )
        link_table = conform_table(
            links, "link", source=link_source, problems=problems, row_numbers=link_rows
        )
        if not problems.errors:
            _check_topology(node_table, link_table, link_source, link_rows, problems)
        problems.raise_if_any(f"network '{name}'")
        return cls(
            nodes=node_table,
            links=link_table,
            name=name,
            metadata=MappingProxyType(dict(metadata or {})),
        )

    @property
    def zones(self) -> pd.DataFrame:
        """Zones and their centroid nodes, sorted by zone id.

        Returns
        -------
        pandas.DataFrame
            Columns ``zone_id`` and ``node_id``.
        """
        has_zone = self.nodes["zone_id"].notna().to_numpy()
        table = pd.DataFrame(
            {
                "zone_id": self.nodes["zone_id"].to_numpy()[has_zone].astype("int64"),
                "node_id": self.nodes["node_id"].to_numpy()[has_zone],
            }
        )
        return table.sort_values("zone_id", ignore_index=True)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.nodes)

    @property
    def n_links(self) -> int:
        """Number of links."""
        return len(self.links)

    def with_links(self, links: pd.DataFrame) -> Network:
        """Return a copy of this network with another (already valid) link table."""
        return Network(self.nodes, links.reset_index(drop=True), self.name, self.metadata)


def _check_topology(
    nodes: pd.DataFrame,
    links: pd.DataFrame,
    source: str,
    rows: Sequence[int] | None,
    problems: Problems,
) -> None:
    known = pd.Index(nodes["node_id"])
    for column in ("from_node_id", "to_node_id"):
        unknown = ~links[column].isin(known).to_numpy()
        for pos in np.flatnonzero(unknown):
            row = int(rows[int(pos)]) if rows is not None else f"row {pos + 1}"
            problems.add(
                source, row, column, links[column].iloc[pos], "a node id of the node table"
            )
    loops = (links["from_node_id"] == links["to_node_id"]).to_numpy()
    for pos in np.flatnonzero(loops):
        row = int(rows[int(pos)]) if rows is not None else f"row {pos + 1}"
        problems.add(
            source,
            row,
            "to_node_id",
            links["to_node_id"].iloc[pos],
            "a node other than from_node_id",
        )
