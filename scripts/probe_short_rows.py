"""Development probe (GPU only): blocks 64/128 at large batch with short rows (d <= 0.1).

ncu (bench/results/tuning/h100-2026-11-26c-ncu-fwd-128-0.05.log): the block-128 forward at d=0.05 runs one
256-thread program per SM (187 registers a thread), so a program's loads and its MMAs do not overlap with
another's; with 3-6 blocks a row the time is close to the sum of the HBM floor and the compute time. This
times 128-row tiles (two or more programs per SM) against the current configs, forward and dX, fp16 and TF32,
with the suite's cold-L2 timer. Usage: PYTHONPATH=src python3 scripts/probe_short_rows.py
"""

import dataclasses
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))

from probe_linear import random_layout  # noqa: E402

from tilesparse.bench.linear import DEFAULT_TIMING, time_ms  # noqa: E402
from tilesparse.kernels.linear_dsd import dsd_config, linear_dsd  # noqa: E402

DEV = torch.device("cuda")
N = 8192


def variants(base):
    out = {"default": base}
    for bm, warps, stages in ((128, 4, 3), (128, 4, 4), (128, 8, 3), (256, 8, 3)):
        cfg = dataclasses.replace(base, block_m=bm, num_warps=warps, num_stages=stages)
        if cfg != base:
            out[f"bm{bm} w{warps} st{stages}"] = cfg
    return out


def main():
    print(torch.cuda.get_device_name(), torch.__version__, flush=True)
    torch.backends.cuda.matmul.allow_tf32 = True
    gen = torch.Generator().manual_seed(0)
    for dtype in (torch.float16, torch.float32):
        x = torch.randn(N, N, device=DEV, dtype=dtype)
        w = torch.randn(N, N, device=DEV, dtype=dtype)
        dense = time_ms(lambda x=x, w=w: x @ w.T, DEV, DEFAULT_TIMING)
        del w
        print(f"{dtype} dense {dense:.3f} ms", flush=True)
        for bs in (128, 64):
            for density in (0.25, 0.1, 0.05):
                layout = random_layout(N, N, bs, density, gen)
                t = layout.tables("cuda")
                blocks = torch.randn(layout.packed_shape, device=DEV, dtype=dtype) * 0.05
                for prod, seg, transpose in (("fwd", (t.row_ptr, t.row_cols, t.row_blocks, t.row_order), True),
                                             ("dX", (t.col_ptr, t.col_rows, t.col_blocks, t.col_order), False)):
                    base = dsd_config(N, bs, x.element_size())
                    ref = linear_dsd(x, blocks, *seg, N // bs, transpose, config=base)
                    line = []
                    for name, cfg in variants(base).items():
                        try:
                            y = linear_dsd(x, blocks, *seg, N // bs, transpose, config=cfg)
                            err = ((y.float() - ref.float()).norm() / ref.float().norm()).item()
                            ms = time_ms(lambda cfg=cfg, seg=seg, tr=transpose: linear_dsd(
                                x, blocks, *seg, N // bs, tr, config=cfg), DEV, DEFAULT_TIMING)
                        except Exception as exc:  # shared memory
                            line.append(f"{name}: {type(exc).__name__}")
                            continue
                        line.append(f"{name}: {ms:.4f} ms eff {dense * density / ms:.3f} (err {err:.0e})")
                    print(f"{dtype} b{bs} d={density} {prod}\n  " + "\n  ".join(line), flush=True)


if __name__ == "__main__":
    main()
