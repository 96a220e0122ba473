#!/bin/bash
# Session 2026-11-26e, last call: the GPU tests not yet run on this session's final code (Hopper kernels,
# conv, bench, examples), in three parallel groups.
mkdir -p $OUT
export PYTHONPATH=src
run() { name=$1; shift; (timeout 230 python3 -m pytest -q -m gpu -p no:cacheprovider "$@" > $OUT/gpu_$name.log 2>&1; echo "rc=$?" >> $OUT/gpu_$name.log) & }
run hopper tests/test_linear_hopper.py tests/test_layout.py tests/test_kernel_configs.py
run conv tests/test_conv.py
run nn tests/test_bench.py tests/test_examples.py tests/test_layouts.py
wait
for f in $OUT/gpu_*.log; do echo "== $f"; tail -n 2 $f; done
grep -h -A20 "^____" $OUT/gpu_*.log | head -40
