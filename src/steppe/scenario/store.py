"""The result store: an embedded DuckDB file of runs and their link, crossing and metric results.

A run is identified by its scenario's content hash and a draw id (``-1`` for a single run,
the draw's index in a sweep); storing the same pair twice is a no-op. A run's rows are
written in one transaction with its run record, so a process killed at any moment leaves
either the whole run or nothing.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from steppe.errors import InputError

DEFAULT_STORE = "steppe.duckdb"
SINGLE_RUN = -1
"""Draw id of a run that is not part of a sweep."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    scenario_hash VARCHAR NOT NULL,
    draw_id INTEGER NOT NULL,
    sweep_id VARCHAR,
    scenario_name VARCHAR,
    status VARCHAR NOT NULL,
    error VARCHAR,
    steppe_version VARCHAR,
    input_checksums VARCHAR,
    parameters VARCHAR,
    algorithm VARCHAR,
    gap DOUBLE,
    iterations INTEGER,
    converged BOOLEAN,
    seconds DOUBLE,
    created TIMESTAMP,
    scenario VARCHAR,
    summary VARCHAR,
    UNIQUE (scenario_hash, draw_id)
);
CREATE TABLE IF NOT EXISTS link_results (
    run_id VARCHAR, link_id BIGINT, element VARCHAR, element_id BIGINT, name VARCHAR,
    mode VARCHAR, from_node_id BIGINT, to_node_id BIGINT, flow DOUBLE, time DOUBLE,
    queue_delay DOUBLE, cost DOUBLE
);
CREATE TABLE IF NOT EXISTS crossing_results (
    run_id VARCHAR, name VARCHAR, from_country VARCHAR, to_country VARCHAR, mode VARCHAR,
    tonnes DOUBLE, teu DOUBLE, trains DOUBLE, bcm DOUBLE, capacity DOUBLE,
    queue_delay_h DOUBLE
);
CREATE TABLE IF NOT EXISTS metrics (
    run_id VARCHAR, metric VARCHAR, key VARCHAR, value DOUBLE
);
CREATE TABLE IF NOT EXISTS sweeps (
    sweep_id VARCHAR PRIMARY KEY, name VARCHAR, spec VARCHAR, draws INTEGER, created TIMESTAMP
);
"""
RESULT_TABLES = ("link_results", "crossing_results", "metrics")


def run_id_of(scenario_hash: str, draw_id: int) -> str:
    """Run id: 16 hex digits of SHA-256 over the scenario hash and draw id."""
    return hashlib.sha256(f"{scenario_hash}:{draw_id}".encode()).hexdigest()[:16]


@dataclass
class RunPayload:
    """Everything stored for one run (picklable, so workers can send it to the writer)."""

    record: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        """The run's id."""
        return str(self.record["run_id"])


def failed_payload(
    scenario_hash: str, draw_id: int, *, error: str, name: str = "", sweep_id: str | None = None,
    parameters: Mapping[str, float] | None = None,
) -> RunPayload:
    """A run record for a scenario that failed, with its reason."""
    return RunPayload({
        "run_id": run_id_of(scenario_hash, draw_id), "scenario_hash": scenario_hash,
        "draw_id": draw_id, "sweep_id": sweep_id, "scenario_name": name, "status": "failed",
        "error": error, "parameters": json.dumps(dict(parameters or {})),
        "created": datetime.now(UTC).replace(tzinfo=None),
    })


