"""Corridor metrics: crossing volumes, China–Europe route shares, transit, unserved demand."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from steppe.assign import AssignmentResult
from steppe.model.corridor import CorridorBuild

EUROPE_AND_RUSSIA = frozenset({"RU", "BY", "PL", "DE", "FR", "NL"})
"""Destinations that make a China-origin container flow a China–Europe Railway Express flow."""


def link_class_flows(result: AssignmentResult, build: CorridorBuild) -> pd.DataFrame:
    """Flow per link and class (long table, assignment units per year).

    Returns
    -------
    pandas.DataFrame
        ``link_id``, ``demand_class``, ``flow``, class by class in link order; zero flows
        dropped.
    """
    links = result.links
    classes = build.classes["demand_class"].tolist()
    columns = ["flow"] if len(classes) == 1 else [f"flow_{c}" for c in classes]
    # class-major, like DataFrame.melt of the wide table, without its reshaping overhead
    wide = np.column_stack([links[c].to_numpy(dtype=float) for c in columns])
    flow = wide.T.ravel()
    kept = flow > 0
    n = len(links)
    return pd.DataFrame(
        {
            "link_id": np.tile(links["link_id"].to_numpy(), len(classes))[kept],
            "demand_class": pd.array(np.repeat(np.array(classes, dtype=object), n)[kept],
                                     dtype="str"),
            "flow": flow[kept],
        }
    )


def class_flow_info(result: AssignmentResult, build: CorridorBuild) -> pd.DataFrame:
    """:func:`link_class_flows` with the link and class attributes the corridor metrics use.

    Compute it once per run and pass it to the metrics as ``flows``.

    Returns
    -------
    pandas.DataFrame
        ``link_id``, ``demand_class``, ``flow``; the link's ``element``, ``element_id``,
        ``mode``, ``from_country``, ``to_country``; the class's ``commodity``,
        ``origin_country``, ``destination_country``, ``unit``, ``assignment_unit``,
        ``units_per_assignment_unit``. Rows of links or classes the build lacks are dropped.
    """
    flows = link_class_flows(result, build)
    links, classes = build.network.links, build.classes
    at_link = pd.Index(links["link_id"]).get_indexer(flows["link_id"])
    at_class = pd.Index(classes["demand_class"]).get_indexer(flows["demand_class"])
    kept = (at_link >= 0) & (at_class >= 0)
    at_link, at_class = at_link[kept], at_class[kept]
    return pd.DataFrame(
        {
            **{c: flows[c].array[kept] for c in ("link_id", "demand_class", "flow")},
            **{c: links[c].array.take(at_link) for c in _LINK_INFO},
            **{c: classes[c].array.take(at_class) for c in _CLASS_INFO},
        }
    )


_LINK_INFO = ("element", "element_id", "mode", "from_country", "to_country")
_CLASS_INFO = ("commodity", "origin_country", "destination_country", "unit", "assignment_unit",
               "units_per_assignment_unit")


def _rows(table: pd.DataFrame, mask: pd.Series, columns: list[str]) -> pd.DataFrame:
    """``table.loc[mask, columns]`` with a fresh index (cheaper than ``.loc`` for a few rows)."""
    kept = mask.to_numpy(dtype=bool)
    return pd.DataFrame({c: table[c].array[kept] for c in columns})


def _join(left: pd.DataFrame, right: pd.DataFrame, key: str) -> pd.DataFrame:
    """``left.merge(right, on=key)`` for a unique key of ``right`` (rows of ``left`` in order).

    Rows whose key ``right`` lacks are dropped, as by the inner merge.
    """
    position = pd.Index(right[key]).get_indexer(left[key])
    found = position >= 0
    return pd.DataFrame(
        {
            **{c: left[c].array[found] for c in left.columns},
            **{c: right[c].array.take(position[found]) for c in right.columns if c != key},
        }
    )


def crossing_table(
    result: AssignmentResult, build: CorridorBuild, *, flows: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Volumes per border crossing, direction and mode.

    ``flows`` is the run's :func:`class_flow_info`, when already computed.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``from_country``, ``to_country``, ``mode``, ``tonnes`` (all freight,
        t/year), ``teu`` (containers), ``trains`` (tonnes / train payload), ``bcm`` (gas),
        ``capacity`` (assignment units/year, NaN if none), ``queue_delay_h``.
    """
    links = build.network.links
    crossing = _rows(
        links,
        links["element"] == "crossing",
        ["link_id", "name", "from_country", "to_country", "mode", "hard_capacity"],
    )
    queued = "queue_delay" in result.links
    base = _join(
        crossing,
        result.links[["link_id", "flow", "queue_delay"] if queued else ["link_id", "flow"]],
        "link_id",
    )
    if not queued:
        base["queue_delay"] = 0.0
    flows = class_flow_info(result, build) if flows is None else flows
    flows = _rows(
        flows,
        flows["element"] == "crossing",
        ["link_id", "flow", "assignment_unit", "commodity", "units_per_assignment_unit", "unit"],
    )
    tonnes = flows["flow"].where(flows["assignment_unit"] == "t", 0.0)
    per_link = (
        pd.DataFrame(
            {
                "link_id": flows["link_id"],
                "tonnes": tonnes,
                "teu": np.where(
                    flows["commodity"] == "container",
                    flows["flow"] * flows["units_per_assignment_unit"],
                    0.0,
                ),
                "bcm": np.where(flows["unit"] == "bcm", flows["flow"], 0.0),
            }
        )
        .groupby("link_id", as_index=False)
        .sum()
    )
    # a left join of the per-link sums, 0 where a crossing carries nothing (position -1
    # picks the 0 appended at the end)
    position = pd.Index(per_link["link_id"]).get_indexer(base["link_id"])
    moved = {
        column: np.append(per_link[column].to_numpy(dtype=float), 0.0)[position]
        for column in ("tonnes", "teu", "bcm")
    }
    payload = build.model.parameters.train_payload_t
    table = {
        **{c: base[c].array for c in ("name", "from_country", "to_country", "mode")},
        "tonnes": moved["tonnes"],
        "teu": moved["teu"],
        "trains": np.where(base["mode"] == "rail", moved["tonnes"] / payload, 0.0),
        "bcm": moved["bcm"],
        "capacity": base["hard_capacity"].array,
        "queue_delay_h": base["queue_delay"].array,
    }
    return pd.DataFrame(table).sort_values(["name", "from_country", "mode"], ignore_index=True)


