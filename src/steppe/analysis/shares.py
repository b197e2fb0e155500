"""Route and corridor shares: how a flow splits over the border crossings it can use."""

from __future__ import annotations

import pandas as pd

from steppe.analysis._flows import class_link_flows
from steppe.assign import AssignmentResult
from steppe.model.corridor import CorridorBuild


def corridor_shares(
    result: AssignmentResult,
    build: CorridorBuild,
    *,
    commodity: str | None = None,
    origin_country: str | None = None,
    destination_country: str | None = None,
    by: str = "crossing",
) -> pd.DataFrame:
    """Shares of the selected classes' flow by crossing (or by crossing country pair).

    For the classes selected (all when no filter), share(g) = Σ flow crossing in group g /
    Σ flow crossing any border, per (origin country, destination country) pair of the
    classes; a route with several crossings counts in each (shares of crossings used).

    Parameters
    ----------
    commodity, origin_country, destination_country
        Class filters.
    by
        ``"crossing"`` (crossing name and direction) or ``"border"`` (country pair).

    Returns
    -------
    pandas.DataFrame
        ``origin_country``, ``destination_country``, ``group``, ``flow`` (assignment
        units/year), ``share`` (sums to 1 per country pair).
    """
    flows = class_link_flows(result, build)
    keep = flows["element"] == "crossing"
    for column, value in (
        ("commodity", commodity),
        ("origin_country", origin_country),
        ("destination_country", destination_country),
    ):
        if value is not None:
            keep &= flows[column] == value
    chosen = flows[keep].copy()
    border = chosen["from_country"].astype(str) + ">" + chosen["to_country"].astype(str)
    if by == "crossing":
        chosen["group"] = chosen["name"].astype(str) + " (" + border + ")"
    elif by == "border":
        chosen["group"] = border
    else:
        raise ValueError(f"by must be 'crossing' or 'border', not {by!r}")
    keys = ["origin_country", "destination_country"]
    table = chosen.groupby([*keys, "group"], as_index=False)["flow"].sum()
    table["share"] = table["flow"] / table.groupby(keys)["flow"].transform("sum")
    return table.sort_values([*keys, "share"], ascending=[True, True, False], ignore_index=True)