def _by_columns(records: list[dict[str, Any]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    """Records grouped by their set of fields (failed runs have fewer), in order."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault(tuple(record), []).append(record)
    return groups


def _json_default(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)


class RunStore:
    """A DuckDB file of runs.

    Parameters
    ----------
    path
        The DuckDB file (created when missing).
    read_only
        Open without writing (several readers may share the file).
    """

    def __init__(self, path: str | Path = DEFAULT_STORE, *, read_only: bool = False) -> None:
        import duckdb

        self.path = Path(path)
        if read_only and not self.path.exists():
            raise InputError(f"result store {self.path} does not exist; run a scenario first")
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            raise InputError(f"cannot open result store {self.path}: {exc}") from None
        if not read_only:
            self.con.execute(SCHEMA)

    def close(self) -> None:
        """Close the file."""
        self.con.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def has(self, scenario_hash: str, draw_id: int = SINGLE_RUN) -> str | None:
        """Run id of a stored (scenario hash, draw id), or ``None``."""
        row = self.con.execute(
            "SELECT run_id FROM runs WHERE scenario_hash = ? AND draw_id = ?",
            [scenario_hash, draw_id],
        ).fetchone()
        return None if row is None else str(row[0])

    def save(self, payload: RunPayload, *, replace: bool = False) -> bool:
        """Store a run and its tables in one transaction; ``False`` if it was already there."""
        return bool(self.save_many([payload], replace=replace)[0])

    def save_many(self, payloads: list[RunPayload], *, replace: bool = False) -> list[bool]:
        """Store several runs in one transaction (all or none of them).

        Returns, per payload, whether it was stored (``False``: already there, or a repeat
        of an earlier payload of the list). One transaction per batch instead of per run
        is what keeps the writer of a fast sweep from becoming its bottleneck.
        """
        stored: list[bool] = []
        fresh: list[RunPayload] = []
        with self._transaction():
            seen: set[tuple[str, int]] = set()
            for payload in payloads:
                key = (payload.record["scenario_hash"], int(payload.record["draw_id"]))
                existing = self.has(*key)
                new = key not in seen and (existing is None or replace)
                if new and existing is not None:
                    self._delete(existing)
                seen.add(key)
                stored.append(new)
                if new:
                    fresh.append(payload)
            self._insert_records([p.record for p in fresh])
            for table in RESULT_TABLES:
                frames = [p.tables[table].assign(run_id=p.run_id) for p in fresh
                          if table in p.tables and not p.tables[table].empty]
                if frames:
                    self._insert_frame(table, pd.concat(frames, ignore_index=True))
        return stored

    def _insert_records(self, records: list[dict[str, Any]]) -> None:
        for columns, group in _by_columns(records).items():
            self.con.executemany(
                f"INSERT INTO runs ({', '.join(columns)}) VALUES "
                f"({', '.join('?' for _ in columns)})",
                [[record[c] for c in columns] for record in group],
            )

    def _insert_frame(self, table: str, frame: pd.DataFrame) -> None:
        self.con.register("incoming", frame)
        names = ", ".join(f'"{c}"' for c in frame.columns)
        self.con.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM incoming")
        self.con.unregister("incoming")

    def _delete(self, run_id: str) -> None:
        for table in (*RESULT_TABLES, "runs"):
            self.con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run_id])

    def save_sweep(self, sweep_id: str, name: str, spec: Mapping[str, Any], draws: int) -> None:
        """Record a sweep (once)."""
        self.con.execute(
            "INSERT INTO sweeps VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [sweep_id, name, json.dumps(spec, default=_json_default), draws,
             datetime.now(UTC).replace(tzinfo=None)],
        )

    def runs(self, *, sweep_id: str | None = None) -> pd.DataFrame:
        """Stored runs, newest first (without their summaries)."""
        where = "WHERE sweep_id = ?" if sweep_id else ""
        return self.con.execute(
            "SELECT run_id, scenario_name, draw_id, sweep_id, status, error, algorithm, gap, "
            "iterations, converged, seconds, created, scenario_hash, steppe_version "
            f"FROM runs {where} ORDER BY created DESC, draw_id",
            [sweep_id] if sweep_id else [],
        ).df()

    def draws_done(self, keys: list[tuple[str, int]]) -> set[int]:
        """Draw ids among (scenario hash, draw id) pairs that are stored (ok or failed)."""
        if not keys:
            return set()
        frame = pd.DataFrame(keys, columns=["scenario_hash", "draw_id"])
        self.con.register("wanted", frame)
        rows = self.con.execute(
            "SELECT r.draw_id FROM runs r JOIN wanted w "
            "ON r.scenario_hash = w.scenario_hash AND r.draw_id = w.draw_id"
        ).fetchall()
        self.con.unregister("wanted")
        return {int(r[0]) for r in rows}

    def resolve(self, ref: str) -> str:
        """Run id of a reference: a run id (or unique prefix) or a scenario name (newest)."""
        rows = self.con.execute(
            "SELECT run_id FROM runs WHERE run_id LIKE ? || '%' AND status = 'ok'", [ref]
        ).fetchall()
        if len(rows) == 1:
            return str(rows[0][0])
        if len(rows) > 1:
            raise InputError(f"run id prefix {ref!r} is ambiguous ({len(rows)} runs)")
        row = self.con.execute(
            "SELECT run_id FROM runs WHERE scenario_name = ? AND status = 'ok' "
            "AND draw_id = ? ORDER BY created DESC LIMIT 1",
            [ref, SINGLE_RUN],
        ).fetchone()
        if row is None:
            raise InputError(
                f"no stored run {ref!r} in {self.path} (a run id, its prefix, or a scenario "
                "name); `steppe runs` lists them"
            )
        return str(row[0])

    def record(self, ref: str) -> dict[str, Any]:
        """The run record of a reference, with its summary parsed."""
        run_id = self.resolve(ref)
        frame = self.con.execute("SELECT * FROM runs WHERE run_id = ?", [run_id]).df()
        record: dict[str, Any] = frame.iloc[0].to_dict()
        for key in ("summary", "parameters", "input_checksums", "scenario"):
            if isinstance(record.get(key), str):
                record[key] = json.loads(record[key])
        return record

    def table(self, ref: str, name: str) -> pd.DataFrame:
        """A result table (``link_results``, ``crossing_results``, ``metrics``) of a run."""
        if name not in RESULT_TABLES:
            raise InputError(f"unknown result table {name!r}; one of {', '.join(RESULT_TABLES)}")
        return self.con.execute(
            f"SELECT * FROM {name} WHERE run_id = ?", [self.resolve(ref)]
        ).df()

    def metrics(self, *, sweep_id: str | None = None) -> pd.DataFrame:
        """Metrics of every run (of one sweep), long format with draw ids and parameters."""
        where = "WHERE r.sweep_id = ?" if sweep_id else ""
        return self.con.execute(
            "SELECT r.run_id, r.draw_id, r.parameters, m.metric, m.key, m.value "
            f"FROM metrics m JOIN runs r USING (run_id) {where}",
            [sweep_id] if sweep_id else [],
        ).df()

    def export(self, ref: str, folder: str | Path) -> list[Path]:
        """Write a run's record (JSON) and result tables (Parquet) to a folder."""
        run_id = self.resolve(ref)
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for name in RESULT_TABLES:
            path = out / f"{name}.parquet"
            self.con.execute(
                f"COPY (SELECT * FROM {name} WHERE run_id = '{run_id}') TO '{path}' "
                "(FORMAT PARQUET)"
            )
            paths.append(path)
        path = out / "run.json"
        path.write_text(json.dumps(self.record(run_id), default=_json_default, indent=2))
        return [*paths, path]
