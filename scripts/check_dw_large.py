"""Development check (GPU): the block-32 dW at batch 8192 (d = 0.5/0.25) and at the seed shape (batch 32,
d = 0.02/0.01) before this session's index-table work (old_src/tilesparse_old = commit 838a3a8) and after,
interleaved on one machine; the suite's layouts (seed 0).
Usage: PYTHONPATH=src python3 scripts/check_dw_large.py"""

import sys

import torch

sys.path.insert(0, "old_src")
import tilesparse_old.kernels.linear_sdd as old_sdd  # noqa: E402

from tilesparse.bench.linear import DEFAULT_TIMING, Case, make_layout, time_ms  # noqa: E402
from tilesparse.kernels.linear_sdd import linear_sdd, sdd_config  # noqa: E402
from tilesparse.layout import linear_dw_group_size  # noqa: E402

dev = torch.device("cuda")
print(torch.cuda.get_device_name(), flush=True)
for batch, n, density in ((8192, 8192, 0.5), (8192, 8192, 0.25), (32, 12288, 0.02), (32, 12288, 0.01)):
    case = Case(product="dw", dtype="fp16", block_size=32, batch=batch, out_features=n, in_features=n,
                density=density, layout="random", family="sweep")
    layout = make_layout(case)
    t = layout.tables(dev)
    x = torch.randn(batch, n, device=dev, dtype=torch.float16)
    dy = torch.randn(batch, n, device=dev, dtype=torch.float16)
    group = linear_dw_group_size(32, layout.nnz, n // 32)
    common = (dy, x, t.row_ptr, t.block_cols, t.group_first, t.group_rows, 32, group)
    print(f"batch {batch} d={density} G={group} config {sdd_config(batch, 32, group, 2)}", flush=True)
    for _ in range(3):
        old = time_ms(lambda: old_sdd.linear_sdd(*common), dev, DEFAULT_TIMING)  # noqa: B023
        new = time_ms(lambda: linear_sdd(*common, group_table=t.group_table), dev, DEFAULT_TIMING)  # noqa: B023
        print(f"  before {old * 1e3:.1f} us, after {new * 1e3:.1f} us", flush=True)
