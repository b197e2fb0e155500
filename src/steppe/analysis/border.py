"""Border-crossing table in the style of CAREC's Corridor Performance Measurement (CPMM).

Per crossing, direction and mode: time and cost to cross (including the gauge-change yard
behind the border where there is one), volume, utilisation of capacity, and — when a
capacity binds — its shadow price: the queueing delay the equilibrium puts on it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from steppe.analysis._flows import link_times
from steppe.assign import AssignmentResult
from steppe.model.corridor import CorridorBuild

BINDING_UTILISATION = 1.0 - 1e-6
"""Utilisation above which a capacity counts as binding (with any positive queue delay)."""


def _class_matrices(
    result: AssignmentResult, build: CorridorBuild, link_ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Money, flow, allowed mask (links × classes) and class VOT for the given links."""
    links = build.network.links.set_index("link_id").loc[link_ids]
    classes = build.classes
    names = classes["demand_class"].tolist()
    money = links[classes["money_column"].tolist()].to_numpy(float)
    res = result.links.set_index("link_id").loc[link_ids]
    if len(names) == 1:
        flow = res[["flow"]].to_numpy(float)
    else:
        flow = res[[f"flow_{c}" for c in names]].to_numpy(float)
    uses = links["allowed_uses"].astype(str).str.split(";")
    allowed = np.array([[c in u for c in names] for u in uses], dtype=bool).reshape(flow.shape)
    tonne = (classes["assignment_unit"] == "t").to_numpy()
    allowed_t = allowed & tonne[None, :]
    allowed = np.where(allowed_t.any(axis=1)[:, None], allowed_t, allowed)
    return money, flow, allowed, classes["vot_usd_per_unit_hour"].to_numpy(float)


