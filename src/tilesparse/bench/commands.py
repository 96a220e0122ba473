"""The sub-commands: ``speedup`` (the original paper's figure), ``suite`` (the performance targets), ``conv``
(``tilesparse.conv2d`` against cuDNN) and ``merge`` (several suite result files as one table).

Each builds a plan of cases, measures them with its op's ``measure`` (``linear`` or ``conv``) group by group
(operands and dense baselines shared within a group, memory freed between cases), prints, and writes its
records.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import torch

from . import conv as conv_bench
from . import limits, plot, report, targets
from .linear import CPU_THREADS, DEFAULT_TIMING, PRODUCTS, Case, Operands, Timing, measure, timing_threads


@dataclass(frozen=True)
class Shape:
    out_features: int
    in_features: int
    batch: int


SPARSITIES = (0.0, 0.25, 0.5, 0.75, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99)
SPEEDUP_SHAPES = (Shape(12288, 12288, 32), Shape(8192, 8192, 8192))
SPEEDUP_CPU_SHAPES = (Shape(2048, 2048, 32), Shape(2048, 2048, 256))
CPU_NOTE = (
    "No CUDA device: CPU fallback. Timing tilesparse's PyTorch reference path against dense CPU matmul on small "
    f"shapes, on {CPU_THREADS} thread(s); these numbers say nothing about GPU performance."
)


def _device(device: str | torch.device | None) -> torch.device:
    return torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))


def _free(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.empty_cache()


def _describe(row: dict) -> str:
    peer = f"peer {row['peer_ms']:.4f} ms" if math.isfinite(row["peer_ms"]) else "peer -"
    fail = f"  ERROR {row['error']}" if row["error"] else ""
    return (
        f"{row['product']:7s} {row['dtype']} b{row['block_size']:<3d} M={row['batch']} "
        f"{row['out_features']}x{row['in_features']} d={row['density']:<5g} {row['layout']:6s} "
        f"{row['ms']:.4f} ms ({row['tflops']:.1f} TFLOP/s), dense {row['dense_ms']:.4f} ms, {peer}; "
        f"speedup {row['speedup']:.2f}, eff {row['efficiency']:.2f}{fail}"
    )


@dataclass(frozen=True)
class Op:
    """What ``run_cases`` needs of an op's measurements module: the operands a group of cases shares, the
    measurement of one case, the layouts that have a peer, and the progress line of a row."""

    operands: Callable
    measure: Callable
    peer_layouts: tuple[str, ...]
    describe: Callable[[dict], str]


LINEAR = Op(Operands, measure, ("random",), _describe)
CONV = Op(conv_bench.Operands, conv_bench.measure, conv_bench.PEER_LAYOUTS, conv_bench.describe)


def run_cases(
    cases: list, device: torch.device, timing: Timing, peer: bool = True, seed: int = 0, op: Op = LINEAR
) -> list[dict]:
    """Measure ``cases`` group by group (cases keep their order within a group). Prints one line per case."""
    order = {g: i for i, g in enumerate(dict.fromkeys(c.group() for c in cases))}
    cases = sorted(cases, key=lambda c: order[c.group()])
    rows: list[dict] = []
    with timing_threads(device):
        for _, group in itertools.groupby(cases, key=lambda c: c.group()):
            group = list(group)
            ops = op.operands(group[0], device, seed)
            dense_cache: dict = {}
            for case in group:
                with_peer = peer and case.layout in op.peer_layouts
                row = op.measure(case, ops, timing, dense_cache, peer=with_peer, seed=seed)
                rows.append(row)
                print(f"[{len(rows)}/{len(cases)}] {op.describe(row)}", flush=True)
                _free(device)
            del ops
            _free(device)
    return rows


def _print_targets(results: list[dict], rows: list[dict], meta: dict, cpu: bool) -> None:
    print("\ntargets" + (" (smoke run on tiny CPU shapes: not meaningful)" if cpu else ""))
    print(targets.summary(results))
    print(f"\n{len(rows)} cases in {meta['seconds']} s")


def _write(rows: list[dict], meta: dict, out_dir, stem: str, plot_fn, png_name: str, extra=None) -> list[Path]:
    """The records (``<stem>.csv``, ``<stem>.json``) and the figure ``png_name`` (when matplotlib is there)."""
    paths = report.write_records(rows, meta, out_dir, stem, extra=extra)
    png = plot_fn(rows, meta, Path(out_dir) / png_name)
    paths += [png] if png else []
    print("wrote " + ", ".join(str(p) for p in paths))
    return paths


# -- speedup -------------------------------------------------------------------------------------------------


SPEEDUP_COLUMNS = [
    ("out_features", "out", ""),
    ("in_features", "in", ""),
    ("batch", "batch", ""),
    ("sparsity", "sparsity", ".2f"),
    ("nnz", "nnz", ""),
    ("ms", "ms", ".4f"),
    ("dense_ms", "dense ms", ".4f"),
    ("peer_ms", "peer ms", ".4f"),
    ("speedup", "speedup", ".2f"),
    ("peer_speedup", "peer speedup", ".2f"),
    ("ideal_speedup", "ideal", ".1f"),
    ("bound_speedup", "floor allows", ".1f"),
    ("tflops", "TFLOP/s", ".2f"),
    ("rel_err", "rel err", ".1e"),
]


def speedup(
    shapes: tuple[Shape, ...] | None = None,
    sparsities: tuple[float, ...] = SPARSITIES,
    block_size: int = 32,
    dtype: str | None = None,
    device: str | torch.device | None = None,
    out_dir: str | Path = "bench/results",
    timing: Timing = DEFAULT_TIMING,
    peer: bool = True,
    seed: int = 0,
) -> dict:
    """Speedup of the forward product over dense vs sparsity. GPU: fp16, the paper's 12288 x 12288 batch 32
    and 8192 x 8192 batch 8192; CPU: fp32, 2048 x 2048 batch 32 and 256 (reference path).
    Writes ``<slug>-speedup.{csv,json,png}`` into ``out_dir``; returns ``meta``, ``rows`` and ``paths``."""
    device = _device(device)
    cpu = device.type == "cpu"
    shapes = shapes or (SPEEDUP_CPU_SHAPES if cpu else SPEEDUP_SHAPES)
    dtype = dtype or ("fp32" if cpu else "fp16")
    meta = {**report.environment(device, timing), "dtype": dtype, "command": "speedup"}
    if cpu:
        meta["note"] = CPU_NOTE
        print(CPU_NOTE)
    print(f"{report.describe(meta)}, dtype {dtype}")
    cases = [
        Case("forward", dtype, s.batch, s.out_features, s.in_features, block_size, round(1 - sp, 6), family="speedup")
        for s in shapes
        for sp in sparsities
    ]
    rows = run_cases(cases, device, timing, peer=peer, seed=seed)
    for row in rows:
        row["sparsity"] = round(1 - row["density"], 6)
        row["ideal_speedup"] = 1 / row["density"]
    print(report.table(rows, SPEEDUP_COLUMNS))
    peers = sorted({r["peer_impl"] for r in rows if r["peer_impl"]})
    print(f"peer: faster of PyTorch BSR implementations ({', '.join(peers) or 'none ran'})")
    stem = f"{report.slug(meta)}-speedup"
    paths = _write(rows, meta, out_dir, stem, plot.speedup, f"{stem}.png")
    return {"meta": meta, "rows": rows, "paths": paths}


# -- suite ----------------------------------------------------------------------------------------------------


SUITE_DTYPES = ("fp16", "bf16", "tf32")
SWEEP_BLOCKS = (8, 16, 32, 64, 128)
SWEEP_DENSITIES = (0.5, 0.25, 0.1, 0.05, 0.01)
SEED_DENSITIES = (0.5, 0.25, 0.1, 0.05, 0.02, 0.01)
BA_DENSITIES = (0.1, 0.05, 0.01)
TF32_BLOCKS = (32, 64, 128)
FAMILIES = ("sweep", "seed", "ba", "tf32")  # the plan's parts: 8192^2 sweep, seed shape, hub layouts, TF32


def _case(product: str, shape: Shape, dtype: str, block_size: int, density: float, family: str, layout="random"):
    return Case(product, dtype, shape.batch, shape.out_features, shape.in_features, block_size, density, layout, family)


# Printed grids of the suite: (family, value), value by (product, dtype, block) x density.
PIVOTS = (("sweep", "efficiency"), ("sweep", "vs_peer"), ("tf32", "efficiency"), ("seed", "speedup"))
PIVOT_TITLES = {
    "efficiency": "efficiency (dense_ms x density / ms)",
    "vs_peer": "speedup over the peer (peer_ms / ms)",
    "speedup": "speedup over dense (dense_ms / ms)",
}


@dataclass(frozen=True)
class Plan:
    """What the suite measures; ``quick()`` is a first look, ``tiny()`` the CPU smoke run."""

    large: Shape = Shape(8192, 8192, 8192)
    seed: Shape = Shape(12288, 12288, 32)
    blocks: tuple[int, ...] = SWEEP_BLOCKS
    densities: tuple[float, ...] = SWEEP_DENSITIES
    seed_densities: tuple[float, ...] = SEED_DENSITIES
    ba_densities: tuple[float, ...] = BA_DENSITIES
    tf32_blocks: tuple[int, ...] = TF32_BLOCKS
    dtypes: tuple[str, ...] = SUITE_DTYPES

    @classmethod
    def quick(cls) -> Plan:
        return cls(
            blocks=(16, 32, 128),
            densities=(0.5, 0.1, 0.01),
            seed_densities=(0.1, 0.01),
            ba_densities=(0.1,),
            tf32_blocks=(32,),
            dtypes=("fp16", "tf32"),
        )

    @classmethod
    def tiny(cls) -> Plan:
        return replace(
            cls.quick(), large=Shape(256, 256, 64), seed=Shape(512, 512, 8), blocks=(16, 32), dtypes=("fp32", "tf32")
        )

    def cases(self, products=PRODUCTS, dtypes=None, block_sizes=None, families=None) -> list[Case]:
        """Every case of the plan, each once, kept to the given products, dtypes, block sizes and families
        (``FAMILIES``)."""
        dtypes = tuple(dtypes or self.dtypes)
        plain = [d for d in dtypes if d != "tf32"]
        big, seed = self.large, self.seed
        cases = []
        for p in products:
            cases += [_case(p, big, dt, bs, d, "sweep") for dt in plain for bs in self.blocks for d in self.densities]
            cases += [_case(p, seed, dt, 32, d, "seed") for dt in plain for d in self.seed_densities]
            for dt in plain:
                for d in self.ba_densities:
                    cases += [_case(p, big, dt, 32, d, "sweep"), _case(p, big, dt, 32, d, "ba", layout="ba")]
            if "tf32" in dtypes:
                cases += [_case(p, big, "tf32", bs, d, "tf32") for bs in self.tf32_blocks for d in self.densities]
        cases = list(dict.fromkeys(cases))  # equal cases (family aside) once, the first one's family kept
        cases = [c for c in cases if families is None or c.family in families]
        return [c for c in cases if block_sizes is None or c.block_size in block_sizes]


def _print_pivots(rows: list[dict]) -> None:
    """The suite's tables (``PIVOTS``): one row per product, dtype and block size, one column per density."""
    for family, value in PIVOTS:
        mine = [r for r in rows if r["family"] == family]
        if mine:
            print(
                f"\n{PIVOT_TITLES[value]}, {family}: {mine[0]['out_features']}x{mine[0]['in_features']}, "
                f"batch {mine[0]['batch']}, {mine[0]['layout']} layouts"
            )
            print(report.pivot(mine, ("product", "dtype", "block_size"), "density", value))


