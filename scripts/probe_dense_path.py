"""Development probe (any CUDA GPU): where the linear op's dense path (cuBLAS on the densified weight,
kernels/linear_dense.py) beats the sparse kernels. For each (block, product, dtype) it times both paths
(TILESPARSE_DENSE_PATH=never / always, the suite's cold-L2 timing) at densities around the expected crossover,
8192^2 at batch 8192 (and a few cases at batch 4096), and prints the lowest density from which the dense path
won at every higher density probed: the numbers behind ``DENSE_PATH_MIN_DENSITY``.

``--batches``: the same crossovers at batches 1024 and 2048 (below ``DENSE_PATH_MIN_ROWS``) for a few cases.
``--medium``: batches 1024 and 2048 in bf16 and TF32 (``--batches`` ran fp16).
``--parts``: the dense path's pieces timed alone at d = 0.5 (densify, the GEMM, dW's gather) against cuBLAS on a
full random weight, to see what the extra pass costs.

Usage: PYTHONPATH=src python3 scripts/probe_dense_path.py [--out rows.jsonl] [--quick | --batches | --medium | --parts]
"""

import json
import os
import sys

import torch

from tilesparse.bench.linear import Case, Operands, Timing, _ours, make_layout, tf32, time_ms

TIMING = Timing(warmup_ms=10, rep_ms=40)
DTYPES = ("fp16", "bf16", "tf32")
# (block, product) -> densities probed
GRID = {
    **{(8, p): (0.02, 0.03, 0.05, 0.08, 0.12) for p in ("forward", "dx", "dw")},
    **{(16, p): (0.2, 0.3, 0.4, 0.5, 0.6) for p in ("forward", "dx")},
    (16, "dw"): (0.05, 0.08, 0.12, 0.18, 0.25),
    **{(32, p): (0.5, 0.6, 0.7, 0.8) for p in ("forward", "dx")},
    (32, "dw"): (0.12, 0.18, 0.25, 0.35),
    **{(64, p): (0.7, 0.8, 0.9) for p in ("forward", "dx")},
    (64, "dw"): (0.35, 0.5, 0.65),
}
SMALLER_BATCH = [(4096, 8, p, "fp16", d) for p in ("forward", "dw") for d in (0.05, 0.12)]
BATCHES = [(m, bs, p, "fp16", d) for m in (1024, 2048)
           for bs, p, ds in ((8, "forward", (0.05, 0.1, 0.25, 0.5)), (8, "dw", (0.05, 0.1, 0.25, 0.5)),
                             (16, "dw", (0.12, 0.25, 0.5)), (32, "dw", (0.25, 0.5)), (16, "forward", (0.5,)))
           for d in ds]


MEDIUM = [(m, bs, p, dt, d) for m in (1024, 2048) for dt in ("bf16", "tf32")
          for bs, p, ds in ((8, "forward", (0.03, 0.06, 0.1)), (8, "dw", (0.03, 0.06, 0.1)), (16, "dw", (0.12, 0.2)),
                            (32, "dw", (0.25, 0.4)), (16, "forward", (0.5,)))
          for d in ds]


def time_switched(fn, device, timing: Timing) -> tuple[float, float]:
    """(ms with TILESPARSE_DENSE_PATH=never, ms with always): the kernels against the op's cuBLAS/cuDNN path."""
    times = []
    for path in ("never", "always"):
        os.environ["TILESPARSE_DENSE_PATH"] = path
        times.append(time_ms(fn, device, timing))
    os.environ["TILESPARSE_DENSE_PATH"] = "auto"
    return times[0], times[1]


def time_both(case: Case, ops: Operands) -> dict:
    layout = make_layout(case)
    blocks = ops.randn(*layout.packed_shape, scale=ops.scale)
    fn = _ours(case, ops, blocks, layout)
    row = dict(product=case.product, dtype=case.dtype, batch=case.batch, block_size=case.block_size,
               density=case.density)
    row["sparse_ms"], row["dense_ms"] = time_switched(fn, ops.device, TIMING)
    row["sparse_over_dense"] = row["sparse_ms"] / row["dense_ms"]
    return row


def crossover(rows: list[dict]) -> float | None:
    """The lowest probed density from which the dense path won at every higher one (None: it never won)."""
    best = None
    for row in sorted(rows, key=lambda r: -r["density"]):
        if row["sparse_over_dense"] <= 1.0:
            break
        best = row["density"]
    return best