def _weighted(values: np.ndarray, flow: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Flow-weighted mean per row; the plain mean over allowed classes where no flow."""
    total = flow.sum(axis=1)
    weighted = (values * flow).sum(axis=1) / np.where(total > 0, total, 1.0)
    count = allowed.sum(axis=1)
    plain = np.where(allowed, values, 0.0).sum(axis=1) / np.where(count > 0, count, 1.0)
    mean: np.ndarray = np.where(total > 0, weighted, plain)
    return mean


def _yards(build: CorridorBuild, crossings: pd.DataFrame) -> pd.DataFrame:
    """The gauge-change yard link behind each crossing link (if any)."""
    links = build.network.links
    yards = links.loc[
        links["element"] == "transshipment",
        ["link_id", "from_node_id", "element_id", "hard_capacity"],
    ].rename(
        columns={
            "link_id": "yard_link_id",
            "from_node_id": "to_node_id",
            "hard_capacity": "yard_capacity",
        }
    )
    merged = crossings.merge(yards, on=["to_node_id", "element_id"], how="left")
    return merged.drop_duplicates("link_id")


def _per_link(result: AssignmentResult, build: CorridorBuild, ids: np.ndarray) -> pd.DataFrame:
    """Time, queue, money per t, VOT-weighted shadow price factor, tonnes and bcm per link."""
    times = link_times(result).set_index("link_id").loc[ids]
    money, flow, allowed, vot = _class_matrices(result, build, ids)
    classes = build.classes
    tonne = (classes["assignment_unit"] == "t").to_numpy()
    gas = (classes["unit"] == "bcm").to_numpy()
    return pd.DataFrame(
        {
            "link_id": ids,
            "hours": times["time_h"].to_numpy() + times["queue_delay_h"].to_numpy(),
            "queue_delay_h": times["queue_delay_h"].to_numpy(),
            "usd": _weighted(money, flow, allowed),
            "vot": _weighted(np.broadcast_to(vot, flow.shape), flow, allowed),
            "tonnes": flow[:, tonne].sum(axis=1),
            "bcm": flow[:, gas].sum(axis=1),
            "flow": flow.sum(axis=1),
        }
    )


def border_table(result: AssignmentResult, build: CorridorBuild) -> pd.DataFrame:
    """CPMM-style border-crossing performance per crossing, direction and mode.

    Time and cost include the gauge-change yard behind the border (the transshipment link
    at the arrival place), where the crossing has one. Money and value of time are averaged
    over the classes using the crossing, weighted by flow (unweighted over the classes
    allowed when nothing crosses).

    Returns
    -------
    pandas.DataFrame
        ``crossing_id``, ``name``, ``from_country``, ``to_country``, ``direction``
        (``"MN>CN"``), ``mode``, ``tonnes`` (t/year), ``bcm`` (gas, bcm/year), ``time_h``
        (dwell + yard time + queueing delays), ``queue_delay_h``, ``cost_usd_per_t`` (fee +
        gauge change, USD per assignment unit), ``capacity`` (crossing, assignment
        units/year; NaN = uncapacitated), ``yard_capacity``, ``utilisation`` (largest
        flow / capacity of crossing and yard), ``binding``, ``shadow_price_h`` (queueing
        delay, h), ``shadow_price_usd_per_t`` (the delay × flow-weighted value of time).
    """
    links = build.network.links
    crossings = links.loc[
        links["element"] == "crossing",
        ["link_id", "to_node_id", "element_id", "name", "from_country", "to_country", "mode"],
    ].assign(capacity=links.loc[links["element"] == "crossing", "hard_capacity"])
    table = _yards(build, crossings)
    own = _per_link(result, build, table["link_id"].to_numpy())
    has_yard = table["yard_link_id"].notna().to_numpy()
    yard_ids = table["yard_link_id"].fillna(table["link_id"]).astype(int).to_numpy()
    yard = _per_link(result, build, yard_ids)
    yard.loc[~has_yard, ["hours", "queue_delay_h", "usd", "flow"]] = 0.0
    queue = own["queue_delay_h"].to_numpy() + yard["queue_delay_h"].to_numpy()
    util = np.fmax(
        own["flow"].to_numpy() / table["capacity"].to_numpy(float),
        yard["flow"].to_numpy() / table["yard_capacity"].to_numpy(float),
    )
    out = pd.DataFrame(
        {
            "crossing_id": table["element_id"].astype(int).to_numpy(),
            "name": table["name"].to_numpy(),
            "from_country": table["from_country"].to_numpy(),
            "to_country": table["to_country"].to_numpy(),
            "direction": (table["from_country"] + ">" + table["to_country"]).to_numpy(),
            "mode": table["mode"].to_numpy(),
            "tonnes": own["tonnes"].to_numpy(),
            "bcm": own["bcm"].to_numpy(),
            "time_h": own["hours"].to_numpy() + yard["hours"].to_numpy(),
            "queue_delay_h": queue,
            "cost_usd_per_t": own["usd"].to_numpy() + yard["usd"].to_numpy(),
            "capacity": table["capacity"].to_numpy(float),
            "yard_capacity": table["yard_capacity"].to_numpy(float),
            "utilisation": util,
        }
    )
    out["binding"] = (queue > 1e-9) | (out["utilisation"] >= BINDING_UTILISATION)
    out["shadow_price_h"] = queue
    out["shadow_price_usd_per_t"] = queue * own["vot"].to_numpy()
    out["_flow"] = own["flow"].to_numpy()
    return _merge_parts(out)


def _merge_parts(table: pd.DataFrame) -> pd.DataFrame:
    """One row per crossing, direction and mode.

    A crossing may have several links (e.g. one per commodity group with its own capacity):
    volumes and capacities add up (a part without capacity leaves the total uncapacitated),
    times and costs are flow-weighted; utilisation and shadow prices are the largest part's.
    """
    keys = ["crossing_id", "name", "from_country", "to_country", "direction", "mode"]
    weight = table["_flow"].where(table["_flow"] > 0, 1e-12)
    table = table.assign(_w=weight)
    rows = []
    for key, part in table.groupby(keys, sort=False):
        w = part["_w"] / part["_w"].sum()
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "tonnes": part["tonnes"].sum(),
                "bcm": part["bcm"].sum(),
                "time_h": float((part["time_h"] * w).sum()),
                "queue_delay_h": float((part["queue_delay_h"] * w).sum()),
                "cost_usd_per_t": float((part["cost_usd_per_t"] * w).sum()),
                "capacity": part["capacity"].sum(min_count=len(part)),
                "yard_capacity": part["yard_capacity"].max(),
                "utilisation": part["utilisation"].max(),
                "binding": bool(part["binding"].any()),
                "shadow_price_h": part["shadow_price_h"].max(),
                "shadow_price_usd_per_t": part["shadow_price_usd_per_t"].max(),
            }
        )
    out = pd.DataFrame(rows)
    return out.sort_values(["crossing_id", "direction", "mode"], ignore_index=True)
