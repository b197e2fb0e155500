"""Safety: tokens, read-only mode, path traversal, body and scenario limits, bad input, CORS.

Every refusal is a 4xx JSON body with an error code and a message that says why.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from webtools import AUTH, TOKEN, make_settings

from steppe.web import Settings, create_app


def refused(response, status: int, error: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["detail"] and "Traceback" not in response.text
    if error is not None:
        assert body["error"] == error, body
    return body


def test_runs_need_the_token(client):
    refused(client.post("/api/runs", json={"preset": "tiny"}), 401, "token_required")
    wrong = {"Authorization": "Bearer nope"}
    refused(client.post("/api/runs", json={"preset": "tiny"}, headers=wrong), 401, "bad_token")
    refused(client.post("/api/runs", json={"preset": "tiny"},
                        headers={"Authorization": TOKEN}), 401)  # not a Bearer header
    assert client.get("/api/jobs").json() == []  # nothing was queued


def test_a_read_only_server_refuses_runs(tmp_path):
    settings = make_settings(tmp_path, allow_runs=False, token=None)
    with TestClient(create_app(settings)) as client:
        assert client.get("/api/health").json()["runs_allowed"] is False
        body = refused(client.post("/api/runs", json={"preset": "tiny"}, headers=AUTH), 403,
                       "runs_disabled")
        assert "--allow-runs" in body["detail"]


def test_allow_runs_without_a_token_is_a_configuration_error(tmp_path):
    with pytest.raises(ValueError, match="token"):
        Settings(store=tmp_path / "s.duckdb", allow_runs=True)


@pytest.mark.parametrize("path", [
    "/static/../pyproject.toml",
    "/static/..%2F..%2Fpyproject.toml",
    "/static/%2e%2e/%2e%2e/pyproject.toml",
    "/static/__init__.py",
    "/api/runs/..%2F..%2Fetc%2Fpasswd/crossings",
    "/api/runs/%2e%2e/crossings",
    "/api/presets/..%2Fbaseline",
    "/api/presets/%2fetc%2fpasswd",
])
def test_path_traversal_is_refused(client, path):
    response = client.get(path)
    assert 400 <= response.status_code < 500, (path, response.status_code)
    assert response.headers["content-type"].startswith("application/json")
    assert "root:" not in response.text and "[build-system]" not in response.text


@pytest.mark.parametrize("base", ["/etc", "../model", "model", "C:\\\\x", "~/x", "tiny/../x"])
def test_a_posted_base_cannot_name_a_folder(client, base):
    toml = f'[scenario]\nname = "x"\nbase = "{base}"\n'
    response = client.post("/api/runs", content=toml,
                           headers={**AUTH, "Content-Type": "application/toml"})
    body = refused(response, 400, "base_not_allowed")
    assert "does not read files" in body["detail"]


def test_a_preset_is_named_never_loaded_as_a_path(client):
    refused(client.post("/api/runs", json={"preset": "../../etc/passwd"}, headers=AUTH), 422)
    body = refused(client.post("/api/runs", json={"preset": "tiny.toml"}, headers=AUTH), 404,
                   "unknown_preset")
    assert "tiny" in body["detail"]


def test_unknown_preset(client):
    body = refused(client.post("/api/runs", json={"preset": "mars"}, headers=AUTH), 404,
                   "unknown_preset")
    assert "'mars'" in body["detail"] and "baseline" in body["detail"]
    refused(client.get("/api/presets/mars"), 404, "unknown_preset")


def test_oversized_bodies_are_refused(client):
    big = "x" * (70 * 1024)
    body = refused(client.post("/api/runs", json={"preset": "tiny", "name": big},
                               headers=AUTH), 413, "body_too_large")
    assert "65536 bytes" in body["detail"]

    def chunks():  # no Content-Length: counted while streaming
        for _ in range(80):
            yield b"x" * 1024

    streamed = client.post("/api/runs", content=chunks(),
                           headers={**AUTH, "Content-Type": "application/toml"})
    refused(streamed, 413, "body_too_large")


def test_too_many_edits(tmp_path):
    with TestClient(create_app(make_settings(tmp_path, max_edits=3))) as client:
        edits = [{"op": "switch_on", "links": [5]}] * 4
        body = refused(client.post("/api/runs", json={"preset": "tiny", "edits": edits},
                                   headers=AUTH), 413, "too_many_edits")
        assert "limit is 3" in body["detail"]


@pytest.mark.parametrize(("content", "kind", "error"), [
    ('[scenario\nname = "x"', "application/toml", "malformed_toml"),
    ("name = 'unterminated", "application/toml", "malformed_toml"),
    (b"\xff\xfe", "application/toml", "malformed_toml"),
    ('{"preset": "tiny"', "application/json", "malformed_json"),
    ('{"preset": NaN}', "application/json", "malformed_json"),
    ("[1, 2", "application/json", "malformed_json"),
])
def test_malformed_bodies(client, content, kind, error):
    response = client.post("/api/runs", content=content,
                           headers={**AUTH, "Content-Type": kind})
    body = refused(response, 400, error)
    assert "not valid" in body["detail"] or "UTF-8" in body["detail"]


def test_wrong_media_type(client):
    refused(client.post("/api/runs", content="preset=tiny",
                        headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded"}),
            415, "unsupported_media_type")


def test_an_invalid_scenario_lists_its_problems(client):
    toml = ('[scenario]\nname = "x"\nbase = "tiny"\ncolour = "red"\n'
            '[[edit]]\nop = "modify_link"\nids = [1]\nset = { colour = "red" }\n')
    response = client.post("/api/runs", content=toml,
                           headers={**AUTH, "Content-Type": "application/toml"})
    body = refused(response, 422, "invalid_input")
    assert any(p["field"] == "scenario.colour" and p["line"] == 4 for p in body["problems"])


def test_edit_problems_come_back_field_by_field(client):
    edits = [{"op": "modify_link", "ids": [1], "set": {"colour": "red"}}]
    body = refused(client.post("/api/runs", json={"preset": "tiny", "edits": edits},
                               headers=AUTH), 422, "invalid_input")
    assert any("set.colour" in (p["field"] or "") for p in body["problems"])


@pytest.mark.parametrize(("request_body", "error"), [
    ({"preset": "tiny", "edits": [{"op": "read_file", "path": "/etc/passwd"}]},
     "operation_not_allowed"),
    ({"preset": "tiny", "parameters": {"nope": 1.0}}, "unknown_parameter"),
    ({"scenario": {"scenario": {"name": "x", "gap": 1e-12}}}, "gap_too_small"),
    ({"scenario": {"scenario": {"name": "x"}, "report": {"output": "/tmp/x"}}},
     "report_not_allowed"),
    ({"preset": "tiny", "toml": "[scenario]"}, "invalid_request"),
    ({}, "invalid_request"),
    ({"preset": "tiny", "unknown_key": 1}, "invalid_request"),
    ({"scenario": {"scenario": {"name": "x"}}, "edits": [{"op": "switch_on"}]},
     "invalid_request"),
])
def test_requests_outside_the_rules(client, request_body, error):
    refused(client.post("/api/runs", json=request_body, headers=AUTH), 422, error)


def test_unknown_run_and_job(client):
    body = refused(client.get("/api/runs/nope/crossings"), 404, "unknown_run")
    assert "'nope'" in body["detail"] and "duckdb" not in body["detail"]
    refused(client.get("/api/jobs/0123456789abcdef"), 404, "unknown_job")
    refused(client.get("/api/compare", params={"a": "x", "b": "y"}), 404, "unknown_run")
    refused(client.get("/api/compare", params={"a": "x%"}), 422, "invalid_request")


def test_unexpected_errors_are_json_without_traceback(tmp_path):
    app = create_app(make_settings(tmp_path))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    refused(response, 500, "internal_error")
    assert "secret" not in response.text


def test_cors_is_off_unless_configured(tmp_path, client):
    origin = {"Origin": "http://elsewhere.example"}
    assert "access-control-allow-origin" not in client.get("/api/health", headers=origin).headers
    settings = make_settings(tmp_path / "b", cors_origins=("http://elsewhere.example",))
    with TestClient(create_app(settings)) as other:
        allowed = other.get("/api/health", headers=origin).headers
        assert allowed["access-control-allow-origin"] == "http://elsewhere.example"


def test_a_server_answers_only_to_its_host_names(tmp_path):
    settings = make_settings(tmp_path, allowed_hosts=("localhost", "127.0.0.1", "::1"))
    with TestClient(create_app(settings), base_url="http://127.0.0.1:8000") as client:
        assert client.get("/api/health").status_code == 200
        assert client.get("/api/health", headers={"Host": "[::1]:8000"}).status_code == 200
        refused(client.get("/api/health", headers={"Host": "rebound.example"}), 400,
                "host_not_allowed")