def suite(
    plan: Plan | None = None,
    products: tuple[str, ...] = PRODUCTS,
    dtypes: tuple[str, ...] | None = None,
    block_sizes: tuple[int, ...] | None = None,
    device: str | torch.device | None = None,
    out_dir: str | Path = "bench/results",
    timing: Timing = DEFAULT_TIMING,
    peer: bool = True,
    seed: int = 0,
    write: bool | None = None,
    families: tuple[str, ...] | None = None,
) -> dict:
    """Measure the plan, print the efficiency tables and which targets are met, and write
    ``<slug>.{csv,json}`` and ``<slug>-efficiency.png`` (``write``: by default only with CUDA).
    Without CUDA the default plan is a tiny smoke run of the code path. ``families``: only those parts of the
    plan (``FAMILIES``; a case two parts share keeps the first one's family)."""
    device = _device(device)
    cpu = device.type == "cpu"
    write = not cpu if write is None else write
    if cpu:
        print("The suite needs CUDA: running a tiny CPU smoke run of its code path instead.")
    plan = plan or (Plan.tiny() if cpu else Plan())
    cases = plan.cases(products, dtypes, block_sizes, families)
    meta = {**report.environment(device, timing), "command": "suite", "plan": asdict(plan)}
    meta["limits"] = limits.measured(device)
    meta["filters"] = {"products": list(products), "dtypes": list(dtypes or plan.dtypes), "block_sizes": block_sizes,
                       "families": families}
    print(f"{report.describe(meta)}; {len(cases)} cases")
    start = time.perf_counter()
    rows = run_cases(cases, device, timing, peer=peer, seed=seed)
    meta["seconds"] = round(time.perf_counter() - start, 1)
    _print_pivots(rows)
    results = targets.check(rows)
    _print_targets(results, rows, meta, cpu)
    paths = []
    if write:
        stem = report.slug(meta)
        paths = _write(rows, meta, out_dir, stem, plot.efficiency, f"{stem}-efficiency.png", {"targets": results})
    return {"meta": meta, "rows": rows, "targets": results, "paths": paths}


