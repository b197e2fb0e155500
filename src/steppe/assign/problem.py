"""Turn a network, demand and configuration into the arrays the solvers work on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from steppe.assign.config import AssignmentConfig
from steppe.errors import InputError
from steppe.model.demand import Demand
from steppe.model.graph import CompiledGraph, compile_graphs
from steppe.model.network import Network

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class LinkArrays:
    """Link cost parameters per link row (float64).

    BPR parameters, plus the augmented-Lagrangian capacity term: ``hard_capacity`` (``inf``
    where none), its ``multiplier`` (queueing delay, time units) and ``penalty_weight``.
    """

    free_flow_time: FloatArray
    capacity: FloatArray
    alpha: FloatArray
    beta: FloatArray
    hard_capacity: FloatArray
    multiplier: FloatArray
    penalty_weight: FloatArray

    @property
    def has_hard_capacity(self) -> bool:
        """Whether any link has a hard capacity."""
        return bool(np.isfinite(self.hard_capacity).any())


@dataclass(frozen=True)
class ClassArrays:
    """One demand class: its graph, fixed link costs and OD table in CSR form by origin.

    ``od_origin`` / ``od_destination`` keep zone ids for reporting; ``od_dest`` holds node
    positions for the kernels.
    """

    name: str
    graph: CompiledGraph
    fixed_cost: FloatArray
    link_mask: BoolArray
    origin_nodes: IntArray
    origin_zones: IntArray
    od_start: IntArray
    od_dest: IntArray
    od_volume: FloatArray
    od_origin: IntArray
    od_destination: IntArray

    @property
    def total_volume(self) -> float:
        """Total demand volume of the class."""
        return float(self.od_volume.sum())


@dataclass(frozen=True)
class AssignmentProblem:
    """Everything a solver needs, as arrays."""

    links: LinkArrays
    classes: tuple[ClassArrays, ...]
    n_links: int


def _allowed_masks(network: Network, classes: list[str]) -> dict[str, BoolArray]:
    """Per demand class, whether each link row allows it (``allowed_uses`` empty: all do).

    ``allowed_uses`` holds few distinct texts: each is split once, not once per link.
    """
    uses = network.links["allowed_uses"]
    if uses.isna().all():
        return {name: np.ones(len(uses), dtype=np.bool_) for name in classes}
    codes, texts = pd.factorize(uses.fillna(""), sort=False)
    allowed_sets = [{u.strip() for u in str(text).split(";")} for text in texts]
    open_to_all = np.array([str(text).strip() == "" for text in texts], dtype=np.bool_)
    masks = {}
    for name in classes:
        per_text = open_to_all | np.array([name in s for s in allowed_sets], dtype=np.bool_)
        masks[name] = per_text[codes]
    return masks


def _rows_by_class(demand: Demand) -> dict[str, pd.DataFrame]:
    """OD rows of each demand class, sorted by origin and destination."""
    table = demand.table.sort_values(["origin", "destination"], kind="stable")
    groups = table.groupby("demand_class", sort=False, observed=True)
    return {str(name): rows for name, rows in groups}


def _od_csr(
    rows: pd.DataFrame, graph: CompiledGraph
) -> tuple[IntArray, IntArray, IntArray, IntArray, FloatArray, IntArray, IntArray]:
    zone_position = pd.Index(graph.zone_ids)
    origins = rows["origin"].to_numpy(np.int64)
    dest_nodes = graph.zone_nodes[zone_position.get_indexer(rows["destination"])]
    origin_zones, first = np.unique(origins, return_index=True)
    od_start = np.append(first, len(rows)).astype(np.int64)
    origin_nodes = graph.zone_nodes[zone_position.get_indexer(origin_zones)]
    return (
        origin_nodes.astype(np.int64),
        origin_zones.astype(np.int64),
        od_start,
        dest_nodes.astype(np.int64),
        rows["volume"].to_numpy(np.float64),
        origins,
        rows["destination"].to_numpy(np.int64),
    )


def _cost_column(network: Network, column: str, demand_class: str) -> FloatArray:
    if column not in network.links.columns:
        raise InputError(
            f"demand class '{demand_class}' takes its fixed cost from link column '{column}', "
            f"which network '{network.name}' does not have"
        )
    values: FloatArray = pd.to_numeric(network.links[column], errors="coerce").to_numpy(np.float64)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"link column '{column}' (fixed cost of class '{demand_class}') must be a finite "
            f"number >= 0 on every link; link_id {network.links['link_id'].iloc[row]} has "
            f"{network.links[column].iloc[row]!r} ({int(bad.sum())} link(s) affected)"
        )
    return values


def build_problem(network: Network, demand: Demand, config: AssignmentConfig) -> AssignmentProblem:
    """Compile the network per demand class and lay out the OD tables.

    Raises
    ------
    steppe.errors.InputError
        When demand names zones the network does not have.
    """
    zones = pd.Index(network.zones["zone_id"])
    for column in ("origin", "destination"):
        unknown = ~demand.table[column].isin(zones)
        if unknown.any():
            bad = demand.table.loc[unknown, column].unique()[:5]
            raise InputError(
                f"demand {column} zone(s) {', '.join(map(str, bad))} are not zones of network "
                f"'{network.name}' ({unknown.sum()} OD row(s) affected)"
            )
    links = network.links
    hard = links["hard_capacity"].to_numpy(np.float64, na_value=np.inf)
    arrays = LinkArrays(
        free_flow_time=links["free_flow_time"].to_numpy(np.float64),
        capacity=links["capacity"].to_numpy(np.float64),
        alpha=links["alpha"].to_numpy(np.float64),
        beta=links["beta"].to_numpy(np.float64),
        hard_capacity=np.where(np.isnan(hard), np.inf, hard),
        multiplier=np.zeros(len(links)),
        penalty_weight=np.zeros(len(links)),
    )
    toll = links["toll"].to_numpy(np.float64)
    length = links["length"].to_numpy(np.float64)
    names = list(demand.classes)
    masks = _allowed_masks(network, names)
    graphs = compile_graphs(network, [masks[n] for n in names], contract=config.contract_graph)
    rows_of = _rows_by_class(demand)
    classes = []
    for name, graph in zip(names, graphs, strict=True):
        mask = masks[name]
        weights = config.cost_of(name)
        fixed = weights.toll_factor * toll + weights.distance_factor * length
        if weights.fixed_cost_column is not None:
            fixed = fixed + weights.fixed_cost_factor * _cost_column(
                network, weights.fixed_cost_column, name
            )
        csr = _od_csr(rows_of[name], graph)
        classes.append(ClassArrays(name, graph, fixed, mask, *csr))
    return AssignmentProblem(links=arrays, classes=tuple(classes), n_links=len(links))
