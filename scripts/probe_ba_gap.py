"""Development probe (prepared for the next GPU session; runs on CPU at a toy size): where does the
Barabasi-Albert gap come from?

At batch 8192, block 32, the suite's BA layouts run forward/dX 1.1-1.22x slower than random layouts with the
same block count. Two explanations were tested and refuted: a tail of hub rows, and a hot x column. A BA mask
skews both its rows and its columns. This times four layouts with the same nnz, interleaved on one machine:
- random;
- BA (``bench.linear.ba_mask``);
- rows only: row weights from BA, columns uniform;
- columns only: column weights from BA, rows uniform.
The forward walks rows and dX walks columns, so the side whose skew costs the time shows up as the slow one.

Result (H100, 2026-11-26, tuning/probe_ba_gap.log): the walked side's skew is the whole gap (forward: rows only
1.16-1.19x, columns only 0.99x; dX the reverse), and a list-scheduling model of the launch order (programs of
blocks + 2 time units, 396 slots) predicts the same ratios: the last batch tile's hub programs run on alone.

``--hubs`` then timed hub-ahead launch orders (hubs by ``layout.hubs``: segments above ``factor`` x the mean
count) with the kernel of its day; run now, it times the current order (``DsdConfig.late_hub_tiles`` = D). A
first version launched every tile's hubs D tiles early (log
tuning/h100-2026-11-26g-probe-ba-gap-hubs.log): at most 5-8% on BA (factor 3, D = 8) and up to 1.2x slower where
it made many hubs (factor 1.5 at d = 0.01): hubs running ahead read x panels that leave L2 before the rest of
their tile reads them. A second moved only the last D tiles' hubs D tiles early ("end game",
tuning/h100-2026-11-26g-probe-ba-gap-hubs-endgame.log), which the scheduling model said removes most of the tail.

The end-game order gained 3-6% (factor 3, D = 8), less than the model's 10-15%, and the suite's BA layout at
d = 0.05 stayed at 1.15x random (nvidia-h100-80gb-hbm3-2026-11-27.json). The kernel now launches the last E tiles'
hubs first of all, so that even a slowed hub has the whole grid to finish in. ``--hubs-suite`` times that order
against the end-game one (``old_src``: the previous commit's package as tilesparse_old) on the suite's own layouts.

Usage: PYTHONPATH=src python3 scripts/probe_ba_gap.py [--block 32] [--densities 0.1,0.05] [--products forward,dx]
                                                             (GPU: 8192^2, batch 8192; dw too)
       PYTHONPATH=src python3 scripts/probe_ba_gap.py --hubs     (GPU: the hub-ahead orders)
       PYTHONPATH=src python3 scripts/probe_ba_gap.py --hubs-suite   (GPU: hubs first vs end game, suite layouts)
       PYTHONPATH=src python3 scripts/probe_ba_gap.py --cpu      (a toy size through the PyTorch path)
       PYTHONPATH=src TRITON_INTERPRET=1 python3 scripts/probe_ba_gap.py --hubs --cpu   (the same in the interpreter)
"""

import dataclasses
import statistics
import sys

import torch

from tilesparse.bench.linear import (
    DEFAULT_TIMING,
    Case,
    Operands,
    _ours,
    ba_mask,
    block_count,
    make_layout,
    random_mask,
    time_ms,
)
from tilesparse.kernels.linear_dsd import dsd_config, linear_dsd
from tilesparse.layout import Layout, hubs


def skewed_mask(out_blocks, in_blocks, nnz, generator, rows: bool, cols: bool, exponent=0.5):
    """``nnz`` distinct blocks drawn with probability proportional to w_row * w_col, where a skewed side has
    BA-like weights (rank^-exponent, hubs placed at random) and the other side uniform weights."""

    def weights(n, skewed):
        if not skewed:
            return torch.ones(n, dtype=torch.float64)
        w = (torch.arange(n, dtype=torch.float64) + 1) ** -exponent
        return w[torch.randperm(n, generator=generator)]

    probs = torch.outer(weights(out_blocks, rows), weights(in_blocks, cols)).flatten()
    picks = torch.multinomial(probs, nnz, replacement=False, generator=generator)
    mask = torch.zeros(out_blocks * in_blocks, dtype=torch.bool)
    mask[picks] = True
    return mask.view(out_blocks, in_blocks)


def interleaved_medians(fns, device, repeats):
    """Time every fn ``repeats`` times in turn (cold, the suite's timer); each one's median in ms."""
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            times[name].append(time_ms(fn, device, DEFAULT_TIMING))
    return {name: statistics.median(t) for name, t in times.items()}