# -- merge ----------------------------------------------------------------------------------------------------

MERGE_KEY = tuple(f.name for f in fields(Case) if f.compare)  # a case's identity: every field but its family


def load_rows(path: str | Path) -> tuple[dict, list[dict]]:
    """(meta, rows) of a result file written by ``suite``; nulls (NaN on writing) read back as NaN."""
    record = json.loads(Path(path).read_text())
    rows = [{k: math.nan if v is None else v for k, v in row.items()} for row in record["rows"]]
    return record["meta"], rows


def merge(paths: list[str | Path], out_dir: str | Path = "bench/results", stem: str | None = None,
          write: bool = True) -> dict:
    """The rows of several suite result files as one table, later files first: a row replaces an earlier file's
    row of the same case (``MERGE_KEY``: the family aside). Each row keeps its own run's dense baseline, so its
    efficiency is that run's, and names its file in ``source``. Prints the pivots and the targets over the merged
    rows; writes ``<stem>.{csv,json}`` and ``<stem>-efficiency.png`` (stem: the newest file's slug + ``-merged``)."""
    if not paths:
        raise ValueError("expected at least one result file to merge, got none")
    merged: dict[tuple, dict] = {}
    metas = []
    for path in paths:
        meta, rows = load_rows(path)
        metas.append(meta)
        for row in rows:
            merged[tuple(row[k] for k in MERGE_KEY)] = {**row, "source": Path(path).name}
    rows = list(merged.values())
    newest = max(metas, key=lambda m: m.get("timestamp", m["date"]))
    meta = {
        **newest,
        "command": "merge",
        "sources": [Path(p).name for p in paths],
        **{k: ", ".join(sorted({str(m[k]) for m in metas})) for k in ("gpu", "torch", "triton")},
    }
    _print_pivots(rows)
    results = targets.check(rows)
    print("\ntargets over the merged rows")
    print(targets.summary(results))
    paths_out = []
    if write:
        stem = stem or f"{report.slug(newest)}-merged"
        paths_out = _write(rows, meta, out_dir, stem, plot.efficiency, f"{stem}-efficiency.png", {"targets": results})
    return {"meta": meta, "rows": rows, "targets": results, "paths": paths_out}


