# ruff: noqa: E501
"""A tiny corridor model (two countries, two routes) for fast scenario, store and sweep tests."""

from __future__ import annotations

from pathlib import Path

NODES = """node_id,name,country,x_coord,y_coord,zone_id
1,Alpha,MN,100.0,45.0,1
2,Border A,MN,101.0,44.0,
3,Border B,MN,101.0,46.0,
4,Gate A,CN,101.1,44.0,
5,Gate B,CN,101.1,46.0,
6,Omega,CN,102.0,45.0,6
"""
LINKS = """link_id,from_node_id,to_node_id,name,mode,country,length_km,gauge_mm,commercial_speed_kmh,capacity,capacity_unit,status,opening_year,directed
1,1,2,Alpha–Border A,rail,MN,100,1520,20,,,operating,,false
2,1,3,Alpha–Border B,rail,MN,150,1520,20,,,operating,,false
3,4,6,Gate A–Omega,rail,CN,100,1520,20,,,operating,,false
4,5,6,Gate B–Omega,rail,CN,100,1520,20,,,operating,,false
5,1,6,Planned direct line,rail,MN,50,1520,20,,,planned,,false
"""
CROSSINGS = """crossing_id,name,node_a,node_b,country_a,country_b,modes,length_km,dwell_hours_ab,dwell_hours_ba,fee_usd_per_tonne,capacity,capacity_unit,gauge_change,status,opening_year,directed
1,Crossing A,2,4,MN,CN,rail,1,10,10,2,20,mt_per_year,false,operating,,false
2,Crossing B,3,5,MN,CN,rail,1,12,12,,,,false,operating,,false
"""
COMMODITIES = """commodity,unit,tonnes_per_unit,value_of_time_usd_per_unit_hour,allowed_modes
coal,tonne,1,0.02,rail;road;transfer
"""
TARIFFS = """tariff_id,mode,country,commodity,cost_type,value,unit
1,rail,*,*,per_km,0.04,USD/t-km
"""
DEMAND = """demand_id,origin_zone,destination_zone,commodity,volume,unit,year
1,1,6,coal,30000000,t/year,2023
"""


def write_tiny(folder: Path) -> Path:
    """Write the tiny model's CSV tables into ``folder`` and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {"node": NODES, "link": LINKS, "crossing": CROSSINGS,
                       "commodity": COMMODITIES, "tariff": TARIFFS, "demand": DEMAND}.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def tiny_scenario(folder: Path, *, name: str = "tiny", edits: str = "",
                  parameters: str = "") -> Path:
    """Write a scenario file on the tiny model next to it and return its path."""
    base = write_tiny(folder / "model")
    path = folder / f"{name}.toml"
    path.write_text(
        f'[scenario]\nname = "{name}"\nbase = "{base.name}"\ngap = 1e-6\n'
        f'route_choice = "deterministic"\n'
        + (f"\n[parameters]\n{parameters}\n" if parameters else "")
        + edits,
        encoding="utf-8",
    )
    return path
