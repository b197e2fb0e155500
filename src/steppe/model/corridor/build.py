"""Turn a :class:`CorridorModel` into an assignment network, demand and class costs."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from steppe.errors import InputError
from steppe.model.corridor.money import money_columns
from steppe.model.corridor.tables import LAYERS, CorridorModel, class_name, records
from steppe.model.corridor.tariffs import Commodity, TariffBook, read_commodities
from steppe.model.demand import Demand
from steppe.model.network import Network

RAIL_LAYER = {1520: "rail_1520", 1435: "rail_1435"}
TRANSFER_LAYERS = ("rail_1520", "rail_1435", "road", "sea")
LAYER_NAMES = {number: name for name, number in LAYERS.items()}
MODE_OF_LAYER = {
    "rail_1520": "rail",
    "rail_1435": "rail",
    "road": "road",
    "sea": "sea",
    "gas_pipeline": "gas_pipeline",
    "oil_pipeline": "oil_pipeline",
}


@dataclass(frozen=True)
class CorridorBuild:
    """An assignment-ready corridor network.

    Attributes
    ----------
    network
        Nodes are (place, layer) pairs; links carry ``element`` (link, crossing,
        transshipment, transfer, access, unserved), ``element_id``, ``mode``, ``country``,
        ``from_country``/``to_country`` (crossings), ``gauge_mm`` and a ``money_<class>``
        column per demand class (USD per assignment unit). Time unit: hours.
    demand
        Volumes in assignment units per year (tonnes; bcm for gas), one class per
        (commodity, origin country, destination country).
    classes
        Per class: ``commodity``, ``origin_country``, ``destination_country``,
        ``vot_usd_per_unit_hour`` (per assignment unit), ``money_column``, ``unit``,
        ``units_per_assignment_unit``.
    commodities
        Commodities by name.
    model
        The source model.
    """

    network: Network
    demand: Demand
    classes: pd.DataFrame
    commodities: dict[str, Commodity]
    model: CorridorModel


def node_id(place: int, layer: str) -> int:
    """Assignment node id of a place's layer."""
    return int(place) * 10 + LAYERS[layer]


def _flag(value: object) -> bool:
    return str(value).strip().lower() in {"true", "1", "yes"}


def _num(value: object, default: float = math.nan) -> float:
    try:
        number = float(str(value))
    except ValueError:
        return default
    return number if math.isfinite(number) else default


def _active(
    table: pd.DataFrame, kind: str, model: CorridorModel, id_column: str
) -> list[dict[str, Any]]:
    """Rows of the elements in service in the model year, plus planned ones switched on."""
    status = table["status"].astype(str)
    years = table["opening_year"] if "opening_year" in table else pd.Series(None, index=table.index)
    opening = pd.to_numeric(years, errors="coerce")
    operating = (status == "operating") & (opening.isna() | (opening <= model.parameters.year))
    ids = table[id_column].astype(int)
    switched = ids.isin([i for k, i in model.switched_on if k == kind])
    keep = (operating | switched).to_numpy()
    return [row for row, kept in zip(records(table), keep, strict=True) if kept]


