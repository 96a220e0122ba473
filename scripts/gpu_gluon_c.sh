#!/bin/bash
# GPU session 2026-11-26d: dW groups split for the Triton kernel; its tests and timing.
mkdir -p $OUT
export PYTHONPATH=src
timeout 300 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_kernels.py -k "sdd or large_batch" \
  > $OUT/gpu_tests_c.log 2>&1 &
timeout 300 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py tests/test_linear.py -k "weight or grad or hopper or backward" > $OUT/gpu_tests_d.log 2>&1 &
wait
timeout 120 python3 scripts/probe_gluon.py --triton-dw-groups > $OUT/probe_triton_dw_groups2.log 2>&1
tail -n 3 $OUT/gpu_tests_c.log $OUT/gpu_tests_d.log
grep -A25 "^____" $OUT/gpu_tests_*.log | head -60
cat $OUT/probe_triton_dw_groups2.log
