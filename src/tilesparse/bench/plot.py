"""PNG figures of benchmark rows. matplotlib is optional: without it the figure is skipped with a message."""

from __future__ import annotations

import math
from pathlib import Path

from .targets import EFFICIENCY


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no PNG written (pip install matplotlib)")
        return None
    return plt


def _title(meta: dict, what: str) -> str:
    where = meta["gpu"] if meta["device"] == "cuda" else f"CPU fallback ({meta['path']})"
    merged = f", merged from {len(meta['sources'])} result files" if meta.get("sources") else ""
    return f"{what}{merged}\n{where}, torch {meta['torch']}, triton {meta['triton']}, {meta['date']}"


def speedup(rows: list[dict], meta: dict, path: str | Path) -> Path | None:
    """The original paper's figure: speedup over dense vs sparsity, one panel per shape, log y."""
    plt = _pyplot()
    if plt is None:
        return None
    shapes = list(dict.fromkeys((r["out_features"], r["in_features"], r["batch"]) for r in rows))
    fig, axes = plt.subplots(1, len(shapes), figsize=(6 * len(shapes), 4.5), squeeze=False)
    for ax, (n, k, m) in zip(axes[0], shapes, strict=True):
        mine = [r for r in rows if (r["out_features"], r["in_features"], r["batch"]) == (n, k, m)]
        xs = range(len(mine))
        ax.plot(xs, [r["ideal_speedup"] for r in mine], "k:", label="ideal 1/(1-s)")
        floor = [r.get("bound_speedup", math.nan) for r in mine]
        if any(math.isfinite(f) for f in floor):
            ax.plot(xs, floor, "x--", color="grey", label="one launch reading the bytes once (floor)")
        ax.plot(xs, [1.0] * len(mine), "k--", label="dense (cuBLAS)" if meta["device"] == "cuda" else "dense")
        ax.plot(xs, [r["speedup"] for r in mine], "o-", label="tilesparse")
        peer = [r["peer_speedup"] for r in mine]
        if any(math.isfinite(p) for p in peer):
            ax.plot(xs, peer, "s-", label="PyTorch BSR")
        ax.set_yscale("log")
        ax.set_xticks(list(xs), [f"{r['sparsity']:.0%}" for r in mine])
        ax.set_xlabel("sparsity")
        ax.set_ylabel("speedup over dense")
        ax.set_title(f"weight {n}x{k}, batch {m}, block {mine[0]['block_size']}, {mine[0]['dtype']}", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(_title(meta, "tilesparse.linear forward: speedup over dense"), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


def efficiency(rows: list[dict], meta: dict, path: str | Path, dtype: str = "fp16") -> Path | None:
    """Efficiency vs density per block size, one panel per product, on the suite's sweep (random layouts)
    in ``dtype`` (or the first dtype the sweep has, without it)."""
    sweep = [r for r in rows if r["family"] == "sweep"]
    if not sweep:
        print("no sweep rows: no efficiency PNG written")
        return None
    plt = _pyplot()
    if plt is None:
        return None
    dtype = dtype if any(r["dtype"] == dtype for r in sweep) else sweep[0]["dtype"]
    sweep = [r for r in sweep if r["dtype"] == dtype]
    products = list(dict.fromkeys(r["product"] for r in sweep))
    fig, axes = plt.subplots(1, len(products), figsize=(5 * len(products), 4.2), squeeze=False, sharey=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, product in zip(axes[0], products, strict=True):
        mine = [r for r in sweep if r["product"] == product]
        for i, bs in enumerate(sorted({r["block_size"] for r in mine})):
            line = sorted((r for r in mine if r["block_size"] == bs), key=lambda r: r["density"])
            color = colors[i % len(colors)]
            ax.plot([r["density"] for r in line], [r["efficiency"] for r in line], "o-", color=color, label=f"b{bs}")
            ax.axhline(EFFICIENCY[bs], color=color, linestyle=":", linewidth=1)
        ax.set_xscale("log")
        ax.set_xlabel("density")
        ax.set_title(f"{product}, {mine[0]['out_features']}x{mine[0]['in_features']}, batch {mine[0]['batch']}")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("efficiency (dense_ms x density / ms)")
    axes[0][-1].legend(fontsize=8, title="block (dotted: target)")
    fig.suptitle(_title(meta, f"tilesparse.linear efficiency, {dtype}"), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)
