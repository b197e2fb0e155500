"""Edit operations on borders, tariffs, demand and parameters, and transit fees."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Any

import numpy as np
import pandas as pd

from steppe.model.corridor import MODES, CorridorParameters
from steppe.scenario.edits import (
    CAPACITY_UNITS,
    COUNTRY,
    PHYSICAL_MODES,
    BuildEdit,
    _check_keys,
    _check_value,
    _number,
    _select,
    _Work,
    cell,
)


def _crossings(w: _Work, f: Mapping[str, Any]) -> pd.Series | None:
    """Crossings chosen by ``ids``, ``country`` (all of its borders) or ``between``."""
    table = w.table("crossing")
    if "country" in f or "between" in f:
        # plain arrays: comparing text columns as Series costs ~0.1 ms a comparison
        side_a = table["country_a"].to_numpy(dtype=object)
        side_b = table["country_b"].to_numpy(dtype=object)
        keep = np.ones(len(table), dtype=bool)
        if "country" in f:
            c = f["country"]
            if not COUNTRY.match(str(c)):
                w.fail("country", c, "a two-letter ISO country code")
                return None
            keep &= (side_a == c) | (side_b == c)
        if "between" in f:
            pair = f["between"]
            if not (isinstance(pair, list) and len(pair) == 2):
                w.fail("between", pair, 'two country codes, e.g. ["MN", "CN"]')
                return None
            a, b = pair
            keep &= ((side_a == a) & (side_b == b)) | ((side_a == b) & (side_b == a))
        mask = pd.Series(keep, index=table.index)
        if "ids" in f:
            picked = _select(w, "crossing", {"ids": f["ids"]})
            if picked is None:
                return None
            mask &= picked
        if not mask.any():
            w.fail("country" if "country" in f else "between", f.get("country", f.get("between")),
                   "countries with at least one crossing")
            return None
        return mask
    return _select(w, "crossing", {k: f[k] for k in ("ids", "where") if k in f})


SELECT_CROSSINGS = ("ids", "where", "country", "between")


def _set_border(w: _Work, f: Mapping[str, Any]) -> None:
    numbers = ("dwell_hours", "dwell_hours_ab", "dwell_hours_ba", "dwell_scale",
               "fee_usd_per_tonne", "fee_scale", "capacity", "capacity_scale")
    if not _check_keys(w, f, (), (*SELECT_CROSSINGS, *numbers, "capacity_unit")):
        return
    bad = [k for k in numbers if k in f and (_number(f[k]) is None or float(f[k]) < 0)]
    for k in bad:
        w.fail(k, f[k], "a number >= 0")
    if "capacity" in f and f.get("capacity_unit") not in CAPACITY_UNITS:
        w.fail("capacity_unit", f.get("capacity_unit"), " | ".join(CAPACITY_UNITS))
        return
    mask = _crossings(w, f)
    if mask is None or bad:
        return
    sets = {"dwell_hours_ab": f.get("dwell_hours_ab", f.get("dwell_hours")),
            "dwell_hours_ba": f.get("dwell_hours_ba", f.get("dwell_hours")),
            "fee_usd_per_tonne": f.get("fee_usd_per_tonne"),
            "capacity": f.get("capacity"), "capacity_unit": f.get("capacity_unit")}
    table = w.table("crossing")
    for column, value in sets.items():
        if value is not None:
            table.loc[mask, column] = cell(value)
    if "fee_usd_per_tonne" in f:
        table.loc[mask, "fee_unit"] = "USD/t"
    scales = {"dwell_hours_ab": f.get("dwell_scale"), "dwell_hours_ba": f.get("dwell_scale"),
              "fee_usd_per_tonne": f.get("fee_scale"), "capacity": f.get("capacity_scale")}
    rows = mask.to_numpy(dtype=bool)  # a plain mask: cheaper than the Series, same rows
    for column, factor in scales.items():
        if factor is not None:
            old = pd.to_numeric(table[column].to_numpy(dtype=object)[rows], errors="coerce")
            table.loc[rows, column] = [cell(float(v) * float(factor)) if pd.notna(v) else None
                                       for v in old]


def _close_border(w: _Work, f: Mapping[str, Any]) -> None:
    if not _check_keys(w, f, (), (*SELECT_CROSSINGS, "modes", "commodities")):
        return
    mask = _crossings(w, f)
    if mask is None:
        return
    modes = f.get("modes")
    if modes is not None and not all(m in PHYSICAL_MODES for m in modes):
        w.fail("modes", modes, "modes from " + ", ".join(PHYSICAL_MODES))
        return
    commodities = f.get("commodities")
    table = w.table("crossing")
    ids = [int(i) for i in w.ids("crossing")[mask]]
    if commodities is not None:
        known = set(w.table("commodity")["commodity"])
        unknown = [c for c in commodities if c not in known]
        if unknown:
            w.fail("commodities", unknown, f"commodities of the model ({', '.join(sorted(known))})")
            return
        w.build_edits.append(BuildEdit("close_commodity", {
            "crossings": ids, "modes": modes, "commodities": list(commodities)}))
        return
    for index in table.index[mask]:
        current = [m for m in str(table.loc[index, "modes"]).split(";") if m]
        left = [m for m in current if modes is not None and m not in modes]
        if left:
            table.loc[index, "modes"] = ";".join(left)
        else:
            table.loc[index, "status"] = "closed"
    w.switched_on -= {("crossing", i) for i in ids if modes is None}


def _tariff(w: _Work, f: Mapping[str, Any]) -> None:
    keys = ("mode", "country", "commodity", "cost_type")
    if not _check_keys(w, f, (), (*keys, "value", "unit", "scale")):
        return
    table = w.table("tariff")
    if ("value" in f) == ("scale" in f):
        w.fail("value", None, "either value (with unit) or scale")
        return
    if "scale" in f:
        mask = pd.Series(True, index=table.index)
        for k in keys:
            if k in f:
                mask &= table[k] == str(f[k])
        if not mask.any() or _number(f["scale"]) is None:
            w.fail("scale" if mask.any() else "mode", f.get("scale"),
                   "a factor and a filter matching tariff rows")
            return
        old = pd.to_numeric(table.loc[mask, "value"], errors="coerce")
        table.loc[mask, "value"] = [cell(float(v) * float(f["scale"])) for v in old]
        return
    missing = [k for k in (*keys, "unit") if k not in f]
    if missing:
        w.fail(missing[0], None, "mode, country, commodity, cost_type and unit with a value")
        return
    if not _valid_tariff(w, f):
        return
    mask = pd.Series(True, index=table.index)
    for k in keys:
        mask &= table[k] == str(f[k])
    if mask.any():
        table.loc[mask, "value"] = cell(f["value"])
        table.loc[mask, "unit"] = str(f["unit"])
        return
    row = dict.fromkeys(table.columns)
    row.update({k: str(f[k]) for k in keys})
    next_id = int(pd.to_numeric(table["tariff_id"], errors="coerce").max()) + 1
    row.update({"tariff_id": str(next_id), "value": cell(f["value"]), "unit": str(f["unit"])})
    w.tables["tariff"] = pd.concat([table, pd.DataFrame([row])], ignore_index=True)


def _valid_tariff(w: _Work, f: Mapping[str, Any]) -> bool:
    ok = _check_value(w, "tariff", "cost_type", f["cost_type"], "cost_type")
    if f["mode"] not in MODES:
        w.fail("mode", f["mode"], " | ".join(MODES))
        ok = False
    if _number(f["value"]) is None:
        w.fail("value", f["value"], "a number")
        ok = False
    units = {"t", "tonne", *w.table("commodity")["unit"].astype(str)}
    unit = str(f["unit"])
    per = unit.split("/", 1)[1].removesuffix("-km") if unit.startswith("USD/") else ""
    if per not in units:
        w.fail("unit", unit, f"USD/<unit> or USD/<unit>-km with a unit from {sorted(units)}")
        ok = False
    commodities = {"*", *w.table("commodity")["commodity"]}
    if f["commodity"] not in commodities:
        w.fail("commodity", f["commodity"], f"a commodity or '*' ({sorted(commodities)})")
        ok = False
    return ok


def _demand_mask(w: _Work, f: Mapping[str, Any]) -> pd.Series | None:
    table = w.table("demand")
    mask = pd.Series(True, index=table.index)
    countries = w.table("node").set_index(w.ids("node"))["country"]
    origin = pd.to_numeric(table["origin_zone"], errors="coerce")
    destination = pd.to_numeric(table["destination_zone"], errors="coerce")
    filters = {
        "commodity": table["commodity"],
        "origin": origin,
        "destination": destination,
        "origin_country": origin.map(countries),
        "destination_country": destination.map(countries),
    }
    for key, column in filters.items():
        if key in f:
            values = f[key] if isinstance(f[key], list) else [f[key]]
            mask &= column.isin(values)
    if not mask.any():
        w.fail("commodity", {k: f[k] for k in filters if k in f}, "a filter matching demand rows")
        return None
    return mask


def _scale_demand(w: _Work, f: Mapping[str, Any]) -> None:
    filters = ("commodity", "origin", "destination", "origin_country", "destination_country")
    if not _check_keys(w, f, (), (*filters, "factor", "growth_rate", "years")):
        return
    if ("factor" in f) == ("growth_rate" in f):
        w.fail("factor", None, "either factor or growth_rate (per year)")
        return
    mask = _demand_mask(w, f)
    if mask is None:
        return
    table = w.table("demand")
    if "factor" in f:
        if _number(f["factor"]) is None or float(f["factor"]) < 0:
            w.fail("factor", f["factor"], "a factor >= 0")
            return
        factors = pd.Series(float(f["factor"]), index=table.index)
    else:
        rate = _number(f["growth_rate"])
        if rate is None or rate <= -1:
            w.fail("growth_rate", f["growth_rate"], "a yearly growth rate > -1 (0.03 = 3 %/yr)")
            return
        base_year = pd.to_numeric(table.get("year"), errors="coerce").fillna(2023)
        years = (float(f["years"]) if "years" in f
                 else w.parameters.year - base_year)
        factors = (1.0 + rate) ** years
    old = pd.to_numeric(table.loc[mask, "volume"], errors="coerce")
    table.loc[mask, "volume"] = [cell(float(v) * float(k))
                                 for v, k in zip(old, factors[mask], strict=True)]


def _add_demand(w: _Work, f: Mapping[str, Any]) -> None:
    if not _check_keys(w, f, ("origin", "destination", "commodity", "volume"), ("unit", "notes")):
        return
    nodes = set(w.ids("node").dropna())
    for key in ("origin", "destination"):
        if f[key] not in nodes:
            w.fail(key, f[key], "the id of an existing node")
    commodities = w.table("commodity").set_index("commodity")["unit"]
    if f["commodity"] not in commodities.index:
        w.fail("commodity", f["commodity"], f"a commodity ({', '.join(commodities.index)})")
        return
    if _number(f["volume"]) is None or float(f["volume"]) < 0:
        w.fail("volume", f["volume"], "a volume >= 0 per year")
        return
    unit = f"{commodities[f['commodity']]}/year".replace("tonne/", "t/")
    if "unit" in f and f["unit"] not in (unit, f"{commodities[f['commodity']]}/year"):
        w.fail("unit", f["unit"], f"{unit} (the commodity's unit per year)")
        return
    table = w.table("demand")
    next_id = int(pd.to_numeric(table["demand_id"], errors="coerce").max()) + 1
    row = dict.fromkeys(table.columns)
    row.update({"demand_id": str(next_id), "origin_zone": cell(f["origin"]),
                "destination_zone": cell(f["destination"]), "commodity": f["commodity"],
                "volume": cell(f["volume"]), "unit": unit, "year": str(w.parameters.year)})
    if "notes" in table.columns:
        row["notes"] = f.get("notes")
    _make_zone(w, f["origin"])
    _make_zone(w, f["destination"])
    w.tables["demand"] = pd.concat([table, pd.DataFrame([row])], ignore_index=True)


def _make_zone(w: _Work, node: Any) -> None:
    nodes = w.table("node")
    if "zone_id" in nodes.columns:
        nodes.loc[w.ids("node") == node, "zone_id"] = cell(node)


def _set_parameter(w: _Work, f: Mapping[str, Any]) -> None:
    names = tuple(x.name for x in fields(CorridorParameters))
    if not _check_keys(w, f, (), names):
        return
    for key, value in f.items():
        if _number(value) is None:
            w.fail(key, value, "a number")
            return
        typed: Any = int(value) if key == "year" else float(value)
        w.parameters = replace(w.parameters, **{key: typed})


def _transit_fee(w: _Work, f: Mapping[str, Any]) -> None:
    if not _check_keys(w, f, ("country", "commodity", "value", "unit"),
                       ("modes", "route_choice")):
        return
    commodities = w.table("commodity").set_index("commodity")["unit"]
    if f["commodity"] not in commodities.index:
        w.fail("commodity", f["commodity"], f"a commodity ({', '.join(commodities.index)})")
        return
    unit = commodities[f["commodity"]]
    if f["unit"] not in (f"USD/{unit}", "USD/t"):
        w.fail("unit", f["unit"], f"USD/{unit} or USD/t")
        return
    if _number(f["value"]) is None or float(f["value"]) < 0:
        w.fail("value", f["value"], "a fee >= 0")
        return
    if not COUNTRY.match(str(f["country"])):
        w.fail("country", f["country"], "a two-letter ISO country code")
        return
    w.build_edits.append(BuildEdit("transit_fee", {
        "country": f["country"], "commodity": f["commodity"], "value": float(f["value"]),
        "unit": f["unit"], "modes": f.get("modes"), "route_choice": bool(f.get("route_choice",
                                                                               True))}))
