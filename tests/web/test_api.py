"""The JSON API on the tiny model: presets, runs, progress, results, comparison, re-solve."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from webtools import AUTH, make_settings, wait_for

from steppe.scenario.execute import run_payload, run_scenario
from steppe.scenario.spec import load_scenario
from steppe.scenario.store import RunStore
from steppe.web import create_app

DEMAND_T = 30e6


def start(client: TestClient, body: dict) -> dict:
    response = client.post("/api/runs", json=body, headers=AUTH)
    assert response.status_code in (200, 202), response.text
    return wait_for(client, response.json()["job_id"])


def test_health_and_presets(client):
    health = client.get("/api/health").json()
    assert health["status"] == "ok" and health["runs_allowed"] is True
    presets = {p["name"]: p for p in client.get("/api/presets").json()}
    assert {"baseline", "sco", "pos2", "tiny", "tiny-closed"} <= set(presets)
    assert presets["sco"]["origin"] == "builtin" and presets["sco"]["parameters"]
    assert presets["tiny"]["origin"] == "server" and presets["tiny"]["base"] == "tiny"
    detail = client.get("/api/presets/tiny").json()
    assert [c["name"] for c in detail["crossings"]] == ["Crossing A", "Crossing B"]
    assert [link["link_id"] for link in detail["planned_links"]] == [5]


def test_a_run_reports_progress_and_is_stored_once(client):
    job = start(client, {"preset": "tiny"})
    assert job["status"] == "done" and job["progress"] == 1.0
    assert job["iteration"] >= 1 and job["relative_gap"] <= job["target_gap"]
    again = client.post("/api/runs", json={"preset": "tiny"}, headers=AUTH)
    assert again.status_code == 200
    assert again.json()["cached"] is True and again.json()["run_id"] == job["run_id"]
    runs = client.get("/api/runs").json()
    assert [r["run_id"] for r in runs] == [job["run_id"]]
    assert client.get(f"/api/jobs/{job['job_id']}").json()["status"] == "done"


def test_results_of_a_run(client):
    run_id = start(client, {"preset": "tiny"})["run_id"]
    crossings = client.get(f"/api/runs/{run_id}/crossings").json()
    assert sum(c["tonnes"] for c in crossings) == pytest.approx(DEMAND_T)
    border = client.get(f"/api/runs/{run_id}/border-table").json()
    a = next(r for r in border if r["name"] == "Crossing A" and r["direction"] == "MN>CN")
    assert a["binding"] is True and a["shadow_price_h"] > 0  # 20 Mt capacity, 30 Mt demand
    dependency = client.get(f"/api/runs/{run_id}/dependency", params={"country": "MN"}).json()
    assert dependency["index"][0]["largest_partner"] == "CN"
    hubs = client.get(f"/api/runs/{run_id}/hub-rank", params={"top": 1}).json()
    assert len(hubs) == 1 and hubs[0]["rank"] == 1
    tcd = client.get(f"/api/runs/{run_id}/tcd", params={
        "origin": "Alpha", "destination": "Omega", "commodity": "coal"}).json()
    assert tcd[0]["from_place"] == "Alpha" and tcd[-1]["to_place"] == "Omega"
    assert any(step["element"] == "crossing" for step in tcd)
    shares = client.get(f"/api/runs/{run_id}/route-shares").json()
    assert "china_europe_containers" in shares


def test_flow_map_is_geojson(client):
    run_id = start(client, {"preset": "tiny"})["run_id"]
    geo = client.get(f"/api/runs/{run_id}/flow-map").json()
    assert geo["type"] == "FeatureCollection"
    lines = [f for f in geo["features"] if f["geometry"]["type"] == "LineString"]
    assert lines and all(len(f["geometry"]["coordinates"]) == 2 for f in lines)
    crossing_a = next(f for f in lines if f["properties"]["name"] == "Crossing A")
    assert crossing_a["properties"]["flow"] == pytest.approx(20e6, rel=1e-6)
    kinds = {f["properties"]["kind"] for f in geo["features"]}
    assert kinds == {"flow", "crossing", "place"}
    json.dumps(geo, allow_nan=False)  # strict JSON: no NaN


def test_variant_and_comparison(client):
    base = start(client, {"preset": "tiny"})
    closed = start(client, {"preset": "tiny", "name": "a-closed",
                            "edits": [{"op": "close_border", "ids": [1]}]})
    assert closed["status"] == "done" and closed["run_id"] != base["run_id"]
    diff = client.get("/api/compare", params={"a": base["run_id"], "b": closed["run_id"]}).json()
    rows = {r["crossing"].split(" |")[0]: r for r in diff["crossings"]}
    assert rows["Crossing A"]["tonnes_b"] == 0
    assert rows["Crossing B"]["tonnes_b"] == pytest.approx(DEMAND_T)


def test_posted_toml_and_json_scenarios_on_a_preset_base(client):
    toml = ('[scenario]\nname = "posted"\nbase = "tiny"\nroute_choice = "deterministic"\n'
            '[[edit]]\nop = "switch_on"\nlinks = [5]\n')
    response = client.post("/api/runs", content=toml, headers={
        **AUTH, "Content-Type": "application/toml"})
    assert response.status_code == 202, response.text
    job = wait_for(client, response.json()["job_id"])
    assert job["status"] == "done", job
    geo = client.get(f"/api/runs/{job['run_id']}/flow-map").json()
    names = {f["properties"]["name"] for f in geo["features"] if f["properties"]["kind"] == "flow"}
    assert "Planned direct line" in names  # the switched-on 50 km line carries the coal
    same = {"scenario": {"name": "again", "base": "tiny", "route_choice": "deterministic"},
            "edit": [{"op": "switch_on", "links": [5]}]}
    again = client.post("/api/runs", json={"scenario": same}, headers=AUTH)
    assert again.status_code == 200 and again.json()["run_id"] == job["run_id"]


def test_a_stored_run_is_re_solved_for_analysis(tmp_path):
    settings = make_settings(tmp_path)
    scenario = load_scenario(settings.scenario_dir / "tiny.toml")
    with RunStore(settings.store) as db:
        db.save(run_payload(run_scenario(scenario)))
    with TestClient(create_app(settings)) as client:
        border = client.get("/api/runs/tiny/border-table")
        assert border.status_code == 200, border.text
        assert {r["name"] for r in border.json()} == {"Crossing A", "Crossing B"}
        kinds = {j["kind"] for j in client.get("/api/jobs").json()}
        assert kinds == {"reload"}


def test_dashboard_and_local_plotly_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "/static/plotly.min.js" in page.text and "http" not in page.text.lower().replace(
        "http-equiv", "")
    plotly = client.get("/static/plotly.min.js")
    assert plotly.status_code == 200 and len(plotly.content) > 1_000_000
    assert client.get("/static/dashboard.js").status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_openapi_lists_the_operations(client):
    spec = client.get("/openapi.json").json()
    paths = set(spec["paths"])
    for path in ("/api/health", "/api/presets", "/api/runs", "/api/runs/{run}/tcd",
                 "/api/runs/{run}/flow-map", "/api/compare", "/api/jobs/{job_id}"):
        assert path in paths
    post = spec["paths"]["/api/runs"]["post"]
    assert set(post["requestBody"]["content"]) == {"application/json", "application/toml"}
    assert post["security"]


def test_choices_offer_every_place_of_the_model(client):
    run_id = start(client, {"preset": "tiny"})["run_id"]
    choices = client.get(f"/api/runs/{run_id}/choices").json()
    assert [p["name"] for p in choices["places"]] == [
        "Alpha", "Border A", "Border B", "Gate A", "Gate B", "Omega"]
    assert choices["commodities"] == ["coal"] and choices["countries"] == ["CN", "MN"]