def _port_name(name: str) -> str:
    """Short place name: "Erenhot (Erlian, Ereen)" → "Erenhot"."""
    return re.split(r"\s*[(\[]", str(name))[0].strip()


def china_europe_route_shares(
    result: AssignmentResult, build: CorridorBuild, *, flows: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Shares of China–Europe rail containers by Chinese exit (or entry) port.

    ``flows`` is the run's :func:`class_flow_info`, when already computed.

    China–Europe containers are container classes between China and Russia, Belarus or the
    EU, in either direction; each is counted once, where it crosses China's border (by rail,
    or by truck to the other side's railhead — both are a China–Europe train's exit port).

    Returns
    -------
    pandas.DataFrame
        ``port``, ``teu`` (per year), ``share`` (sums to 1).
    """
    flows = class_flow_info(result, build) if flows is None else flows
    # container flows on crossings first: the remaining tests then look at a few rows
    flows = _rows(
        flows,
        (flows["commodity"] == "container") & (flows["element"] == "crossing"),
        ["origin_country", "destination_country", "mode", "from_country", "to_country",
         "element_id", "flow", "units_per_assignment_unit"],
    )
    origin, destination = flows["origin_country"], flows["destination_country"]
    ce = ((origin == "CN") & destination.isin(EUROPE_AND_RUSSIA)) | (
        (destination == "CN") & origin.isin(EUROPE_AND_RUSSIA)
    )
    border = flows["mode"].isin(["rail", "road"]) & (
        (flows["from_country"] == "CN") | (flows["to_country"] == "CN")
    )
    chosen = _rows(flows, ce & border, ["element_id", "flow", "units_per_assignment_unit"])
    nodes = build.model.nodes
    places = dict(zip(nodes["node_id"].astype(int).tolist(), nodes["name"].tolist(), strict=True))
    chinese_side = _chinese_place(build)
    chosen["port"] = chosen["element_id"].map(chinese_side).map(lambda p: _port_name(places[p]))
    chosen["teu"] = chosen["flow"] * chosen["units_per_assignment_unit"]
    table = chosen.groupby("port", as_index=False)["teu"].sum()
    total = table["teu"].sum()
    table["share"] = table["teu"] / total if total > 0 else 0.0
    return table.sort_values("share", ascending=False, ignore_index=True)


def _chinese_place(build: CorridorBuild) -> dict[int, int]:
    crossings = build.model.crossings
    columns = (crossings[c].tolist() for c in ("crossing_id", "country_a", "node_a", "node_b"))
    return {
        int(crossing): int(a if country_a == "CN" else b)
        for crossing, country_a, a, b in zip(*columns, strict=True)
    }


def transit_by_country(
    result: AssignmentResult, build: CorridorBuild, *, flows: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Freight crossing a country's territory between two other countries.

    ``flows`` is the run's :func:`class_flow_info`, when already computed.

    A class (commodity between two countries) is in transit through country C when neither
    end is in C; its flow on crossing links into C is C's transit.

    Returns
    -------
    pandas.DataFrame
        ``country``, ``tonnes`` (t/year, freight), ``bcm`` (gas).
    """
    flows = class_flow_info(result, build) if flows is None else flows
    columns = ["origin_country", "destination_country", "to_country", "flow", "assignment_unit",
               "unit"]
    crossing = _rows(flows, flows["element"] == "crossing", columns)
    entering = _rows(
        crossing,
        (crossing["origin_country"] != crossing["to_country"])
        & (crossing["destination_country"] != crossing["to_country"]),
        columns[2:],
    )
    table = (
        pd.DataFrame(
            {
                "country": entering["to_country"],
                "tonnes": entering["flow"].where(entering["assignment_unit"] == "t", 0.0),
                "bcm": entering["flow"].where(entering["unit"] == "bcm", 0.0),
            }
        )
        .groupby("country", as_index=False)
        .sum()
    )
    return table.sort_values("tonnes", ascending=False, ignore_index=True)