class _Links:
    """Collects assignment links as dicts; money per commodity is filled per class later."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, tail: int, head: int, **fields: Any) -> None:
        self.rows.append({"from_node_id": tail, "to_node_id": head, **fields})


def _capacity_tonnes(value: float, unit: str, p: Any) -> float:
    """Convert a capacity to assignment units per year (t/yr; bcm/yr for gas)."""
    if math.isnan(value):
        return math.nan
    factors = {
        "trains_per_day": p.train_payload_t * p.days_per_year,
        "trucks_per_day": p.truck_payload_t * p.days_per_year,
        "mt_per_year": 1e6,
        "bcm_per_year": 1.0,
        "teu_per_year": math.nan,
    }
    if unit not in factors:
        raise InputError(f"unknown capacity unit {unit!r}; expected one of {', '.join(factors)}")
    return float(value * factors[unit])


def _link_layers(row: dict[str, Any]) -> list[str]:
    mode = str(row["mode"])
    if mode != "rail":
        return [mode]
    gauge = int(_num(row.get("gauge_mm"), 1520))
    if gauge not in RAIL_LAYER:
        raise InputError(f"link {row['link_id']}: gauge_mm {gauge} is not 1520 or 1435")
    return list(RAIL_LAYER.values()) if _flag(row.get("dual_gauge")) else [RAIL_LAYER[gauge]]


def _physical_links(links: list[dict[str, Any]], out: _Links, model: CorridorModel) -> None:
    p = model.parameters
    for row in links:
        speed = _num(row.get("commercial_speed_kmh"), _num(row.get("design_speed_kmh")))
        if math.isnan(speed) and str(row["mode"]).endswith("pipeline"):
            speed = p.pipeline_speed_kmh
        length = _num(row["length_km"])
        if not speed > 0 or not length >= 0:
            raise InputError(
                f"link {row['link_id']} ({row.get('name')}): needs length_km >= 0 "
                f"and a positive commercial or design speed; got {length}, {speed}"
            )
        capacity = _capacity_tonnes(
            _num(row.get("capacity")),
            str(row.get("capacity_unit")),
            _element_parameters(row, model),
        )
        pipeline = str(row["mode"]).endswith("pipeline")
        for layer in _link_layers(row):
            ends = [(row["from_node_id"], row["to_node_id"])]
            if not _flag(row.get("directed")):
                ends.append((row["to_node_id"], row["from_node_id"]))
            for a, b in ends:
                out.add(
                    node_id(a, layer),
                    node_id(b, layer),
                    element="link",
                    element_id=int(row["link_id"]),
                    name=str(row.get("name", "")),
                    mode=row["mode"],
                    layer=layer,
                    country=row["country"],
                    length=length,
                    free_flow_time=length / speed,
                    soft_capacity=math.nan if pipeline else capacity,
                    hard_capacity=capacity if pipeline else math.nan,
                    gauge_mm=_num(row.get("gauge_mm")),
                )


def _place_layers(out: _Links) -> dict[int, set[str]]:
    layers: dict[int, set[str]] = defaultdict(set)
    for row in out.rows:
        for node in (row["from_node_id"], row["to_node_id"]):
            layers[node // 10].add(row["layer"])
    return layers


def _rail_gauge(place: int, other: int, layers: dict[int, set[str]]) -> str:
    """Gauge layer a crossing's rail uses on ``place``'s side (matching the other if it can)."""
    mine = {layer for layer in layers.get(place, set()) if layer.startswith("rail")}
    theirs = {layer for layer in layers.get(other, set()) if layer.startswith("rail")}
    common = mine & theirs
    if common:
        return sorted(common)[0]
    return sorted(mine)[0] if mine else "rail_1520"


def _crossing_links(
    crossings: list[dict[str, Any]],
    out: _Links,
    model: CorridorModel,
    layers: dict[int, set[str]],
) -> list[tuple[int, str, str, float, int]]:
    """Add crossing links; return the transshipments they need (place, from, to, cap, id)."""
    yards = []
    for row in crossings:
        p = _element_parameters(row, model)
        a, b = int(row["node_a"]), int(row["node_b"])
        capacity = _capacity_tonnes(_num(row.get("capacity")), str(row.get("capacity_unit")), p)
        container_lane = _capacity_tonnes(
            container_lane_trains_per_day(row),
            "trains_per_day",
            replace(p, train_payload_t=model.parameters.train_payload_t),
        )
        directions = [(a, b, "ab", row["country_a"], row["country_b"])]
        if not _flag(row.get("directed")):
            directions.append((b, a, "ba", row["country_b"], row["country_a"]))
        for mode in (m.strip() for m in str(row["modes"]).split(";") if m.strip()):
            for tail, head, way, c_from, c_to in directions:
                layer = _rail_gauge(tail, head, layers) if mode == "rail" else mode
                if mode == "rail" and _flag(row.get("gauge_change")):
                    target = _rail_gauge(head, tail, layers)
                    if target != layer:
                        yard = _capacity_tonnes(
                            _num(row.get(f"transshipment_capacity_{way}")), "trains_per_day", p
                        )
                        yards.append((head, layer, target, yard, int(row["crossing_id"])))
                lanes = [("", capacity)]
                if mode == "rail" and math.isfinite(container_lane):
                    lanes = [("general", capacity), ("container", container_lane)]
                for lane, lane_capacity in lanes:
                    out.add(
                        node_id(tail, layer),
                        node_id(head, layer),
                        element="crossing",
                        element_id=int(row["crossing_id"]),
                        name=str(row["name"]),
                        mode=mode,
                        layer=layer,
                        lane=lane,
                        country="",
                        from_country=c_from,
                        to_country=c_to,
                        length=_num(row.get("length_km"), 0.0),
                        free_flow_time=_num(row.get(f"dwell_hours_{way}"), 0.0),
                        fee_usd=_num(row.get("fee_usd_per_tonne"), 0.0),
                        soft_capacity=math.nan,
                        hard_capacity=lane_capacity if mode == "rail" else _road(row, p, mode),
                        gauge_mm=1520.0
                        if layer == "rail_1520"
                        else (1435.0 if layer == "rail_1435" else math.nan),
                    )
    return yards


def container_lane_trains_per_day(row: dict[str, Any]) -> float:
    """Container trains per day a crossing's container lane carries in each direction.

    ``container_trains_per_day`` (the trains the gauge-change yard exchanges) times
    ``container_lane_share`` (the part of that exchange left to the modelled container
    demand; 1 when empty). NaN when the crossing has no container lane.
    """
    share = _num(row.get("container_lane_share"), 1.0)
    if not 0.0 < share <= 1.0:
        raise InputError(
            f"crossing {row.get('crossing_id')}: container_lane_share {share} is not in (0, 1]"
        )
    return _num(row.get("container_trains_per_day")) * share


def _element_parameters(row: dict[str, Any], model: CorridorModel) -> Any:
    """Model parameters with an element's own train payload (t/train), if it has one."""
    payload = _num(row.get("train_payload_t"))
    if math.isfinite(payload):
        return replace(model.parameters, train_payload_t=payload)
    return model.parameters


