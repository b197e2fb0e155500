"""The API fuzzed from its own OpenAPI description: no 5xx, responses match the schema.

Schemathesis generates valid (positive) and invalid (negative) requests for every
operation; each response is checked (status documented, body matches its schema, content
type, no server error). Runs never start here: the queue's solver is replaced by one that
fails at once, so a request that happens to be valid is queued and answered, but no model
is solved. Examples per operation are bounded so that the test takes well under a minute.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis.generation.modes import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402
from webtools import AUTH, make_settings  # noqa: E402

from steppe.scenario.execute import run_payload, run_scenario  # noqa: E402
from steppe.scenario.spec import load_scenario  # noqa: E402
from steppe.web import create_app  # noqa: E402
from steppe.web.jobs import JobQueue  # noqa: E402

EXAMPLES = {GenerationMode.POSITIVE: 20, GenerationMode.NEGATIVE: 12}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory):
    app = create_app(make_settings(tmp_path_factory.mktemp("fuzz"), max_queued_runs=1000))
    service = app.state.service
    service.jobs = JobQueue(1, 1000, lambda job: job.finish("not solved in the fuzz test"))
    solved = run_scenario(load_scenario(service.settings.scenario_dir / "tiny.toml"))
    payload = run_payload(solved)
    service.store.save(payload)
    service.remember(payload.run_id, solved)
    yield schemathesis.openapi.from_asgi("/openapi.json", without_lifespan(app))
    app.state.service.close()


def without_lifespan(app):
    """The app for a client that starts and stops it around every request (schemathesis):
    its store stays open for the whole test and is closed by the fixture."""

    async def wrapped(scope, receive, send):
        if scope["type"] == "lifespan":
            await receive()
            await send({"type": "lifespan.startup.complete"})
            await receive()
            await send({"type": "lifespan.shutdown.complete"})
            return
        await app(scope, receive, send)

    return wrapped


def operations(schema):
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) >= 14
    return found


def fuzz(operation, mode: GenerationMode, headers: dict, check, **fixed) -> bool:
    """Run ``check`` on generated cases; ``False`` when the mode has nothing to generate."""

    @given(case=operation.as_strategy(generation_mode=mode, **fixed))
    @settings(max_examples=EXAMPLES[mode], deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        check(case, headers)

    try:
        run()
    except Unsatisfiable:  # no parameters and no body: no invalid request to make
        assert mode == GenerationMode.NEGATIVE
        return False
    return True


def validated(case, headers) -> None:
    # a scenario's content (its edits against the base) cannot be expressed in JSON Schema:
    # a schema-valid run request may still be refused with 4xx, so "positive data is
    # accepted" does not apply to POST /api/runs; every other check does
    skip = [positive_data_acceptance] if case.method.upper() == "POST" else []
    case.call_and_validate(headers=headers, excluded_checks=skip)


def no_server_error(case, headers) -> None:
    response = case.call(headers=headers)
    assert response.status_code < 500, (case.method, case.formatted_path, response.text)
    if case.method.upper() == "POST" and not headers:
        assert response.status_code in (401, 413, 415, 422), response.text


@pytest.mark.parametrize("mode", list(EXAMPLES), ids=str)
def test_api_conforms_to_its_openapi(api_schema, mode):
    fuzzed = [fuzz(op, mode, AUTH, validated) for op in operations(api_schema)]
    assert sum(fuzzed) >= 10


def test_results_of_a_stored_run_conform(api_schema):
    """The run's results with generated query parameters (country, places, top...)."""
    with_run = [op for op in operations(api_schema) if "{run}" in op.path]
    assert len(with_run) >= 8
    for operation in with_run:
        fuzz(operation, GenerationMode.POSITIVE, AUTH, validated,
             path_parameters={"run": "tiny"})


def test_run_endpoints_refuse_requests_without_the_token(api_schema):
    for operation in operations(api_schema):
        fuzz(operation, GenerationMode.POSITIVE, {}, no_server_error)
