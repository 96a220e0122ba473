"""Development check (CPU): does the linear forward/dX kernel compile for sm_90 to the same PTX as at an earlier commit?

For renames and refactors meant to leave the generated code alone (the dW kernel has ``check_sdd_ptx.py``):
compiles ``linear_dsd_kernel`` from the working tree and from ``REV`` (default HEAD) for compute capability 9.0 on
this machine, for both index paths (launch table or chain), both MMA orientations, K halves, fp16 and TF32, and
compares the PTX without debug line info. Arguments are matched by position, so renamed ones still line up.
Usage: PYTHONPATH=src python3 scripts/check_dsd_ptx.py [REV]
"""

import itertools
import sys

from ptx_check import module_at, sm90_ptx

import tilesparse.kernels.linear_dsd as current

PATH = "src/tilesparse/kernels/linear_dsd.py"
DATA_POINTERS = ("x_ptr", "w_ptr", "y_ptr", "bias_ptr")


def ptx(kernel, dtype, constants):
    signature = {}
    for name in kernel.arg_names:
        if name in constants:
            signature[name] = "constexpr"
        elif name.endswith("_ptr"):
            signature[name] = f"*{dtype}" if name in DATA_POINTERS else "*i32"
        else:
            signature[name] = "i32"
    return sm90_ptx(kernel, signature, constants)


def main():
    before = module_at(sys.argv[1] if len(sys.argv) > 1 else "HEAD", PATH, "_dsd_at_rev")
    same = 0
    cases = list(itertools.product((False, True), (False, True), (1, 2), ("fp16", "fp32")))
    for table, transposed, k_split, dtype in cases:
        constants = dict(BS=32, BS_PAD=32, BLOCK_M=64, TRANSPOSE_W=True, HAS_BIAS=True,
                         INPUT_PRECISION="tf32" if dtype == "fp32" else "ieee", DOT_UPCAST=False, N_FASTEST=True,
                         TRANSPOSED_TILE=transposed, K_SPLIT=k_split, LAUNCH_TABLE=table)
        a = ptx(before.linear_dsd_kernel, dtype, constants)
        b = ptx(current.linear_dsd_kernel, dtype, constants)
        same += a == b
        print(f"table={table} transposed={transposed} k_split={k_split} {dtype}: {'same' if a == b else 'DIFFERENT'}")
    print(f"{same} of {len(cases)} variants compile to the same PTX")


if __name__ == "__main__":
    main()
