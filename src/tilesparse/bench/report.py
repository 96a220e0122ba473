"""Records of a benchmark run: the environment, printed tables, and CSV + JSON files."""

from __future__ import annotations

import csv
import json
import math
import os
import platform
import re
from datetime import datetime, timezone
from pathlib import Path

import torch

from .. import __version__
from ..backend import use_triton
from .linear import CPU_THREADS, Timing

# Columns every row carries from the run's environment, so that a CSV row stands on its own.
ROW_META = ("device", "gpu", "torch", "triton", "date")


def environment(device: torch.device, timing: Timing) -> dict:
    """What ran the benchmark: device, GPU name, versions, date, and which tilesparse path was timed."""
    device = torch.device(device)
    cuda = device.type == "cuda"
    try:
        import triton

        triton_version = triton.__version__
    except ImportError:
        triton_version = ""
    now = datetime.now(timezone.utc)
    probe = torch.empty(0, device=device)
    return {
        "device": device.type,
        "gpu": torch.cuda.get_device_name(device) if cuda else "none",
        "cpu": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "cpu_threads": CPU_THREADS if not cuda else torch.get_num_threads(),
        "torch": torch.__version__,
        "triton": triton_version,
        "cuda": torch.version.cuda or "",
        "tilesparse": __version__,
        "path": "triton kernels" if use_triton(probe) else "pytorch reference",
        "date": now.date().isoformat(),
        "timestamp": now.isoformat(timespec="seconds"),
        "warmup_ms": timing.warmup_ms,
        "rep_ms": timing.rep_ms,
        "timer": (
            "ms, dense_ms, peer_ms: device time per call from a cold L2, CUDA-graph replays minus the L2 flush "
            "(do_bench where a call cannot be captured); eager_ms: do_bench of the eager call, launch overhead "
            "included"
            if cuda
            else "median wall time"
        ),
    }


def describe(meta: dict) -> str:
    """One line naming what ran: the GPU, or the CPU and its thread count."""
    where = meta["gpu"] if meta["device"] == "cuda" else f"{meta['cpu']}, timed on {meta['cpu_threads']} thread(s)"
    return f"device: {meta['device']} ({where}), tilesparse path: {meta['path']}, torch {meta['torch']}"


def slug(meta: dict) -> str:
    """File-name stem of a run: the GPU name (or ``cpu``) and the date."""
    name = meta["gpu"] if meta["device"] == "cuda" else "cpu"
    return f"{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}-{meta['date']}"


def _json_value(v):
    return None if isinstance(v, float) and not math.isfinite(v) else v


def write_records(
    rows: list[dict], meta: dict, out_dir: str | Path, stem: str, extra: dict | None = None
) -> list[Path]:
    """Write ``<stem>.csv`` (one row per case, environment columns included) and ``<stem>.json``
    (``meta``, ``rows`` and ``extra``; NaN written as null)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    full = [{**row, **{k: meta[k] for k in ROW_META}} for row in rows]
    columns = list(dict.fromkeys(k for row in full for k in row))
    csv_path, json_path = out_dir / f"{stem}.csv", out_dir / f"{stem}.json"
    with open(csv_path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(full)
    record = {"meta": meta, "rows": [{k: _json_value(v) for k, v in row.items()} for row in full], **(extra or {})}
    with open(json_path, "w") as f:
        json.dump(record, f, indent=1)
    return [csv_path, json_path]


# -- printed tables -----------------------------------------------------------------------------------------


def _cell(value, fmt: str) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "-"
    return format(value, fmt) if fmt else str(value)


def table(rows: list[dict], columns: list[tuple[str, str, str]]) -> str:
    """A fixed-width table; ``columns`` are (key, header, format spec)."""
    cells = [[header for _, header, _ in columns]]
    cells += [[_cell(row.get(key, ""), fmt) for key, _, fmt in columns] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    left = [bool(rows) and isinstance(rows[0].get(key), str) for key, _, _ in columns]  # text left, numbers right
    just = lambda c, w, lft: c.ljust(w) if lft else c.rjust(w)
    return "\n".join("  ".join(map(just, r, widths, left)).rstrip() for r in cells)


def pivot(rows: list[dict], keys: tuple[str, ...], column: str, value: str, fmt: str = ".2f") -> str:
    """``value`` in a grid: one line per distinct ``keys``, one column per distinct ``column``."""
    cols = list(dict.fromkeys(row[column] for row in rows))
    grid: dict[tuple, dict] = {}
    for row in rows:
        grid.setdefault(tuple(row[k] for k in keys), {})[row[column]] = row[value]
    lines = [
        {**dict(zip(keys, key, strict=True)), **{str(c): v.get(c, math.nan) for c in cols}} for key, v in grid.items()
    ]
    return table(lines, [(k, k, "") for k in keys] + [(str(c), f"{column}={c}", fmt) for c in cols])