def interleaved(fns, device, repeats, base, digits=2):
    """``interleaved_medians`` as one line, each also as a ratio to ``base``'s."""
    medians = interleaved_medians(fns, device, repeats)
    return ", ".join(f"{name} {ms * 1e3:.1f} us ({ms / medians[base]:.{digits}f})" for name, ms in medians.items())


def seed_probe_start(cpu):
    """A seed-shape probe's device, weight size (12288, a toy 512 on CPU) and repeats; prints the run's header."""
    import triton

    print(torch.cuda.get_device_name() if not cpu else "cpu", torch.__version__, triton.__version__, flush=True)
    return torch.device("cpu" if cpu else "cuda"), (512 if cpu else 12288), (1 if cpu else 5)


def seed_case(n, density, device, product="forward", dtype="fp16", block_size=32):
    """The suite's seed-shape case (batch 32, weight n x n, its random layout): (layout, operands, tables)."""
    case = Case(product=product, dtype=dtype, batch=32, out_features=n, in_features=n, block_size=block_size,
                density=density, family="seed")
    layout = make_layout(case)
    return layout, Operands(case, device), layout.tables(device)


def layouts(out_blocks, in_blocks, nnz, block_size, seed=0):
    gen = torch.Generator().manual_seed(seed)
    masks = {
        "random": random_mask(out_blocks, in_blocks, nnz, gen),
        "ba": ba_mask(out_blocks, in_blocks, nnz, gen),
        "rows only": skewed_mask(out_blocks, in_blocks, nnz, gen, rows=True, cols=False),
        "cols only": skewed_mask(out_blocks, in_blocks, nnz, gen, rows=False, cols=True),
    }
    return {name: Layout(mask, block_size) for name, mask in masks.items()}