def _road(row: dict[str, Any], p: Any, mode: str) -> float:
    """A crossing's capacity on a non-rail mode.

    Only a capacity in that mode's own unit (trucks/day for road, Mt or bcm for pipelines)
    applies; a rail train count does not.
    """
    unit = str(row.get("capacity_unit"))
    if unit == "trains_per_day" or (mode == "road" and unit not in ("trucks_per_day",)):
        return math.nan
    return _capacity_tonnes(_num(row.get("capacity")), unit, p)


def _gauge_breaks(
    out: _Links,
    layers: dict[int, set[str]],
    model: CorridorModel,
    yards: list[tuple[int, str, str, float, int]],
) -> None:
    """Transshipment links wherever both gauges meet at a place."""
    declared = {(place, src, dst): (cap, cid) for place, src, dst, cap, cid in yards}
    countries = model.place_country()
    for place, present in layers.items():
        if not {"rail_1520", "rail_1435"} <= present:
            continue
        for src, dst in (("rail_1520", "rail_1435"), ("rail_1435", "rail_1520")):
            cap, cid = declared.get((place, src, dst), (math.nan, -1))
            at_crossing = cid >= 0
            out.add(
                node_id(place, src),
                node_id(place, dst),
                element="transshipment",
                element_id=cid if at_crossing else place,
                name=f"gauge break at place {place}",
                mode="rail",
                layer=dst,
                country=countries.get(place, ""),
                length=0.0,
                free_flow_time=0.0 if at_crossing else model.parameters.gauge_break_hours,
                soft_capacity=math.nan,
                hard_capacity=cap,
                gauge_mm=math.nan,
            )


