"""Development check (CPU): does the linear dW kernel compile for sm_90 to the same PTX as at an earlier commit?

For refactors that are meant to leave the generated code alone: compiles ``linear_sdd_kernel`` from the working
tree and from ``REV`` (default HEAD) for compute capability 9.0 on this machine, for both index paths, both
gathers, both orientations, fp16 and TF32, and compares the PTX without debug line info.
Usage: PYTHONPATH=src python3 scripts/check_sdd_ptx.py [REV]
"""

import itertools
import sys

from ptx_check import module_at, sm90_ptx

import tilesparse.kernels.linear_sdd as current

PATH = "src/tilesparse/kernels/linear_sdd.py"


def ptx(kernel, dtype, constants):
    signature = {name: f"*{dtype}" for name in ("dy_ptr", "x_ptr", "dw_ptr")}
    signature |= {name: "*i32" for name in ("group_table_ptr", "row_ptr_ptr", "block_cols_ptr", "group_first_ptr",
                                             "group_rows_ptr")}
    signature |= {name: "i32" for name in ("M", "stride_dym", "stride_dyn", "stride_xm", "stride_xk")}
    signature |= {name: "constexpr" for name in constants}
    return sm90_ptx(kernel, signature, constants)


def main():
    before = module_at(sys.argv[1] if len(sys.argv) > 1 else "HEAD", PATH, "_sdd_at_rev")
    same = 0
    cases = list(itertools.product((False, True), (False, True), ("fp16", "fp32"), (False, True)))
    for table, flat, dtype, transposed in cases:
        constants = dict(BS=32, BS_PAD=32, GROUP=4, SPLIT=1, BLOCK_K=32, GROUP_TABLE=table, TABLE_HEAD=4,
                         INPUT_PRECISION="tf32" if dtype == "fp32" else "ieee", DOT_UPCAST=False,
                         TRANSPOSED=transposed, FLAT_GATHER=flat)
        # the launcher passes the table's width only where the kernel reads the table
        a = ptx(before.linear_sdd_kernel, dtype, {**constants, "TABLE_WIDTH": 8})
        b = ptx(current.linear_sdd_kernel, dtype, {**constants, "TABLE_WIDTH": 8 if table else 0})
        same += a == b
        print(f"table={table} flat={flat} {dtype} transposed={transposed}: {'same' if a == b else 'DIFFERENT'}")
    print(f"{same} of {len(cases)} variants compile to the same PTX")


if __name__ == "__main__":
    main()
