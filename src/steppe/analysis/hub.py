"""Hub rank: which places handle the most freight, and how much of it passes through."""

from __future__ import annotations

import numpy as np
import pandas as pd

from steppe.analysis._flows import PHYSICAL, class_link_flows, place_id, place_names, tonnes
from steppe.assign import AssignmentResult
from steppe.model.corridor import CorridorBuild


def hub_rank(
    result: AssignmentResult, build: CorridorBuild, *, top: int | None = None
) -> pd.DataFrame:
    """Places ranked by freight throughput.

    For place v (all its layers together), with f the tonne flow of a class on a link:

    - inflow(v) = Σ f over links and crossings ending at v (moves between places);
    - originating(v) = Σ f on access links leaving v's centroid; terminating(v) likewise
      entering it;
    - throughput(v) = inflow(v) + originating(v) (each tonne handled at v counted once);
    - transit(v) = inflow(v) − terminating(v) (tonnes passing through v);
    - flow-weighted betweenness(v) = transit(v) / Σ served tonnes: the share of all the
      network's freight that passes through v (the equilibrium-flow analogue of betweenness
      weighted by demand).

    Gas (bcm) is reported separately in ``throughput_bcm``.

    Parameters
    ----------
    top
        Keep only the first ``top`` places.

    Returns
    -------
    pandas.DataFrame
        ``rank`` (1 = largest throughput), ``place_id``, ``name``, ``country``,
        ``throughput_t``, ``transit_t``, ``originating_t``, ``terminating_t``,
        ``betweenness``, ``throughput_bcm`` (per year). Places with no flow are left out.
    """
    flows = class_link_flows(result, build)
    flows["t"] = tonnes(flows)
    flows["bcm"] = flows["flow"].where(flows["unit"] == "bcm", 0.0)
    flows["head"] = flows["to_node_id"] // 10
    flows["tail"] = flows["from_node_id"] // 10
    moving = flows[flows["element"].isin(PHYSICAL)]
    access = flows[flows["element"] == "access"]
    leaving = access[access["from_node_id"] % 10 == 0]
    arriving = access[access["to_node_id"] % 10 == 0]
    inflow = moving.groupby("head")[["t", "bcm"]].sum()
    start = leaving.groupby("tail")[["t", "bcm"]].sum()
    end = arriving.groupby("head")[["t", "bcm"]].sum()
    places = inflow.index.union(start.index).union(end.index)
    inflow, start, end = (x.reindex(places, fill_value=0.0) for x in (inflow, start, end))
    served = float(start["t"].sum())
    table = pd.DataFrame(
        {
            "place_id": places.astype(int),
            "throughput_t": (inflow["t"] + start["t"]).to_numpy(),
            "transit_t": (inflow["t"] - end["t"]).clip(lower=0.0).to_numpy(),
            "originating_t": start["t"].to_numpy(),
            "terminating_t": end["t"].to_numpy(),
            "throughput_bcm": (inflow["bcm"] + start["bcm"]).to_numpy(),
        }
    )
    table["betweenness"] = table["transit_t"] / served if served > 0 else np.nan
    table = table[(table["throughput_t"] > 0) | (table["throughput_bcm"] > 0)]
    table = table.sort_values(["throughput_t", "throughput_bcm"], ascending=False)
    names = place_names(build)
    countries = build.model.place_country()
    table.insert(1, "name", table["place_id"].map(names))
    table.insert(2, "country", table["place_id"].map(countries))
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    columns = [
        "rank",
        "place_id",
        "name",
        "country",
        "throughput_t",
        "transit_t",
        "originating_t",
        "terminating_t",
        "betweenness",
        "throughput_bcm",
    ]
    table = table[columns].reset_index(drop=True)
    return table.head(top) if top is not None else table


def place_rank(table: pd.DataFrame, build: CorridorBuild, place: int | str) -> int | None:
    """Rank of one place in a :func:`hub_rank` table (``None`` when it handles no freight)."""
    pid = place_id(build, place)
    hit = table.loc[table["place_id"] == pid, "rank"]
    return int(hit.iloc[0]) if len(hit) else None
