"""Metrics with one signature: ``metric(result, network_or_build, **options) -> DataFrame``."""

from steppe.analysis.corridor import (
    china_europe_route_shares,
    class_flow_info,
    crossing_table,
    link_class_flows,
    transit_by_country,
    unserved_table,
)
from steppe.analysis.routes import route_cost

__all__ = [
    "china_europe_route_shares",
    "class_flow_info",
    "crossing_table",
    "link_class_flows",
    "route_cost",
    "transit_by_country",
    "unserved_table",
]

from steppe.analysis.border import border_table
from steppe.analysis.dependency import (
    closure_exposure,
    dependency_index,
    generalized_cost,
    herfindahl,
    trade_shares,
)
from steppe.analysis.hub import hub_rank, place_rank
from steppe.analysis.revenue import transit_revenue, transit_revenue_by_country
from steppe.analysis.shares import corridor_shares
from steppe.analysis.tcd import time_cost_distance

__all__ += [
    "border_table",
    "closure_exposure",
    "corridor_shares",
    "dependency_index",
    "generalized_cost",
    "herfindahl",
    "hub_rank",
    "place_rank",
    "time_cost_distance",
    "trade_shares",
    "transit_revenue",
    "transit_revenue_by_country",
]
