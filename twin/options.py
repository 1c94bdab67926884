"""Checks of command-line options that several commands share, each failing in one line.

One unit rule everywhere: an hours option takes a plain number of hours ("10", "1e1", "0.5")
or a duration with its unit ("90 min", "2 d"). Every check runs before any simulation.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

from twin.units import parse_duration

MAX_HOURS = 100_000.0
"""Longest horizon one run may simulate (about 11 years); a longer one is replications."""
MAX_SEED = 2**63 - 1
"""Seeds are stored as 64-bit integers in study stores."""
MAX_WORKERS = 1024


class OptionError(ValueError):
    """A command-line option is wrong; the message names it and says what to write."""


def hours(value: float | str, option: str = "--hours", *, zero: bool = False) -> float:
    """Hours from a plain number of hours or a duration ("90 min"); finite, positive (or zero
    when ``zero``) and at most ``MAX_HOURS``."""
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        try:
            number = parse_duration(text) / 3600.0
        except ValueError:
            raise OptionError(f"{option} {text!r}: give hours (e.g. 24) or a duration such as "
                              "'90 min' or '2 d'") from None
    if not math.isfinite(number):
        raise OptionError(f"{option} {text}: give a finite number of hours, e.g. 24")
    if number < 0 or (number == 0 and not zero):
        raise OptionError(f"{option} {text}: must be {'at least 0' if zero else 'above 0'} "
                          "hours")
    if number > MAX_HOURS:
        raise OptionError(f"{option} {text}: at most {MAX_HOURS:,.0f} hours (about 11 years); "
                          "for more data run replications")
    return number


def warmup(text: str | None, option: str = "--warmup") -> float | None:
    """Warm-up hours by the same rule as ``hours`` (zero allowed); None: the line's own."""
    return None if text is None else hours(text, option, zero=True)


def study_warmup(text: str | None, option: str = "--warmup") -> float | str | None:
    """A study's warm-up: hours as for ``warmup``, or "auto" (MSER-5 pilot runs)."""
    if text is not None and text.strip().lower() == "auto":
        return "auto"
    try:
        return warmup(text, option)
    except OptionError as exc:
        if "give hours" in str(exc):
            raise OptionError(f"{option} {text!r}: give hours (e.g. 8), a duration such as "
                              "'8 h', or auto") from None
        raise


def seed(value: int | None, option: str = "--seed") -> int | None:
    """A seed: a whole number from 0 to 2^63 - 1."""
    if value is not None and not 0 <= value <= MAX_SEED:
        raise OptionError(f"{option} {value}: give a whole number from 0 to {MAX_SEED}")
    return value


def count(value: int | None, option: str, low: int, high: int, why: str = "") -> int | None:
    """A whole-number option within [low, high]."""
    if value is not None and not low <= value <= high:
        raise OptionError(f"{option} {value}: give a whole number from {low} to {high}"
                          + (f" ({why})" if why else ""))
    return value


def number(value: float | None, option: str, low: float, high: float) -> float | None:
    """A finite number option within [low, high]."""
    if value is not None and not (math.isfinite(value) and low <= value <= high):
        raise OptionError(f"{option} {value}: give a number from {low:g} to {high:g}")
    return value


def out_dir(path: Path, option: str = "--out") -> Path:
    """A folder to write into: made now if missing, refused if it is a file or unwritable."""
    if path.exists() and not path.is_dir():
        raise OptionError(f"{option} {path}: is a file, not a folder; give a folder to write "
                          "the run's outputs into")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OptionError(f"{option} {path}: cannot make the folder ({exc.strerror}); give "
                          "one you can write to") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise OptionError(f"{option} {path}: the folder is not writable; give one you can "
                          "write to")
    return path


def out_file(path: Path, option: str = "--out") -> Path:
    """A file to write: not a folder, its folder existing (made if missing) and writable."""
    if path.is_dir():
        raise OptionError(f"{option} {path}: is a folder; give a file name")
    parent = path.parent
    if parent.exists() and not parent.is_dir():
        raise OptionError(f"{option} {path}: {parent} is a file, not a folder")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OptionError(f"{option} {path}: cannot make its folder ({exc.strerror})") from None
    writable = os.access(path, os.W_OK) if path.exists() else os.access(parent, os.W_OK)
    if not writable:
        raise OptionError(f"{option} {path}: not writable; give a path you can write to")
    return path


_DUCKDB_MAGIC = b"DUCK"


def store(path: Path, option: str = "--store") -> Path:
    """A DuckDB results file: new, or an existing DuckDB file (not a folder, not another file)."""
    out_file(path, option)
    if path.exists():
        try:
            with path.open("rb") as fh:
                head = fh.read(16)
        except OSError as exc:
            raise OptionError(f"{option} {path}: cannot read it ({exc.strerror})") from None
        if head and head[8:12] != _DUCKDB_MAGIC:
            raise OptionError(f"{option} {path}: not a DuckDB file; give a new file name or a "
                              "store written by twin study")
    return path


_ADDRESS = re.compile(r"^(tcp|tls|inproc|ws|wss)://[^\s/:]+(:\d{1,5})?/?$|^[^\s/:]+:\d{1,5}$")


def scheduler(address: str | None, option: str = "--scheduler") -> str | None:
    """A Dask scheduler address, tcp://HOST:PORT (or HOST:PORT)."""
    if address is None:
        return None
    port = address.rsplit(":", 1)[-1].rstrip("/")
    if not _ADDRESS.match(address) or (port.isdigit() and not 0 < int(port) < 65536):
        raise OptionError(f"{option} {address!r}: write it as tcp://HOST:PORT, e.g. "
                          "tcp://127.0.0.1:8786")
    return address
