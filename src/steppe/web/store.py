"""The app's one connection to the result store, shared by all requests behind a lock.

DuckDB allows one writing process per file, so the app opens the store once (read-only
unless runs are allowed) instead of once per request.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from steppe.errors import InputError
from steppe.scenario.store import SINGLE_RUN, RunPayload, RunStore
from steppe.web.errors import ApiError


class SharedStore:
    """A :class:`~steppe.scenario.store.RunStore` used from many threads.

    Parameters
    ----------
    path
        The DuckDB file; created (empty) when missing.
    writable
        Open for writing (only when the server may start runs).
    """

    def __init__(self, path: Path, *, writable: bool) -> None:
        if not Path(path).exists():
            RunStore(path).close()  # an empty store, so that a new server has something to read
        self._db = RunStore(path, read_only=not writable)
        self._lock = threading.Lock()
        self._records: OrderedDict[str, dict[str, Any]] = OrderedDict()
        # references resolved so far; only this app writes the store, and a save clears it
        self._resolved: dict[str, str] = {}
        self._listings: dict[int, bytes] = {}
        self.path = Path(path)

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()

    def resolve(self, ref: str) -> str:
        """Run id of a reference (id, id prefix or scenario name); 404 when unknown."""
        with self._lock:
            if ref in self._resolved:
                return self._resolved[ref]
            try:
                run_id = self._db.resolve(ref)
                if len(self._resolved) < 10_000:
                    self._resolved[ref] = run_id
                return run_id
            except InputError as exc:
                detail = str(exc).replace(str(self.path), "the store")
                raise ApiError(404, "unknown_run", detail) from None

    def known(self, ref: str) -> str | None:
        """Run id of a reference resolved before (no database access), or ``None``."""
        return self._resolved.get(ref)

    def record(self, ref: str) -> dict[str, Any]:
        """A run's record with its summary (records never change, so they are cached)."""
        run_id = self.resolve(ref)
        with self._lock:
            if run_id not in self._records:
                self._records[run_id] = self._db.record(run_id)
                while len(self._records) > 256:
                    self._records.popitem(last=False)
            return self._records[run_id]

    def runs(self, limit: int) -> list[dict[str, Any]]:
        """The stored runs, newest first."""
        rows: list[dict[str, Any]] = json.loads(self.runs_json(limit))
        return rows

    def runs_json(self, limit: int) -> bytes:
        """The stored runs, newest first, as JSON (kept until the next save)."""
        with self._lock:
            if limit not in self._listings:
                table = self._db.runs().head(limit)
                self._listings[limit] = table.to_json(
                    orient="records", date_format="iso").encode()
            return self._listings[limit]

    def kept_runs_json(self, limit: int) -> bytes | None:
        """:meth:`runs_json` if it is kept (no database access), else ``None``."""
        return self._listings.get(limit)

    def has(self, scenario_hash: str) -> str | None:
        """Run id of a stored single run of this scenario hash, or ``None``."""
        with self._lock:
            return self._db.has(scenario_hash, SINGLE_RUN)

    def save(self, payload: RunPayload) -> None:
        """Store a run (a no-op when it is already there)."""
        with self._lock:
            self._db.save(payload)
            self._resolved.clear()
            self._listings.clear()
