"""A sweep's output folder: chunk files, the lock, the manifest and what is left to run.

Layout of ``DIR``: ``chunks/part-NNNNNN.parquet`` (finished runs, written atomically as they
come in), ``series/part-NNNNNN.parquet`` (their daily series, if any), ``manifest.json``
(version, base scenarios and their hashes, root seed, design, every invocation) and, once every
run has a row, ``runs.parquet`` (deterministic columns only), ``timings.parquet`` (seconds,
worker, attempts) and ``series.parquet``, which replace the chunks. A run counts as finished once
its row is on disk, so a killed sweep resumes where it stopped.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim import __version__
from sim.config.experiment import Experiment, ExperimentError
from sim.config.scenario import ScenarioError, from_dict
from sim.core.files import atomic_write, write_json
from sim.core.machine import platform_info
from sim.sweep.design import Design, seed_children
from sim.sweep.tasks import TIMING_COLUMNS

OUT_ALLOWED = "a folder this user can write: new, or one an earlier run of the same experiment wrote"
"""The ``allowed`` text of every error about the output folder (field ``out``)."""


def _out_error(out: Path, why: str) -> ExperimentError:
    return ExperimentError(f"out {str(out)!r}: {why}", field="out", allowed=OUT_ALLOWED)


# ---------------------------------------------------------------------------- checks before a run

def check_out(out: str | Path) -> Path:
    """``out`` as a Path, or a one-line error if a sweep cannot write there; writes nothing.

    Refused: an existing file, a path under a file, a folder (or the nearest existing folder
    above a new one) this user cannot write.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise _out_error(out, "is a file; must be a folder")
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise _out_error(out, f"{str(existing)!r} is a file, not a folder")
    folders = [existing] + [out / sub for sub in ("chunks", "series") if (out / sub).is_dir()]
    for folder in folders:
        if not os.access(folder, os.W_OK | os.X_OK):
            raise _out_error(out, f"folder {str(folder)!r} is not writable")
    return out


