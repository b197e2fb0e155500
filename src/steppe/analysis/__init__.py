"""Metrics with one signature: ``metric(result, network_or_build, **options) -> DataFrame``."""

from steppe.analysis.corridor import (
    china_europe_route_shares,
    crossing_table,
    link_class_flows,
    transit_by_country,
    unserved_table,
)

__all__ = [
    "china_europe_route_shares",
    "crossing_table",
    "link_class_flows",
    "transit_by_country",
    "unserved_table",
]