def _national_gauge(links: pd.DataFrame) -> dict[str, int]:
    """Most common rail gauge (mm) of each country's rail links (the smallest on a tie)."""
    rail = (links["mode"].astype(str) == "rail").to_numpy()
    gauges = pd.to_numeric(links["gauge_mm"], errors="coerce").to_numpy()[rail]
    countries = links["country"].to_numpy()[rail]
    counts: dict[str, Counter[float]] = defaultdict(Counter)
    for country, gauge in zip(countries.tolist(), gauges.tolist(), strict=True):
        if not pd.isna(country) and not math.isnan(gauge):
            counts[str(country)][gauge] += 1
    return {
        country: int(min(g for g, n in found.items() if n == max(found.values())))
        for country, found in sorted(counts.items())
    }


def _gauge_break_border_places(
    crossings: list[dict[str, Any]], links: pd.DataFrame
) -> set[int]:
    """Border places where the rail gauge changes.

    These are the ends of crossings with ``gauge_change`` and of any crossing (e.g. a
    road-only one) between countries of different national gauges.
    """
    national = _national_gauge(links)
    places: set[int] = set()
    for row in crossings:
        a, b = national.get(str(row["country_a"])), national.get(str(row["country_b"]))
        if _flag(row.get("gauge_change")) or (a is not None and b is not None and a != b):
            places |= {int(row["node_a"]), int(row["node_b"])}
    return places


def _transfers(
    out: _Links, layers: dict[int, set[str]], model: CorridorModel, border_breaks: set[int]
) -> None:
    countries = model.place_country()
    for place, present in layers.items():
        here = [layer for layer in TRANSFER_LAYERS if layer in present]
        for src in here:
            for dst in here:
                if src == dst or (src.startswith("rail") and dst.startswith("rail")):
                    continue
                out.add(
                    node_id(place, src),
                    node_id(place, dst),
                    element="transfer",
                    element_id=place,
                    # a rail↔road transfer at a gauge-break border is a transshipment: it
                    # costs at least the gauge change, so trucks cannot bypass the yard
                    border_gauge_break=place in border_breaks and src != "sea" and dst != "sea",
                    name=f"{src} to {dst}",
                    mode="transfer",
                    layer=dst,
                    country=countries.get(place, ""),
                    length=0.0,
                    free_flow_time=0.0,
                    soft_capacity=math.nan,
                    hard_capacity=math.nan,
                    gauge_mm=math.nan,
                )


def _transfer_layers(
    physical: dict[int, set[str]], everything: dict[int, set[str]]
) -> dict[int, set[str]]:
    return {
        place: {
            layer
            for layer in found
            if not layer.startswith("rail") or layer in physical.get(place, set())
        }
        for place, found in everything.items()
    }


def _access(out: _Links, zones: list[int], layers: dict[int, set[str]]) -> None:
    for place in zones:
        for layer in sorted(layers.get(place, set())):
            centroid = node_id(place, "centroid")
            for tail, head in (
                (centroid, node_id(place, layer)),
                (node_id(place, layer), centroid),
            ):
                out.add(
                    tail,
                    head,
                    element="access",
                    element_id=place,
                    name=f"access {layer}",
                    mode=MODE_OF_LAYER[layer],
                    layer=layer,
                    country="",
                    length=0.0,
                    free_flow_time=0.0,
                    soft_capacity=math.nan,
                    hard_capacity=math.nan,
                    gauge_mm=math.nan,
                )


def _demand_rows(model: CorridorModel, commodities: dict[str, Commodity]) -> pd.DataFrame:
    countries = model.place_country()
    rows = []
    for i, row in enumerate(records(model.demand), start=2):
        name = str(row["commodity"])
        if name not in commodities:
            raise InputError(f"demand.csv line {i}: commodity {name!r} is not in commodity.csv")
        o, d = int(row["origin_zone"]), int(row["destination_zone"])
        for zone, field in ((o, "origin_zone"), (d, "destination_zone")):
            if zone not in countries:
                raise InputError(f"demand.csv line {i}: {field} {zone} is not a node")
        volume = _num(row["volume"])
        if not volume >= 0:
            raise InputError(f"demand.csv line {i}: volume {row['volume']!r} must be >= 0")
        commodity = commodities[name]
        rows.append(
            {
                "origin": o,
                "destination": d,
                "commodity": name,
                "demand_class": class_name(name, countries[o], countries[d]),
                "volume": volume / commodity.units_per_assignment_unit,
            }
        )
    return _sum_by_key(pd.DataFrame(rows), ["origin", "destination", "demand_class", "commodity"])


