"""Measurements of ``tilesparse.conv2d``: its three products timed against dense cuDNN, and block-diagonal
layouts against cuDNN's grouped convolution (the peer), with the targets and the figure of the ``conv``
sub-command.

- ``forward``: y = conv2d(x, W) (``conv2d_forward``); dense ``F.conv2d(x, W)``.
- ``dx``: dX (``conv2d_backward_input``); dense ``aten.convolution_backward`` with output mask (dX only).
- ``dw``: dW on the nonzero blocks (``conv2d_backward_weight``); dense: the full dense dW, output mask (dW only).

Every tensor is channels-last in the case's dtype, the dense weight included (as a channels-last model holds
it); cuDNN runs with ``torch.backends.cudnn.benchmark`` on, so it picks its fastest algorithm. The peer of a
block-diagonal layout with ``channels / block_size`` groups is the same product with ``groups = channels /
block_size`` on the grouped weight ``(channels, block_size, kh, kw)``, whose blocks are the ones tilesparse
gets. Stride 1, padding ``kernel // 2`` (same size), dilation 1. Timing: ``linear.time_ms``.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from .. import layouts
from ..layout import Layout
from ..ops import conv as conv_ops
from . import plot
from .linear import DTYPES, PRODUCTS, TOLERANCE, Timing, error_text, time_ms, timings_row
from .targets import check_target, tolerance_check

CHECK_IMAGES = 2  # forward / dx are checked on this many images
CHECK_BLOCKS = 16  # dw is checked on this many packed blocks
LAYOUTS = ("random", "block_diagonal", "dense")
PEER_LAYOUTS = ("block_diagonal",)
EFFICIENCY = {32: 0.50, 64: 0.70}  # at random densities 0.05-0.5
EFFICIENCY_DENSITIES = (0.05, 0.5)
DENSE_SLOWDOWN = 1.3  # the full layout against cuDNN dense


@dataclass(frozen=True)
class Case:
    """One measurement: a square conv (``channels`` in and out) on ``spatial x spatial`` images.
    ``family`` only says which part of the plan asked for it."""

    product: str
    dtype: str
    batch: int
    channels: int
    spatial: int
    block_size: int
    density: float
    layout: str = "random"
    kernel: int = 3
    family: str = field(default="", compare=False)

    @property
    def padding(self) -> int:
        return self.kernel // 2

    def group(self) -> tuple:
        """Cases of one group share their dense operands and dense baselines."""
        return (self.dtype, self.batch, self.channels, self.spatial, self.kernel)


@dataclass(frozen=True)
class Plan:
    """The ``conv`` sub-command's cases: random layouts at ``densities``, the block-diagonal layout with one
    block per block row (vs cuDNN's grouped conv) and the full layout, per block size; ``tiny()`` is the CPU
    smoke run."""

    dtype: str = "fp16"
    batch: int = 64
    channels: int = 512
    spatial: int = 32
    kernel: int = 3
    blocks: tuple[int, ...] = (32, 64)
    densities: tuple[float, ...] = (0.5, 0.25, 0.1, 0.05)

    @classmethod
    def tiny(cls) -> Plan:
        return cls(dtype="fp32", batch=2, channels=128, spatial=8, densities=(0.5, 0.25))

    def cases(self, products=PRODUCTS, block_sizes=None) -> list[Case]:
        cases = []
        for product in products:
            for bs in self.blocks:
                if block_sizes is not None and bs not in block_sizes:
                    continue
                shape = (product, self.dtype, self.batch, self.channels, self.spatial, bs)
                cases += [Case(*shape, d, "random", self.kernel, "sweep") for d in self.densities]
                cases.append(Case(*shape, bs / self.channels, "block_diagonal", self.kernel, "grouped"))
                cases.append(Case(*shape, 1.0, "dense", self.kernel, "dense"))
        return cases


def make_layout(case: Case, seed: int = 0) -> Layout:
    c, bs = case.channels, case.block_size
    if case.layout == "random":
        return layouts.random(c, c, bs, case.density, seed=seed)
    if case.layout == "block_diagonal":
        return layouts.block_diagonal(c, c, bs, groups=c // bs)
    if case.layout == "dense":
        return layouts.dense(c, c, bs)
    raise ValueError(f"expected a layout in {LAYOUTS}, got {case.layout!r}")


# -- operands -------------------------------------------------------------------------------------------


class Operands:
    """Random operands of one case group, channels-last: x and dY ``(N, C, H, W)`` (stride 1, same size) and
    a full dense weight ``(C, C, kh, kw)`` for the dense baseline (no zeros: cuDNN runs as on a dense layer)."""

    def __init__(self, case: Case, device: torch.device, seed: int = 0):
        self.device = torch.device(device)
        self.dtype = DTYPES[case.dtype]
        self.generator = torch.Generator(device=self.device).manual_seed(seed)
        c, s, k = case.channels, case.spatial, case.kernel
        self.scale = (c * k * k) ** -0.5
        self.x = self.randn(case.batch, c, s, s)
        self.dy = self.randn(case.batch, c, s, s)
        self.weight = self.randn(c, c, k, k, scale=self.scale)

    def randn(self, *shape: int, scale: float = 1.0) -> torch.Tensor:
        t = torch.randn(shape, generator=self.generator, device=self.device, dtype=torch.float32)
        t = t.mul_(scale).to(self.dtype)
        return t.contiguous(memory_format=torch.channels_last) if t.dim() == 4 else t


@contextlib.contextmanager
def cudnn_benchmark():
    """cuDNN times its algorithms on the first call of a shape and keeps the fastest."""
    before = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = True
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = before


# -- the three implementations of a product --------------------------------------------------------------


def _ours(case: Case, ops: Operands, blocks: torch.Tensor, layout: Layout):
    """The product as ``tilesparse.conv2d`` runs it in eager mode (no custom-op dispatcher)."""
    tables = list(layout.tables(ops.device))
    out_blocks, in_blocks = layout.blocks_shape
    x, dy, p, k = ops.x, ops.dy, case.padding, case.kernel
    geometry = ([1, 1], [p, p, p, p], [1, 1])
    if case.product == "forward":
        return lambda: conv_ops.forward_impl(x, blocks, None, tables, out_blocks, *geometry)
    if case.product == "dx":
        return lambda: conv_ops.backward_input_impl(dy, blocks, tables, in_blocks, list(x.shape[2:]), *geometry)
    return lambda: conv_ops.backward_weight_impl(dy, x, tables, case.block_size, [k, k], *geometry)


def path_of(case: Case, layout: Layout) -> str:
    """Which implementation ``_ours`` runs, by the op's own decision (``ops.conv.cudnn_path``): "grouped" (cuDNN's
    grouped conv on a block-diagonal layout), "dense" (cuDNN on the densified weight) or "kernels"."""
    out_blocks, in_blocks = layout.blocks_shape
    pixels = case.batch * case.spatial**2  # stride 1, same size
    path = conv_ops.cudnn_path(case.product, pixels, case.block_size, layout.tables(), out_blocks, in_blocks,
                               DTYPES[case.dtype], (case.kernel, case.kernel))
    return path or "kernels"


def _aten(case: Case, ops: Operands, weight: torch.Tensor, groups: int = 1):
    """The product through aten's convolution (cuDNN on a GPU): forward, or the one gradient of
    ``convolution_backward`` the product is (the other outputs masked off)."""
    x, dy, p = ops.x, ops.dy, case.padding
    if case.product == "forward":
        return lambda: F.conv2d(x, weight, None, 1, p, 1, groups)
    mask = [case.product == "dx", case.product == "dw", False]
    index = 0 if case.product == "dx" else 1
    backward = torch.ops.aten.convolution_backward
    return lambda: backward(dy, x, weight, None, [1, 1], [p, p], [1, 1], False, [0, 0], groups, mask)[index]


# -- correctness -----------------------------------------------------------------------------------------


def _rel_err(case: Case, ops: Operands, out: torch.Tensor, blocks: torch.Tensor, layout: Layout) -> float:
    """max |ours - ref| / max |ref| against float64: forward and dX on the first images, dW on some blocks."""
    p, k, bs = case.padding, case.kernel, case.block_size
    if case.product in ("forward", "dx"):
        w = conv_ops.conv_to_dense(blocks, layout).double()
        n = CHECK_IMAGES
        if case.product == "forward":
            ref = F.conv2d(ops.x[:n].double(), w, padding=p)
        else:
            ref = torch.nn.grad.conv2d_input(tuple(ops.x[:n].shape), w, ops.dy[:n].double(), padding=p)
        got = out[:n]
    else:
        t = layout.tables(ops.device)
        count = min(layout.nnz, CHECK_BLOCKS)
        picks = torch.linspace(0, layout.nnz - 1, count, device=ops.device).long()
        xg = ops.x.unflatten(1, (-1, bs))[:, t.block_cols[picks].long()].flatten(1, 2).double()
        dyg = ops.dy.unflatten(1, (-1, bs))[:, t.block_rows[picks].long()].flatten(1, 2).double()
        ref = torch.nn.grad.conv2d_weight(xg, (count * bs, bs, k, k), dyg, padding=p, groups=count)
        ref = ref.view(count, bs, bs, k, k)
        got = out[picks]
    scale = ref.abs().max().clamp_min(torch.finfo(torch.float64).tiny)
    return float((got.double() - ref).abs().max() / scale)


# -- one case --------------------------------------------------------------------------------------------


def measure(case: Case, ops: Operands, timing: Timing, dense_cache: dict, peer: bool = True, seed: int = 0) -> dict:
    """Time one case: tilesparse, its dense baseline (cached per product and group) and, for block-diagonal
    layouts, the grouped conv. A failure of tilesparse is recorded in ``error`` (ms NaN)."""
    device = ops.device
    c, k, bs = case.channels, case.kernel, case.block_size
    layout = make_layout(case, seed)
    grouped = None
    if case.layout == "block_diagonal":  # the grouped conv's weight; its groups are the layout's blocks
        grouped = ops.randn(c, bs, k, k, scale=ops.scale)
        blocks = grouped.reshape(*layout.packed_shape, k, k).contiguous()
    else:
        blocks = ops.randn(*layout.packed_shape, k, k, scale=ops.scale)
    ours = _ours(case, ops, blocks, layout)
    ms, eager_ms, rel_err, error = math.nan, math.nan, math.nan, ""
    peer_ms, peer_impl, peer_error = math.nan, "", ""
    with cudnn_benchmark():
        try:
            rel_err = _rel_err(case, ops, ours(), blocks, layout)
            ms = time_ms(ours, device, timing)
            if device.type == "cuda":  # what an eager caller sees: launch overhead included where it shows
                import triton.testing

                eager_ms = triton.testing.do_bench(
                    ours, warmup=timing.warmup_ms, rep=timing.rep_ms, return_mode="median"
                )
        except Exception as e:  # recorded, so the rest of the run goes on
            error = error_text(e)
        key = (case.product, case.group())
        if key not in dense_cache:
            dense_cache[key] = time_ms(_aten(case, ops, ops.weight), device, timing)
        dense_ms = dense_cache[key]
        if peer and grouped is not None:
            try:
                peer_ms = time_ms(_aten(case, ops, grouped, groups=c // bs), device, timing)
                peer_impl = f"{'cuDNN' if device.type == 'cuda' else 'aten'} grouped conv, groups={c // bs}"
            except Exception as e:
                peer_error = error_text(e)
    flops = 2 * case.batch * case.spatial**2 * c * c * k * k
    row = asdict(case)
    row.update(timings_row(layout, ms, eager_ms, dense_ms, peer_ms, flops))
    row.update(
        path=path_of(case, layout),
        peer_impl=peer_impl,
        rel_err=rel_err,
        tolerance=TOLERANCE[case.dtype],
        error=error,
        peer_error=peer_error,
    )
    return row


def describe(row: dict) -> str:
    """The progress line of one row."""
    peer = f", grouped {row['peer_ms']:.4f} ms" if math.isfinite(row["peer_ms"]) else ""
    fail = f"  ERROR {row['error']}" if row["error"] else ""
    return (
        f"{row['product']:7s} {row['dtype']} b{row['block_size']:<3d} N={row['batch']} C={row['channels']} "
        f"{row['spatial']}x{row['spatial']} d={row['density']:<6.4g} {row['layout']:14s} {row['ms']:.4f} ms "
        f"({row['tflops']:.1f} TFLOP/s), dense {row['dense_ms']:.4f} ms{peer}; speedup {row['speedup']:.2f}, "
        f"eff {row['efficiency']:.2f}{fail}"
    )


# -- targets ---------------------------------------------------------------------------------------------


def _in_range(density: float) -> bool:
    low, high = EFFICIENCY_DENSITIES
    return low - 1e-9 <= density <= high + 1e-9


def check(rows: list[dict]) -> list[dict]:
    """The conv targets, per product: efficiency of random layouts (``EFFICIENCY`` by block size, densities
    0.05-0.5), block-diagonal at least as fast as cuDNN's grouped conv, the full layout within
    ``DENSE_SLOWDOWN`` of cuDNN dense; and every result within its dtype tolerance. Dicts as
    ``targets.check`` returns."""
    results = []
    for product in dict.fromkeys(r["product"] for r in rows):
        mine = [r for r in rows if r["product"] == product]
        sweep = [r for r in mine if r["layout"] == "random"]
        for bs in sorted({r["block_size"] for r in sweep} & set(EFFICIENCY), reverse=True):
            base = EFFICIENCY[bs]
            results.append(
                check_target(
                    f"{product} efficiency b{bs} >= {base:.2f}, random d=0.05-0.5",
                    [r for r in sweep if r["block_size"] == bs],
                    lambda r: r["efficiency"],
                    lambda r, base=base: base if _in_range(r["density"]) else None,
                )
            )
        results.append(
            check_target(
                f"{product} block-diagonal at least as fast as the grouped conv (time ratio)",
                [r for r in mine if r["layout"] == "block_diagonal" and math.isfinite(r["peer_ms"])],
                lambda r: r["ms"] / r["peer_ms"],
                lambda r: 1.0,
                higher=False,
            )
        )
        results.append(
            check_target(
                f"{product} full layout within {DENSE_SLOWDOWN}x of dense (time ratio)",
                [r for r in mine if r["layout"] == "dense"],
                lambda r: r["ms"] / r["dense_ms"],
                lambda r: DENSE_SLOWDOWN,
                higher=False,
            )
        )
    results.append(tolerance_check(rows))
    return results


# -- figure ----------------------------------------------------------------------------------------------


def plot_efficiency(rows: list[dict], meta: dict, path: str | Path) -> Path | None:
    """Efficiency vs density per block size, one panel per product: random layouts and the full layout as a
    line, the block-diagonal layout and the grouped conv (the peer, hollow) as single points; the dotted
    lines are the targets. Returns the path, or None without matplotlib."""
    plt = plot._pyplot()
    if plt is None:
        return None
    products = list(dict.fromkeys(r["product"] for r in rows))
    fig, axes = plt.subplots(1, len(products), figsize=(5 * len(products), 4.2), squeeze=False, sharey=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, product in zip(axes[0], products, strict=True):
        mine = [r for r in rows if r["product"] == product]
        for i, bs in enumerate(sorted({r["block_size"] for r in mine})):
            color = colors[i % len(colors)]
            line = sorted(
                (r for r in mine if r["block_size"] == bs and r["layout"] != "block_diagonal"),
                key=lambda r: r["density"],
            )
            ax.plot(
                [r["density"] for r in line],
                [r["efficiency"] for r in line],
                "o-",
                color=color,
                label=f"b{bs} random, full at 1",
            )
            for r in (r for r in mine if r["block_size"] == bs and r["layout"] == "block_diagonal"):
                ax.plot(r["density"], r["efficiency"], "s", color=color, markersize=8, label=f"b{bs} block-diag.")
                if math.isfinite(r["peer_ms"]):
                    ax.plot(
                        r["density"],
                        r["dense_ms"] * r["density"] / r["peer_ms"],
                        "s",
                        markersize=8,
                        markerfacecolor="none",
                        color=color,
                        label=f"grouped conv, {bs} ch/group",
                    )
            if bs in EFFICIENCY:
                ax.axhline(EFFICIENCY[bs], color=color, linestyle=":", linewidth=1)
        r0 = mine[0]
        ax.set_xscale("log")
        ax.minorticks_off()
        densities = sorted({r["density"] for r in mine})
        ax.set_xticks(densities, [f"{d:.3g}" for d in densities], fontsize=7)
        ax.set_xlabel("density")
        ax.set_title(
            f"{product}, C=K={r0['channels']}, {r0['spatial']}x{r0['spatial']}, batch {r0['batch']}, "
            f"{r0['kernel']}x{r0['kernel']}",
            fontsize=9,
        )
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("efficiency (dense_ms x density / ms)")
    axes[0][-1].legend(fontsize=7, title="block (dotted: target)", title_fontsize=7)
    dtype = rows[0]["dtype"]
    fig.suptitle(plot._title(meta, f"tilesparse.conv2d efficiency, {dtype}, channels-last"), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)
