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

Usage: PYTHONPATH=src python3 scripts/probe_ba_gap.py            (GPU: 8192^2, batch 8192, block 32)
       PYTHONPATH=src python3 scripts/probe_ba_gap.py --cpu      (a toy size through the PyTorch path)
"""

import statistics
import sys

import torch

from tilesparse.bench.linear import DEFAULT_TIMING, Case, Operands, _ours, ba_mask, block_count, random_mask, time_ms
from tilesparse.layout import Layout


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


def layouts(out_blocks, in_blocks, nnz, block_size, seed=0):
    gen = torch.Generator().manual_seed(seed)
    masks = {
        "random": random_mask(out_blocks, in_blocks, nnz, gen),
        "ba": ba_mask(out_blocks, in_blocks, nnz, gen),
        "rows only": skewed_mask(out_blocks, in_blocks, nnz, gen, rows=True, cols=False),
        "cols only": skewed_mask(out_blocks, in_blocks, nnz, gen, rows=False, cols=True),
    }
    return {name: Layout(mask, block_size) for name, mask in masks.items()}


def main():
    cpu = "--cpu" in sys.argv
    device = torch.device("cpu" if cpu else "cuda")
    n, batch, bs, repeats = (256, 64, 32, 2) if cpu else (8192, 8192, 32, 3)
    print(torch.cuda.get_device_name() if not cpu else "cpu", torch.__version__, flush=True)
    for density in (0.1, 0.05):
        nnz = block_count(n // bs, n // bs, density)
        found = layouts(n // bs, n // bs, nnz, bs)
        for name, layout in found.items():
            rows, cols = layout.row_counts(), layout.col_counts()
            print(f"d={density} {name}: nnz {layout.nnz}, blocks a row max {int(rows.max())}, "
                  f"a column max {int(cols.max())}", flush=True)
        for product in ("forward", "dx"):
            case = Case(product=product, dtype="fp16", batch=batch, out_features=n, in_features=n, block_size=bs,
                        density=density)
            ops = Operands(case, device)
            fns = {}
            for name, layout in found.items():
                blocks = ops.randn(*layout.packed_shape, scale=ops.scale)
                fns[name] = _ours(case, ops, blocks, layout)
            times = {name: [] for name in fns}
            for _ in range(repeats):
                for name, fn in fns.items():
                    times[name].append(time_ms(fn, device, DEFAULT_TIMING))
            base = statistics.median(times["random"])
            line = ", ".join(f"{name} {statistics.median(t) * 1e3:.1f} us ({statistics.median(t) / base:.2f}x)"
                             for name, t in times.items())
            print(f"  {product} d={density}: {line}", flush=True)


if __name__ == "__main__":
    main()