def _sum_by_key(table: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """``volume`` summed per ``key``, sorted by key (as ``groupby(key).sum()``).

    Demand rows rarely repeat a key; then the sum is a sort, done without the groupby.
    """
    keys = list(zip(*(table[k].tolist() for k in key), strict=True))
    if len(set(keys)) < len(keys):
        return table.groupby(key, as_index=False)["volume"].sum()
    order = sorted(range(len(keys)), key=keys.__getitem__)
    return table.take(order).reset_index(drop=True)[[*key, "volume"]]


def _unserved(out: _Links, demand: pd.DataFrame) -> None:
    for row in records(demand):
        out.add(
            node_id(row["origin"], "centroid"),
            node_id(row["destination"], "centroid"),
            element="unserved",
            element_id=-1,
            name="unserved demand",
            mode="unserved",
            layer="centroid",
            country="",
            length=0.0,
            free_flow_time=0.0,
            soft_capacity=math.nan,
            hard_capacity=math.nan,
            gauge_mm=math.nan,
            unserved_class=row["demand_class"],
        )


def _classes(
    demand: pd.DataFrame, commodities: dict[str, Commodity], model: CorridorModel
) -> pd.DataFrame:
    rows = []
    for name, commodity in demand.groupby("demand_class")["commodity"].first().items():
        c = commodities[str(commodity)]
        parts = str(name).split("|", 1)[1].split(">")
        rows.append(
            {
                "demand_class": name,
                "commodity": c.name,
                "origin_country": parts[0],
                "destination_country": parts[1],
                "unit": c.unit,
                "assignment_unit": c.assignment_unit,
                "units_per_assignment_unit": c.units_per_assignment_unit,
                "vot_usd_per_unit_hour": c.vot_per_assignment_unit_hour(model.parameters),
                "dispersion_per_hour": c.dispersion_per_hour,
                "money_column": f"money_{name}",
            }
        )
    return pd.DataFrame(rows)


def _allowed_uses(
    rows: list[dict[str, Any]], classes: pd.DataFrame, commodities: dict[str, Commodity]
) -> list[str]:
    """Each link's allowed demand classes (``;``-joined, ``-`` for none).

    A link's classes depend only on its mode (``transfer`` for transfer links) and its crossing
    lane, so each (mode, lane) pair is worked out once; an unserved link serves its own class.
    """
    pairs = list(zip(classes["demand_class"], classes["commodity"], strict=True))
    by_key: dict[tuple[str, str], str] = {}
    uses = []
    for link in rows:
        if link["element"] == "unserved":
            uses.append(str(link["unserved_class"]))
            continue
        mode = "transfer" if link["element"] == "transfer" else str(link["mode"])
        key = (mode, str(link.get("lane", "") or ""))
        if key not in by_key:
            by_key[key] = _classes_for(key, pairs, commodities)
        uses.append(by_key[key])
    return uses


def _classes_for(
    key: tuple[str, str], pairs: list[tuple[str, str]], commodities: dict[str, Commodity]
) -> str:
    mode, lane = key
    ok = [
        demand_class
        for demand_class, commodity in pairs
        if mode in commodities[commodity].allowed_modes
        and (lane != "container" or commodity == "container")
        and (lane != "general" or commodity != "container")
    ]
    return ";".join(ok) if ok else "-"


def _link_table(
    out: _Links,
    classes: pd.DataFrame,
    commodities: dict[str, Commodity],
    tariffs: TariffBook,
    model: CorridorModel,
) -> pd.DataFrame:
    p = model.parameters
    rows = pd.DataFrame(out.rows)
    n = len(rows)
    soft = rows["soft_capacity"].to_numpy(float)
    money = money_columns(
        out.rows,
        list(zip(classes["money_column"], classes["commodity"], strict=True)),
        commodities,
        tariffs,
        model.parameters,
    )
    # one frame from whole columns: inserting them one by one costs ~0.1 ms each
    return pd.DataFrame(
        {
            "link_id": np.arange(1, n + 1),
            **{name: values.array for name, values in rows.items()},
            "capacity": np.where(np.isfinite(soft), soft, 1.0),
            "alpha": np.where(np.isfinite(soft), p.bpr_alpha, 0.0),
            "beta": np.full(n, p.bpr_beta),
            "toll": np.zeros(n),
            "allowed_uses": pd.array(_allowed_uses(out.rows, classes, commodities), dtype="str"),
            **money,
        }
    )


def _node_table(links: pd.DataFrame, model: CorridorModel, zones: list[int]) -> pd.DataFrame:
    ids = sorted(set(links["from_node_id"].tolist()) | set(links["to_node_id"].tolist()))
    places = [node // 10 for node in ids]
    layers = [LAYER_NAMES[node % 10] for node in ids]
    info = _place_info(model, places)
    zone_set = set(zones)
    table = pd.DataFrame(
        {
            "node_id": ids,
            "name": [f"{name} [{layer}]" for name, layer in zip(info["name"], layers, strict=True)],
            "x_coord": [_num(x) for x in info["x_coord"]],
            "y_coord": [_num(y) for y in info["y_coord"]],
            "zone_id": [
                place if node % 10 == 0 and place in zone_set else None
                for node, place in zip(ids, places, strict=True)
            ],
            "through_traffic": [node % 10 != 0 for node in ids],
            "country": info["country"],
            "place_id": places,
            "layer": layers,
        }
    )
    table["zone_id"] = table["zone_id"].astype("Int64")
    return table


def _place_info(model: CorridorModel, places: list[int]) -> dict[str, list[Any]]:
    """``name``, ``x_coord``, ``y_coord`` and ``country`` of each place, as Python values."""
    nodes = model.nodes
    position = pd.Index(nodes["node_id"].astype(int)).get_indexer(places)
    if (position < 0).any():
        raise KeyError(places[int(np.flatnonzero(position < 0)[0])])
    return {
        column: [values[i] for i in position]
        for column in ("name", "x_coord", "y_coord", "country")
        for values in [nodes[column].tolist()]
    }


def build_assignment(model: CorridorModel) -> CorridorBuild:
    """Build the assignment network, demand and class table of a corridor model.

    Parameters
    ----------
    model
        Source tables, the elements switched on and the parameters.

    Returns
    -------
    CorridorBuild

    Raises
    ------
    steppe.errors.InputError
        Unknown commodity or zone in the demand, missing speed or length, unknown units.
    """
    commodities = read_commodities(model.commodities)
    tariffs = TariffBook(model.tariffs, commodities)
    out = _Links()
    _physical_links(_active(model.links, "link", model, "link_id"), out, model)
    layers = _place_layers(out)
    physical_layers = {place: set(found) for place, found in layers.items()}
    crossings = _active(model.crossings, "crossing", model, "crossing_id")
    yards = _crossing_links(crossings, out, model, layers)
    layers = _place_layers(out)
    _gauge_breaks(out, layers, model, yards)
    # a foreign gauge that only reaches a place by a crossing ends in its transshipment yard:
    # no transfer to road or sea may bypass the yard's capacity
    _transfers(
        out,
        _transfer_layers(physical_layers, layers),
        model,
        _gauge_break_border_places(crossings, model.links),
    )
    demand = _demand_rows(model, commodities)
    zones = sorted(set(demand["origin"]) | set(demand["destination"]))
    _access(out, zones, layers)
    _unserved(out, demand)
    classes = _classes(demand, commodities, model)
    links = _link_table(out, classes, commodities, tariffs, model)
    nodes = _node_table(links, model, zones)
    network = Network.from_frames(
        nodes,
        links,
        name=model.name,
        metadata={
            "time_unit": "h",
            "length_unit": "km",
            "flow_unit": "t/year (bcm/year for gas)",
            "year": model.parameters.year,
        },
    )
    volumes = demand[["origin", "destination", "demand_class", "volume"]]
    return CorridorBuild(
        network=network,
        demand=Demand.from_frame(volumes, network=network),
        classes=classes,
        commodities=commodities,
        model=model,
    )
