"""Development probe (GPU only): small-batch forward/dX (the seed shape and the LSTM's per-step products)
against pipeline depth, warps and tile rows, through the library kernel with forced configs.
Usage: PYTHONPATH=src python3 scripts/probe_small_batch.py
"""

import itertools
import os
import sys

import torch
import triton

sys.path.insert(0, os.path.dirname(__file__))

from probe_linear import random_layout  # noqa: E402

from tilesparse.kernels.linear_dsd import DsdConfig, dsd_config, linear_dsd  # noqa: E402


def bench(fn):
    return triton.testing.do_bench(fn, warmup=10, rep=40, return_mode="median")


def main():
    gen = torch.Generator().manual_seed(0)
    dtype = torch.float16
    cases = [("seed", 32, 12288, 12288, d) for d in (0.05, 0.01, 0.25)] + [("lstm", 64, 4 * 18432, 18432, 0.0295)]
    for name, m, out_f, in_f, density in cases:
        layout = random_layout(out_f, in_f, 32, density, gen)
        t = layout.tables("cuda")
        blocks = torch.randn(layout.packed_shape, device="cuda", dtype=dtype)
        for prod, seg, tw, k, nb in (("fwd", (t.row_ptr, t.row_cols, t.row_blocks, t.row_order), True, in_f,
                                      out_f // 32),
                                     ("dX", (t.col_ptr, t.col_rows, t.col_blocks, t.col_order), False, out_f,
                                      in_f // 32)):
            x = torch.randn(m, k, device="cuda", dtype=dtype)
            default = dsd_config(m, 32, 2)
            ref = linear_dsd(x, blocks, *seg, nb, tw, config=default)
            base = bench(lambda x=x, seg=seg, tw=tw, nb=nb: linear_dsd(x, blocks, *seg, nb, tw, config=default))
            print(f"{name} {prod} m={m} d={density}: default {default} {base * 1e3:.2f} us", flush=True)
            results = []
            for bm, warps, stages in itertools.product((max(16, m // 2), m), (2, 4), (6, 8, 12, 16)):
                cfg = DsdConfig(bm, warps, stages)
                try:
                    y = linear_dsd(x, blocks, *seg, nb, tw, config=cfg)
                    err = ((y.float() - ref.float()).norm() / ref.float().norm()).item()
                    ms = bench(lambda x=x, seg=seg, tw=tw, nb=nb, cfg=cfg: linear_dsd(x, blocks, *seg, nb, tw,
                                                                                     config=cfg))
                except Exception as exc:  # shared memory or registers
                    print(f"  {cfg}: failed {type(exc).__name__}", flush=True)
                    continue
                results.append((ms, cfg))
                print(f"  bm={bm} w={warps} st={stages}: {ms * 1e3:.2f} us ({base / ms:.2f}x) err {err:.1e}",
                      flush=True)
            results.sort(key=lambda r: r[0])
            print(f"  BEST {results[0][0] * 1e3:.2f} us {results[0][1]}", flush=True)


def cold():
    """The same configs timed as the suite times (cold L2, CUDA-graph replays): warm do_bench medians at
    6-50 us were too noisy to choose by."""
    from tilesparse.bench.linear import DEFAULT_TIMING, time_ms

    gen = torch.Generator().manual_seed(0)
    dev = torch.device("cuda")
    for density in (0.25, 0.05, 0.01):
        layout = random_layout(12288, 12288, 32, density, gen)
        t = layout.tables("cuda")
        blocks = torch.randn(layout.packed_shape, device="cuda", dtype=torch.float16)
        x = torch.randn(32, 12288, device="cuda", dtype=torch.float16)
        seg = (t.row_ptr, t.row_cols, t.row_blocks, t.row_order)
        line = []
        for warps, stages in ((4, 8), (4, 16), (4, 24), (4, 32), (2, 16), (2, 24), (8, 16)):
            cfg = DsdConfig(32, warps, stages)
            try:
                ms = time_ms(lambda cfg=cfg, seg=seg: linear_dsd(x, blocks, *seg, 384, True, config=cfg), dev,
                             DEFAULT_TIMING)
            except Exception as exc:  # shared memory or registers
                line.append(f"w{warps} st{stages}: failed {type(exc).__name__}")
                continue
            line.append(f"w{warps} st{stages}: {ms * 1e3:.2f} us")
        print(f"seed fwd d={density} cold: " + ", ".join(line), flush=True)


if __name__ == "__main__":
    cold() if "--cold" in sys.argv else main()