def option(name, default):
    """The value after ``name`` on the command line, else ``default``."""
    return type(default)(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def density_layouts(cpu_batch, cpu_repeats, densities):
    """(device, n, batch, block, repeats, density, layouts) per density of ``--densities``: GPU 8192^2 at batch
    8192 and ``--block`` (32), or a toy size with ``--cpu``."""
    cpu = "--cpu" in sys.argv
    device = torch.device("cpu" if cpu else "cuda")
    n, batch, bs, repeats = (256, cpu_batch, 32, cpu_repeats) if cpu else (8192, 8192, option("--block", 32), 3)
    print(torch.cuda.get_device_name() if not cpu else "cpu", torch.__version__, flush=True)
    for density in map(float, option("--densities", densities).split(",")):
        nnz = block_count(n // bs, n // bs, density)
        yield device, n, batch, bs, repeats, density, layouts(n // bs, n // bs, nnz, bs)


def main():
    for device, n, batch, bs, repeats, density, found in density_layouts(64, 2, "0.1,0.05"):
        for name, layout in found.items():
            rows, cols = layout.row_counts(), layout.col_counts()
            print(f"d={density} {name}: nnz {layout.nnz}, blocks a row max {int(rows.max())}, "
                  f"a column max {int(cols.max())}", flush=True)
        for product in option("--products", "forward,dx").split(","):
            case = Case(product=product, dtype="fp16", batch=batch, out_features=n, in_features=n, block_size=bs,
                        density=density)
            ops = Operands(case, device)
            fns = {}
            for name, layout in found.items():
                blocks = ops.randn(*layout.packed_shape, scale=ops.scale)
                fns[name] = _ours(case, ops, blocks, layout)
            print(f"  {product} d={density}: {interleaved(fns, device, repeats, 'random')}", flush=True)


HUB_ORDERS = [(None, 0), (1.5, 8), (2.0, 4), (2.0, 8), (2.0, 12), (3.0, 4), (3.0, 8), (3.0, 12), (4.0, 8),
              (1.5, 12), (1.5, 16), (1.5, 32), (2.0, 32), (3.0, 32)]  # (hub factor, late tiles); 32: all 256-row tiles


def hub_variants(case, ops, layout, blocks):
    """(name, fn) per hub order: the library's dsd kernel with its default config but the given hubs and late tiles."""
    t = layout.tables(ops.device)
    forward = case.product == "forward"
    a = ops.x if forward else ops.dy
    ptr, idx, blk, order = ((t.row_ptr, t.row_cols, t.row_blocks, t.row_order) if forward
                            else (t.col_ptr, t.col_rows, t.col_blocks, t.col_order))
    counts = layout.row_counts() if forward else layout.col_counts()
    segs = layout.blocks_shape[0 if forward else 1]
    base = dsd_config(a.shape[0], case.block_size, a.element_size(), mean_blocks=layout.nnz / segs)
    fns = {}
    for factor, ahead in HUB_ORDERS:
        n_hubs = 0 if factor is None else hubs(counts, order.cpu(), factor).numel()
        cfg = dataclasses.replace(base, late_hub_tiles=ahead)
        name = "none" if factor is None else f"f{factor} D{ahead} ({n_hubs})"
        fns[name] = (lambda cfg=cfg, n_hubs=n_hubs: linear_dsd(a, blocks, ptr, idx, blk, order, segs, forward,
                                                               config=cfg, hubs=n_hubs, wide_hubs=n_hubs))
    return fns


def main_hubs():
    for device, n, batch, bs, repeats, density, found in density_layouts(512, 1, "0.1,0.05,0.01"):
        for name in option("--layouts", "random,ba,rows only,cols only").split(","):
            layout = found[name]
            for product in option("--products", "forward,dx").split(","):
                case = Case(product=product, dtype="fp16", batch=batch, out_features=n, in_features=n,
                            block_size=bs, density=density)
                ops = Operands(case, device)
                blocks = ops.randn(*layout.packed_shape, scale=ops.scale)
                fns = hub_variants(case, ops, layout, blocks)
                ref = fns["none"]()
                for fname, fn in fns.items():  # every order computes the same product
                    err = ((fn().float() - ref.float()).norm() / ref.float().norm()).item()
                    assert err == 0.0, (fname, err)
                print(f"{product} d={density} {name}: {interleaved(fns, device, repeats, 'none', 3)}", flush=True)


def main_hubs_suite():
    """Hubs of the last E tiles first (this package) against the end game (tilesparse_old), suite layouts."""
    from tilesparse.bench.linear import make_layout

    sys.path.insert(0, "old_src")
    import tilesparse_old.kernels.linear_dsd as old_dsd

    cpu = "--cpu" in sys.argv
    device = torch.device("cpu" if cpu else "cuda")
    n, batch, repeats = (512, 1024, 1) if cpu else (8192, 8192, 3)
    print(torch.cuda.get_device_name() if not cpu else "cpu", torch.__version__, flush=True)
    for density in (0.1, 0.05, 0.01):
        for kind in ("random", "ba"):
            for product in option("--products", "forward,dx").split(","):
                case = Case(product=product, dtype="fp16", batch=batch, out_features=n, in_features=n,
                            block_size=32, density=density, layout=kind)
                layout = make_layout(case)
                ops = Operands(case, device)
                blocks = ops.randn(*layout.packed_shape, scale=ops.scale)
                t = layout.tables(device)
                forward = product == "forward"
                a = ops.x if forward else ops.dy
                ptr, idx, blk, order = ((t.row_ptr, t.row_cols, t.row_blocks, t.row_order) if forward
                                        else (t.col_ptr, t.col_rows, t.col_blocks, t.col_order))
                counts = layout.row_counts() if forward else layout.col_counts()
                base = dsd_config(batch, 32, 2)
                fns = {}
                for name, module, factor, ahead in (("none", old_dsd, 3.0, 0), ("end game f3 D8", old_dsd, 3.0, 8),
                                                    ("first f3 E8", None, 3.0, 8), ("first f3 E12", None, 3.0, 12),
                                                    ("first f3 E16", None, 3.0, 16), ("first f2 E8", None, 2.0, 8),
                                                    ("first f2 E12", None, 2.0, 12)):
                    n_hubs = hubs(counts, order.cpu(), factor).numel()
                    launch = module.linear_dsd if module else linear_dsd
                    field = "hub_lookahead" if module else "late_hub_tiles"  # the end game's name for it
                    cfg = (module.DsdConfig if module else type(base))(**{**dataclasses.asdict(base), field: ahead})
                    fns[f"{name} ({n_hubs})"] = (lambda launch=launch, cfg=cfg, h=n_hubs: launch(
                        a, blocks, ptr, idx, blk, order, n // 32, forward, config=cfg, hubs=h))
                ref = next(iter(fns.values()))()
                for fname, fn in fns.items():
                    assert torch.equal(fn(), ref), fname
                line = interleaved(fns, device, repeats, next(iter(fns)), 3)
                print(f"{product} d={density} {kind}: {line}", flush=True)


if __name__ == "__main__":
    if "--hubs-suite" in sys.argv:
        main_hubs_suite()
    elif "--hubs" in sys.argv:
        main_hubs()
    else:
        main()
