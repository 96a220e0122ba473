"""Development probe (GPU only): dW (sdd) in both MMA orientations, against the current default config.

The plain orientation computes (bs x GROUP*bs) tiles: below block 64 the MMA's M is under wgmma's 64.
Usage: PYTHONPATH=src python3 scripts/probe_sdd.py
"""

import itertools

import torch
from tune_linear import sweep

import tilesparse as ts
from tilesparse.kernels.linear_sdd import SddConfig, linear_sdd, sdd_config
from tilesparse.layout import DW_GROUP_SIZE, row_groups


def main():
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
