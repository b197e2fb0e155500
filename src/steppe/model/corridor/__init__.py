"""Multimodal corridor models: places, links, border crossings, commodities and tariffs.

A :class:`CorridorModel` holds the source tables (as in ``steppe/data/eurasia``);
:func:`build_assignment` turns it into an assignment network with one node per (place,
layer) — rail 1520 mm, rail 1435 mm, road, gas pipeline, oil pipeline, sea — border
crossings as links with dwell time, fee and capacity, automatic transshipment links at gauge
breaks, intermodal transfers, zone centroids and "unserved" links, plus one demand class per
(commodity, origin country, destination country).
"""

from steppe.model.corridor.build import CorridorBuild, build_assignment
from steppe.model.corridor.tables import (
    LAYERS,
    MODES,
    CorridorModel,
    CorridorParameters,
    class_name,
    parse_class_name,
)

__all__ = [
    "LAYERS",
    "MODES",
    "CorridorBuild",
    "CorridorModel",
    "CorridorParameters",
    "build_assignment",
    "class_name",
    "parse_class_name",
]