def record(row: dict, line: str, out: str | None) -> None:
    """Print a probed row's line and append the row to ``out`` (JSON lines) if given."""
    print(line, f"sparse {row['sparse_ms']:.3f} ms  dense path {row['dense_ms']:.3f} ms  "
          f"sparse/dense {row['sparse_over_dense']:.2f}", flush=True)
    if out:
        with open(out, "a") as f:
            f.write(json.dumps(row) + "\n")


def print_crossovers(rows: list[dict], fields: tuple[str, ...]) -> None:
    """Per value of ``fields``: the crossover and every probed density's sparse/dense time ratio."""
    print("\ncrossovers (lowest density from which the dense path won at every higher one probed):")
    for key in sorted({tuple(r[f] for f in fields) for r in rows}):
        mine = sorted((r for r in rows if tuple(r[f] for f in fields) == key), key=lambda r: r["density"])
        ratios = " ".join(f"{r['density']:g}:{r['sparse_over_dense']:.2f}" for r in mine)
        print(" ".join(f"{f}={v}" for f, v in zip(fields, key, strict=True)) + f": {crossover(mine)}   ({ratios})")


def torch_densify(blocks, t, nb, bs):
    """The first dense path's densify: a zero fill, then an indexed copy."""
    w = blocks.new_zeros((nb, bs, nb, bs))
    w[t.block_rows.long(), :, t.block_cols.long(), :] = blocks
    return w.view(nb * bs, nb * bs)


def parts(device):
    """Densify, GEMM and gather timed alone at d = 0.5, 8192^2 fp16, batch 8192, against dense cuBLAS."""
    from tilesparse.kernels import linear_dense

    for bs in (8, 16, 32):
        case = Case("dw", "fp16", 8192, 8192, 8192, bs, 0.5)
        ops, layout = Operands(case, device), make_layout(case)
        blocks = ops.randn(*layout.packed_shape, scale=ops.scale)
        t = layout.tables(device)
        nb = 8192 // bs
        w = linear_dense.densify(blocks, t.block_rows, t.block_cols, nb, nb)
        g = ops.dy.t() @ ops.x
        rows, cols = t.block_rows.long(), t.block_cols.long()
        pieces = {
            "cuBLAS x W^T, random W": lambda: ops.x @ ops.weight.t(),
            "cuBLAS x W^T, densified W": lambda: ops.x @ w.t(),
            "densify (Triton)": lambda: linear_dense.densify(blocks, t.block_rows, t.block_cols, nb, nb),
            "densify (PyTorch)": lambda: torch_densify(blocks, t, nb, bs),
            "cuBLAS dY^T x": lambda: ops.dy.t() @ ops.x,
            "gather dW blocks (Triton)": lambda: linear_dense.gather_blocks(g, t.block_rows, t.block_cols, bs),
            "gather dW blocks (PyTorch)": lambda: g.view(nb, bs, nb, bs)[rows, :, cols, :],
            "dense-path forward": lambda: linear_dense.linear_forward_dense(ops.x, blocks, t.block_rows,
                                                                             t.block_cols, nb),
            "dense-path dW": lambda: linear_dense.linear_backward_weight_dense(ops.dy, ops.x, t.block_rows,
                                                                                t.block_cols, bs),
        }
        for name, fn in pieces.items():
            print(f"b{bs:<3} {name:28} {time_ms(fn, device, TIMING):.3f} ms", flush=True)


def main():
    out = sys.argv[sys.argv.index("--out") + 1] if "--out" in sys.argv else None
    quick = "--quick" in sys.argv
    device = torch.device("cuda")
    print(torch.cuda.get_device_name(), torch.__version__, flush=True)
    if "--parts" in sys.argv:
        return parts(device)
    plan = [(8192, bs, p, dt, d) for (bs, p), ds in GRID.items() for dt in DTYPES for d in ds] + SMALLER_BATCH
    if "--batches" in sys.argv:
        plan = BATCHES
    if "--medium" in sys.argv:
        plan = MEDIUM
    if quick:
        plan = [c for c in plan if c[3] == "fp16"][::3]
    rows, operands = [], {}
    for batch, bs, product, dtype, density in plan:
        case = Case(product, dtype, batch, 8192, 8192, bs, density)
        with tf32(dtype == "tf32"):
            if case.group() not in operands:
                operands.clear()  # one group's operands at a time: 8192^2 fp32 x3 is 0.8 GB
                operands[case.group()] = Operands(case, device)
            row = time_both(case, operands[case.group()])
        rows.append(row)
        record(row, f"b{bs:<3} {product:7} {dtype} batch {batch} d={density:<5}", out)
    print_crossovers(rows, ("batch", "block_size", "product", "dtype"))

if __name__ == "__main__":
    main()
