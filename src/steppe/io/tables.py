"""Table files: write result tables as CSV or Parquet, atomically; read input text files.

Writing goes to a temporary file next to the target and is moved into place with
:func:`os.replace`, so a reader (or a killed run) never sees half a file. Reading text checks
that the path is a file and that it is UTF-8, and says where it is not, instead of letting a
bare ``UnicodeDecodeError`` reach the user.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd

from steppe.errors import InputError
from steppe.model.validation import Problem

TABLE_FORMATS: tuple[str, ...] = (".csv", ".parquet")
"""File extensions :func:`write_table` understands."""


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a table to CSV or Parquet, chosen by the file extension, atomically.

    Parameters
    ----------
    frame
        Table to write; its index is not written.
    path
        Target file, ending in ``.csv`` (UTF-8, comma-separated, one header line) or
        ``.parquet``. Missing parent folders are created.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    steppe.errors.InputError
        If the extension is neither ``.csv`` nor ``.parquet``.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in TABLE_FORMATS:
        fail(Problem(str(target), None, "extension", target.suffix, "'.csv' or '.parquet'"),
             "cannot write table")
    if suffix == ".csv":
        atomic_write(target, lambda fh: frame.to_csv(fh, index=False), text=True)
    else:
        atomic_write(target, lambda fh: frame.to_parquet(fh, index=False), text=False)
    return target


def atomic_write(path: Path, write: Callable[[Any], object], *, text: bool) -> None:
    """Write a file through a temporary sibling, then move it into place.

    Parameters
    ----------
    path
        Final file path; its parent folder is created if needed.
    write
        Called with an open file object (text mode, UTF-8 and ``newline=""`` when ``text``;
        binary otherwise) and writes the content.
    text
        Whether to open the temporary file in text mode.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # Unique per writer, hidden, and in the same folder so that os.replace is a rename.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        handle = tmp.open("x", encoding="utf-8", newline="") if text else tmp.open("xb")
        with handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)  # atomic: os.replace on the same file system
    finally:
        tmp.unlink(missing_ok=True)


def read_text(path: str | os.PathLike[str], *, what: str) -> str:
    """Read a UTF-8 text file (a leading byte-order mark is dropped).

    Parameters
    ----------
    path
        File to read.
    what
        What the file is, for messages (e.g. ``"TNTP network file"``).

    Returns
    -------
    str
        The file's text.

    Raises
    ------
    steppe.errors.InputError
        If the path does not exist, is a folder, cannot be read, or is not UTF-8 text
        (the message names the line and the offending bytes).
    """
    source = Path(path)
    name = str(source)
    if not source.exists():
        fail(Problem(name, None, None, None, f"an existing {what}; there is no such file"),
             f"cannot read {what}")
    if not source.is_file():
        fail(Problem(name, None, None, None, f"a {what}, but this path is a folder"),
             f"cannot read {what}")
    try:
        data = source.read_bytes()
    except OSError as exc:
        fail(Problem(name, None, None, None, f"a readable {what} ({exc.strerror})"),
             f"cannot read {what}")
    return _decode(data, name, what)


def _decode(data: bytes, name: str, what: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        fail(Problem(name, 1, "encoding", "UTF-16 byte-order mark",
                     f"a {what} in UTF-8; re-save the file as UTF-8"), f"cannot read {what}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        shown = " ".join(f"0x{b:02x}" for b in data[exc.start : exc.end])
        fail(Problem(name, line, "encoding", f"byte {shown}",
                     f"a {what} in UTF-8; re-save the file as UTF-8"), f"cannot read {what}")


def fail(problem: Problem, what: str) -> NoReturn:
    """Raise an :class:`~steppe.errors.InputError` for a single problem.

    Parameters
    ----------
    problem
        The problem.
    what
        What was being read or written, for the message.
    """
    raise_problems([problem], what)


def raise_problems(problems: Sequence[Problem], what: str) -> NoReturn:
    """Raise an :class:`~steppe.errors.InputError` listing problems (at least one).

    The message has the same form as :meth:`steppe.model.validation.Problems.raise_if_any`.

    Parameters
    ----------
    problems
        Every problem found.
    what
        What was being read or written, for the message.
    """
    first = problems[0]
    raise InputError(f"{what}: {len(problems)} problem(s) found; the first is: {first}", problems)