def make_out(out: Path) -> None:
    """Create the output folder (and the folders above it); a one-line error if the system refuses."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _out_error(out, f"cannot create it ({exc.strerror or exc})") from None


class OutputLock:
    """An exclusive lock on the output folder: two sweeps must not write the same chunks."""

    def __init__(self, out: Path) -> None:
        self.file = open(out / ".lock", "w")
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.file.close()
            raise _out_error(out, "another sweep is writing there") from None

    def release(self) -> None:
        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()

    def __enter__(self) -> OutputLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


# ---------------------------------------------------------------------------- manifest

def fingerprint(exp: Experiment, design: Design) -> str:
    """Hash of what decides the results: the experiment's settings, base scenarios and design points."""
    bases = {name: exp.base_data(name) for name in exp.base_names()}
    text = json.dumps([exp.fingerprint(), bases, design.points], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def manifest(exp: Experiment, design: Design) -> dict[str, Any]:
    """The experiment manifest: version, scenarios and their hashes, root seed, design."""
    bases = {}
    for name in exp.base_names():
        data = exp.base_data(name)
        try:
            h = from_dict(data).hash()
        except ScenarioError:  # the base alone may be invalid until the parameters are applied
            h = None
        bases[name] = {"hash": h, "name": data.get("meta", {}).get("name", name)}
    return {
        "version": __version__,
        "experiment": exp.to_dict(),
        "fingerprint": fingerprint(exp, design),
        "scenarios": bases,
        "root_seed": exp.root_seed,
        "seeds": {"mode": exp.seeds, "children": seed_children(exp, len(design.points)),
                  "rule": "seed = SeedSequence(root_seed, spawn_key=(seed_spawn_key,)).generate_state(1, uint64)[0] "
                          ">> 1, i.e. child seed_spawn_key of SeedSequence(root_seed).spawn(children); "
                          "common: seed_spawn_key = replicate, independent: point x replicates + replicate"},
        "design": {"kind": exp.design, "points": len(design.points), "replicates": exp.replicates,
                   "runs": design.n_runs, "samples": exp.samples, "second_order": exp.second_order,
                   "run_id": "point x replicates + replicate", "problem": design.problem},
        "metrics": list(exp.metrics),
        "series": list(exp.series),
        "environment": {"python": sys.version.split()[0], "numpy": np.__version__, "numba": version("numba"),
                        "pandas": pd.__version__, "scipy": version("scipy"), "pyarrow": pa.__version__},
        "platform": platform_info(),  # of the latest invocation; results do not depend on it
    }


def open_manifest(out: Path, info: dict[str, Any], started: str) -> dict[str, Any]:
    """Check that ``out`` holds nothing but runs of this experiment, then mark it 'running'.

    Returns ``info`` with the folder's creation time and earlier invocations carried over.
    """
    path = out / "manifest.json"
    if path.exists():
        old = json.loads(path.read_text())
        if old.get("fingerprint") != info["fingerprint"] or old.get("version") != info["version"]:
            raise _out_error(out, f"holds runs of a different experiment or version (fingerprint "
                                  f"{old.get('fingerprint')} v{old.get('version')}, this one {info['fingerprint']} "
                                  f"v{info['version']}); choose another output folder or remove that one")
        info["created"] = old.get("created")
        info["invocations"] = old.get("invocations", [])
    info.setdefault("created", started)
    info["status"] = "running"
    write_json(path, info, default=str)
    return info


def close_manifest(out: Path, info: dict[str, Any], n_runs: int, invocation: dict[str, Any]) -> list[Path]:
    """Consolidate the chunks if every run has a row, record the invocation; the files written."""
    runs = read_runs(out)
    files = [out / "manifest.json"]
    if len(runs) == n_runs:
        files += consolidate(out, runs)
    info["status"] = "complete" if len(runs) == n_runs else "incomplete"
    info["finished"] = now()
    info["counts"] = {"runs": n_runs, "ok": int((runs["status"] == "ok").sum()),
                      "error": int((runs["status"] == "error").sum())}
    info.setdefault("invocations", []).append(invocation)  # every command that worked on this folder, oldest first
    write_json(out / "manifest.json", info, default=str)
    return files


def now() -> str:
    """The time in UTC, to the second (ISO 8601), as the manifest records it."""
    return datetime.now(UTC).isoformat(timespec="seconds")


# ---------------------------------------------------------------------------- runs on disk

def write_parquet(path: Path, df: pd.DataFrame) -> None:
    """``df`` (without its index) to ``path``, atomically."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    atomic_write(path, lambda p: pq.write_table(table, p))


def chunk_files(folder: Path) -> list[Path]:
    """The chunk files of ``folder``, oldest first."""
    return sorted(p for p in folder.glob("part-*.parquet")) if folder.is_dir() else []


def read_runs(out: str | Path) -> pd.DataFrame:
    """All finished runs of an output folder, one row per run id (the latest row wins), by run id."""
    out = Path(out)
    frames = []
    if (out / "runs.parquet").exists():
        done = pd.read_parquet(out / "runs.parquet")
        if (out / "timings.parquet").exists():
            done = done.merge(pd.read_parquet(out / "timings.parquet"), on="run_id", how="left")
        frames.append(done)
    frames += [pd.read_parquet(p) for p in chunk_files(out / "chunks")]
    if not frames:
        return pd.DataFrame()
    df = pd.concat(frames, ignore_index=True)
    return df.drop_duplicates("run_id", keep="last").sort_values("run_id").reset_index(drop=True)


def read_series(out: str | Path) -> pd.DataFrame:
    """The per-run daily series of an output folder (long format: run_id, day, columns)."""
    out = Path(out)
    frames = [pd.read_parquet(out / "series.parquet")] if (out / "series.parquet").exists() else []
    frames += [pd.read_parquet(p) for p in chunk_files(out / "series")]
    if not frames:
        return pd.DataFrame()
    df = pd.concat(frames, ignore_index=True)
    return df.drop_duplicates(["run_id", "day"], keep="last").sort_values(["run_id", "day"]).reset_index(drop=True)


def pending_runs(out: Path, n_runs: int, retry_failed: bool) -> list[int]:
    """Run ids without a row in ``out`` (or whose row is an error, with ``retry_failed``), in order.

    Also makes ``chunks/`` and removes the temporary files of a sweep killed in the middle of a write.
    """
    (out / "chunks").mkdir(exist_ok=True)
    remove_partial_writes(out)
    finished = read_runs(out)
    keep = finished if not retry_failed or finished.empty else finished[finished["status"] == "ok"]
    done = set(keep["run_id"].tolist()) if not keep.empty else set()
    return [r for r in range(n_runs) if r not in done]


def remove_partial_writes(out: Path) -> None:
    """Remove the temporary files of writes that were interrupted (a sweep killed, or stopped mid-write)."""
    for stale in [*out.glob("**/.part-*"), *out.glob(".*.parquet.*"), *out.glob(".manifest.json.*")]:
        stale.unlink(missing_ok=True)


class ChunkWriter:
    """Buffers finished runs and writes them as atomic chunk files every ``chunk_runs`` runs or seconds."""

    def __init__(self, out: Path, columns: list[str], chunk_runs: int, chunk_seconds: float) -> None:
        self.out, self.columns = out, columns
        self.chunk_runs, self.chunk_seconds = chunk_runs, chunk_seconds
        self.rows: list[dict[str, Any]] = []
        self.series: list[pd.DataFrame] = []
        self.last = time.monotonic()
        existing = chunk_files(out / "chunks") + chunk_files(out / "series")
        self.seq = 1 + max((int(p.stem.split("-")[1]) for p in existing), default=0)

    def add(self, row: dict[str, Any]) -> None:
        series = row.pop("_series", None)
        if series is not None:
            frame = pd.DataFrame(series)
            frame.insert(0, "run_id", np.int64(row["run_id"]))
            self.series.append(frame)
        self.rows.append(row)
        if len(self.rows) >= self.chunk_runs or time.monotonic() - self.last >= self.chunk_seconds:
            self.flush()

    def flush(self) -> None:
        self.last = time.monotonic()
        if not self.rows:
            return
        name = f"part-{self.seq:06d}.parquet"
        if self.series:  # series first: a run counts as finished only once its row is on disk
            (self.out / "series").mkdir(exist_ok=True)
            write_parquet(self.out / "series" / name, pd.concat(self.series, ignore_index=True))
        df = pd.DataFrame(self.rows).reindex(columns=self.columns)
        write_parquet(self.out / "chunks" / name, typed(df))
        self.seq += 1
        self.rows, self.series = [], []

    def close(self) -> None:
        """Write what is buffered, then remove any temporary file an interrupted write left behind.

        A Ctrl-C or SIGTERM that lands between creating a chunk's temporary file and the cleanup
        of a failed write could leave one; this process is the folder's only writer, so after the
        last flush no temporary file there is in use.
        """
        try:
            self.flush()
        finally:
            remove_partial_writes(self.out)


def typed(df: pd.DataFrame) -> pd.DataFrame:
    """Stable dtypes, whatever a chunk happens to hold (metrics float64, ids int64, text str)."""
    out = df.copy()
    for col in out.columns:
        if col in ("run_id", "point", "replicate", "seed", "seed_spawn_key", "attempts"):
            out[col] = out[col].fillna(0).astype("int64")
        elif col in ("scenario_hash", "status", "error", "worker"):
            out[col] = out[col].fillna("").astype(str)
    return out


def consolidate(out: Path, runs: pd.DataFrame) -> list[Path]:
    """runs.parquet (deterministic columns) and timings.parquet; then drop the chunk files."""
    runs = typed(runs)
    timing = [c for c in TIMING_COLUMNS if c in runs.columns]
    write_parquet(out / "runs.parquet", runs.drop(columns=timing))
    write_parquet(out / "timings.parquet", runs[["run_id", *timing]])
    files = [out / "runs.parquet", out / "timings.parquet"]
    series_parts = chunk_files(out / "series")
    if series_parts or (out / "series.parquet").exists():
        write_parquet(out / "series.parquet", read_series(out))
        files.append(out / "series.parquet")
    for p in chunk_files(out / "chunks") + series_parts:
        p.unlink()
    for folder in (out / "chunks", out / "series"):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return files