def unserved_table(
    result: AssignmentResult, build: CorridorBuild, *, flows: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Demand that took the "unserved" link: no route, or every route full.

    ``flows`` is the run's :func:`class_flow_info`, when already computed.

    Returns
    -------
    pandas.DataFrame
        ``origin``, ``destination``, ``commodity``, ``demand_class``, ``volume`` (commodity
        units/year), ``tonnes``.
    """
    links = build.network.links
    served = _rows(links, links["element"] == "unserved", ["link_id", "from_node_id", "to_node_id"])
    flows = class_flow_info(result, build) if flows is None else flows
    flows = _rows(
        flows,
        (flows["element"] == "unserved") & (flows["flow"] > 1e-6),
        ["link_id", "demand_class", "flow", "commodity", "assignment_unit",
         "units_per_assignment_unit"],
    )
    table = _join(flows, served, "link_id")
    out = pd.DataFrame(
        {
            "origin": table["from_node_id"] // 10,
            "destination": table["to_node_id"] // 10,
            "commodity": table["commodity"],
            "demand_class": table["demand_class"],
            "volume": table["flow"] * table["units_per_assignment_unit"],
            "tonnes": table["flow"].where(table["assignment_unit"] == "t", 0.0),
        }
    )
    return out.reset_index(drop=True)
