"""Development probe (GPU only): dW (sdd) in both MMA orientations, against the current default config.

The plain orientation computes (bs x GROUP*bs) tiles: below block 64 the MMA's M is under wgmma's 64.
Usage: PYTHONPATH=src python3 scripts/probe_sdd.py
"""

import itertools

import torch
from tune_linear import sweep

import tilesparse as ts
from tilesparse.kernels.linear_sdd import SddConfig, linear_sdd, sdd_config
from tilesparse.layout import CONV_DW_GROUP_SIZE as DW_GROUP_SIZE
from tilesparse.layout import row_groups


def lstm_shape():
    """The LSTM benchmark's recurrent products: the (4 x 18432, 18432) gate layout at ~3% density, block 32;
    dX/forward at batch 64 every step, dW once over a 256-step chunk (16384 rows)."""
    from tilesparse.bench.lstm import LstmCase
    from tilesparse.kernels.linear_dsd import DsdConfig, dsd_config, linear_dsd
    from tilesparse.nn.lstm import GATES, _stacked, small_world_layout

    case = LstmCase()
    hidden, bs = case.sparse_hidden, case.block_size
    layout = _stacked(small_world_layout(hidden, bs, case.dense_hidden**2 / hidden**2, seed=0), GATES)
    t = layout.tables("cuda")
    group = DW_GROUP_SIZE[bs]
    first, rows = row_groups(t.row_ptr, group)
    dtype = torch.bfloat16
    blocks = torch.randn(layout.packed_shape, device="cuda", dtype=dtype)
    m = case.batch * case.steps
    dg = torch.randn(m, GATES * hidden, device="cuda", dtype=dtype)
    h = torch.randn(m, hidden, device="cuda", dtype=dtype)
    print(f"LSTM gate layout {layout.shape} density {layout.density:.4f} nnz {layout.nnz}", flush=True)

    def run_dw(cfg):
        return linear_sdd(dg, h, t.row_ptr, t.block_cols, first, rows, bs, group, cfg)

    default = sdd_config(m, bs, group, 2)
    flops = 2 * m * layout.nnz * bs * bs
    sweep("dW default", [default], run_dw, flops)
    sweep("dW sweep", [SddConfig(bk, w, s, tr) for bk, w, s, tr in itertools.product(
        (32, 64, 128), (4, 8), (3, 4), (False, True))], run_dw, flops)
    for name, x, seg, out_blocks, tw in (
        ("fwd", h[: case.batch], (t.row_ptr, t.row_cols, t.row_blocks, t.row_order), GATES * hidden // bs, True),
        ("dX", dg[: case.batch], (t.col_ptr, t.col_rows, t.col_blocks, t.col_order), hidden // bs, False),
    ):
        def run(cfg, x=x, seg=seg, out_blocks=out_blocks, tw=tw):
            return linear_dsd(x, blocks, *seg, out_blocks, tw, config=cfg)

        flops = 2 * case.batch * layout.nnz * bs * bs
        sweep(f"{name} default", [dsd_config(case.batch, bs, 2)], run, flops)
        sweep(f"{name} sweep", [DsdConfig(bm, w, s, n) for bm, w, s, n in itertools.product(
            (32, 64), (2, 4, 8), (6, 8, 10), (True, False))], run, flops)


def main():
    import sys

    if "--lstm" in sys.argv:
        return lstm_shape()
    dtype = torch.float16
    gen = torch.Generator().manual_seed(0)
    cases = [(8192, 8192, bs, 0.1) for bs in (8, 16, 32, 64, 128)] + [(12288, 32, 32, 0.05), (8192, 8192, 32, 0.5)]
    for features, batch, bs, density in cases:
        layout = ts.layouts.random(features, features, bs, density, generator=gen)
        t = layout.tables("cuda")
        group = DW_GROUP_SIZE[bs]
        first, rows = row_groups(t.row_ptr, group)
        x = torch.randn(batch, features, device="cuda", dtype=dtype)
        dy = torch.randn(batch, features, device="cuda", dtype=dtype)
        flops = 2 * batch * layout.nnz * bs * bs
        default = sdd_config(batch, bs, group, 2)
        print(f"dW {features} batch {batch} block {bs} d {density} group {group}; default {default}", flush=True)

        def run(cfg):
            return linear_sdd(dy, x, t.row_ptr, t.block_cols, first, rows, bs, group, cfg)  # noqa: B023

        ref = run(default).float()
        configs = [
            SddConfig(bk, w, s, tr)
            for bk, w, s, tr in itertools.product((32, 64, 128), (4, 8), (3, 4), (False, True))
            if bk <= max(32, batch)
        ]
        for cfg in configs:  # correctness of every variant against the default
            try:
                err = ((run(cfg).float() - ref).norm() / ref.norm()).item()
                assert err < 1e-2, (cfg, err)
            except AssertionError:
                raise
            except Exception:  # out of resources: the sweep reports it
                pass
        sweep("default", [default], run, flops)
        sweep("sweep", configs, run, flops)


if __name__ == "__main__":
    main()