# -- conv -----------------------------------------------------------------------------------------------------


CONV_COLUMNS = [
    ("product", "product", ""),
    ("block_size", "block", ""),
    ("layout", "layout", ""),
    ("density", "density", ".4g"),
    ("ms", "ms", ".4f"),
    ("dense_ms", "dense ms", ".4f"),
    ("peer_ms", "grouped ms", ".4f"),
    ("speedup", "speedup", ".2f"),
    ("vs_peer", "vs grouped", ".2f"),
    ("efficiency", "efficiency", ".2f"),
    ("tflops", "TFLOP/s", ".1f"),
    ("rel_err", "rel err", ".1e"),
]


def conv(
    plan: conv_bench.Plan | None = None,
    products: tuple[str, ...] = PRODUCTS,
    block_sizes: tuple[int, ...] | None = None,
    device: str | torch.device | None = None,
    out_dir: str | Path = "bench/results",
    timing: Timing = DEFAULT_TIMING,
    peer: bool = True,
    seed: int = 0,
    write: bool | None = None,
) -> dict:
    """``tilesparse.conv2d`` against cuDNN (``bench.conv``): measure the plan, print the efficiency grid, the
    block-diagonal and full-layout rows and which targets are met, and write ``<slug>-conv.{csv,json,png}``
    (``write``: by default only with CUDA). Without CUDA the default plan is a tiny smoke run."""
    device = _device(device)
    cpu = device.type == "cpu"
    write = not cpu if write is None else write
    if cpu:
        print(
            "The conv benchmark needs CUDA: running a tiny CPU smoke run of its code path instead (PyTorch "
            "reference against aten's CPU conv; the numbers say nothing about GPU performance)."
        )
    plan = plan or (conv_bench.Plan.tiny() if cpu else conv_bench.Plan())
    cases = plan.cases(products, block_sizes)
    meta = {**report.environment(device, timing), "command": "conv", "plan": asdict(plan), "cudnn_benchmark": True}
    meta["filters"] = {"products": list(products), "block_sizes": block_sizes}
    print(
        f"{report.describe(meta)}; {len(cases)} cases: {plan.dtype}, channels-last, batch {plan.batch}, "
        f"C=K={plan.channels}, {plan.spatial}x{plan.spatial}, {plan.kernel}x{plan.kernel}, stride 1"
    )
    start = time.perf_counter()
    rows = run_cases(cases, device, timing, peer=peer, seed=seed, op=CONV)
    meta["seconds"] = round(time.perf_counter() - start, 1)
    sweep = [r for r in rows if r["layout"] == "random"]
    if sweep:
        print("\nefficiency (dense_ms x density / ms), random layouts")
        print(report.pivot(sweep, ("product", "dtype", "block_size"), "density", "efficiency"))
    print("\nblock-diagonal (vs the grouped conv) and full layouts")
    print(report.table([r for r in rows if r["layout"] != "random"], CONV_COLUMNS))
    results = conv_bench.check(rows)
    _print_targets(results, rows, meta, cpu)
    paths = []
    if write:
        stem = f"{report.slug(meta)}-conv"
        paths = _write(rows, meta, out_dir, stem, conv_bench.plot_efficiency, f"{stem}.png", {"targets": results})
    return {"meta": meta, "rows": rows, "targets": results, "paths": paths}
