"""A hand-built Russia–Mongolia–China network whose metrics are known exactly.

Places (all rail 1520, so no gauge breaks):

    1 RU city ── 2 RU border ─X1─ 3 MN north ── 4 Ulaanbaatar ── 5 MN south ─X2─ 6 CN border
    6 ── 7 CN city ── 8 CN port ~~sea~~ 9 KR port
    1 ══road══ 10 RU east ─X3 (road)─ 11 CN north ══road══ 7
    gas: 1 ── 2 ─X4─ 3 ── 5 ─X5─ 6 ── 7 (one-way pipeline through Mongolia)

Every class has one route (the road-only X3 is the only way for general cargo RU→CN to
avoid Mongolia, and coal is rail-only), so shares, transit and closures are exact.
"""

from __future__ import annotations

import pandas as pd

from steppe.assign import AssignmentConfig, assign
from steppe.model.corridor import CorridorModel, CorridorParameters, build_assignment
from steppe.scenario.runner import CorridorRun, class_costs

RAIL_KM = {(1, 2): 100, (3, 4): 100, (4, 5): 200, (6, 7): 100, (7, 8): 50}
PIPE_KM = {(1, 2): 100, (3, 5): 300, (6, 7): 100}
DEMAND = [  # origin, destination, commodity, volume
    (4, 7, "general_cargo", 600.0),
    (1, 4, "general_cargo", 300.0),
    (4, 9, "general_cargo", 100.0),
    (1, 7, "general_cargo", 1000.0),
    (1, 7, "coal", 200.0),
    (1, 7, "natural_gas", 1.0),
]
RAIL_USD_PER_TKM = 0.05
X1_FEE_USD_PER_T = 2.0
MN_GAS_TRANSIT_USD_PER_BCM = 20e6


def _nodes() -> pd.DataFrame:
    countries = {1: "RU", 2: "RU", 3: "MN", 4: "MN", 5: "MN", 6: "CN", 7: "CN", 8: "CN"}
    countries |= {9: "KR", 10: "RU", 11: "CN"}
    names = {4: "Ulaanbaatar", 8: "CN port", 9: "KR port"}
    return pd.DataFrame(
        {
            "node_id": [str(n) for n in countries],
            "name": [names.get(n, f"P{n}") for n in countries],
            "country": list(countries.values()),
            "x_coord": [str(100 + n) for n in countries],
            "y_coord": ["45"] * len(countries),
        }
    )


def _links() -> pd.DataFrame:
    country = {1: "RU", 3: "MN", 4: "MN", 6: "CN", 7: "CN", 10: "RU", 11: "CN"}
    rows = []
    for (a, b), km in RAIL_KM.items():
        rows.append((a, b, "rail", country[a], km, "1520", "false"))
    for (a, b), km in PIPE_KM.items():
        rows.append((a, b, "gas_pipeline", country[a], km, "", "true"))
    rows += [(1, 10, "road", "RU", 50, "", "false"), (11, 7, "road", "CN", 50, "", "false")]
    rows.append((8, 9, "sea", "XX", 1000, "", "false"))
    return pd.DataFrame(
        {
            "link_id": [str(i) for i in range(1, len(rows) + 1)],
            "from_node_id": [str(r[0]) for r in rows],
            "to_node_id": [str(r[1]) for r in rows],
            "mode": [r[2] for r in rows],
            "country": [r[3] for r in rows],
            "length_km": [str(r[4]) for r in rows],
            "gauge_mm": [r[5] for r in rows],
            "directed": [r[6] for r in rows],
            "commercial_speed_kmh": ["20"] * len(rows),
            "status": ["operating"] * len(rows),
        }
    )


def _crossings() -> pd.DataFrame:
    rows = [  # id, name, a, b, ca, cb, modes, fee, directed
        (1, "X1 RU–MN", 2, 3, "RU", "MN", "rail", X1_FEE_USD_PER_T, "false"),
        (2, "X2 MN–CN", 5, 6, "MN", "CN", "rail", 0.0, "false"),
        (3, "X3 RU–CN road", 10, 11, "RU", "CN", "road", 0.0, "false"),
        (4, "X4 RU–MN gas", 2, 3, "RU", "MN", "gas_pipeline", 0.0, "true"),
        (5, "X5 MN–CN gas", 5, 6, "MN", "CN", "gas_pipeline", 0.0, "true"),
    ]
    return pd.DataFrame(
        {
            "crossing_id": [str(r[0]) for r in rows],
            "name": [r[1] for r in rows],
            "node_a": [str(r[2]) for r in rows],
            "node_b": [str(r[3]) for r in rows],
            "country_a": [r[4] for r in rows],
            "country_b": [r[5] for r in rows],
            "modes": [r[6] for r in rows],
            "length_km": ["1"] * len(rows),
            "dwell_hours_ab": ["10"] * len(rows),
            "dwell_hours_ba": ["20"] * len(rows),
            "fee_usd_per_tonne": [str(r[7]) for r in rows],
            "gauge_change": ["false"] * len(rows),
            "status": ["operating"] * len(rows),
            "directed": [r[8] for r in rows],
        }
    )


COMMODITIES = pd.DataFrame(
    {
        "commodity": ["general_cargo", "coal", "natural_gas"],
        "unit": ["tonne", "tonne", "bcm"],
        "tonnes_per_unit": ["1", "1", None],
        "value_of_time_usd_per_unit_hour": ["0.1", "0.02", None],
        "allowed_modes": ["rail;road;sea;transfer", "rail;sea;transfer", "gas_pipeline"],
    }
)
TARIFFS = pd.DataFrame(
    {
        "mode": ["rail", "road", "gas_pipeline"],
        "country": ["*", "*", "MN"],
        "commodity": ["*", "*", "natural_gas"],
        "cost_type": ["per_km", "per_km", "per_transit"],
        "value": [str(RAIL_USD_PER_TKM), "0.2", str(MN_GAS_TRANSIT_USD_PER_BCM)],
        "unit": ["USD/t-km", "USD/t-km", "USD/bcm"],
    }
)


def three_country_model() -> CorridorModel:
    """The model described in the module docstring."""
    demand = pd.DataFrame(
        {
            "origin_zone": [str(d[0]) for d in DEMAND],
            "destination_zone": [str(d[1]) for d in DEMAND],
            "commodity": [d[2] for d in DEMAND],
            "volume": [str(d[3]) for d in DEMAND],
        }
    )
    return CorridorModel(
        nodes=_nodes(),
        links=_links(),
        crossings=_crossings(),
        commodities=COMMODITIES,
        tariffs=TARIFFS,
        demand=demand,
        name="three-country",
        parameters=CorridorParameters(train_payload_t=100.0),
    )


def solve(model: CorridorModel) -> CorridorRun:
    """Solve to a tight gap (every class has one route, so any algorithm is exact)."""
    build = build_assignment(model)
    config = AssignmentConfig(algorithm="fw", target_gap=1e-9, class_costs=class_costs(build))
    return CorridorRun(build=build, result=assign(build.network, build.demand, config))
