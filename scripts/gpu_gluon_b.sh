#!/bin/bash
# GPU session 2026-11-26d: linear GPU tests with both Hopper kernels, then the Triton dW at block 128 in pairs.
mkdir -p $OUT
export PYTHONPATH=src
timeout 420 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py tests/test_linear.py \
  tests/test_nn_linear.py tests/test_kernel_configs.py tests/test_layout.py > $OUT/gpu_tests_a.log 2>&1 &
timeout 420 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_kernels.py tests/test_lstm.py \
  > $OUT/gpu_tests_b.log 2>&1 &
wait
timeout 120 python3 scripts/probe_gluon.py --triton-dw-groups > $OUT/probe_triton_dw_groups.log 2>&1
tail -3 $OUT/gpu_tests_a.log $OUT/gpu_tests_b.log
grep -B2 -A25 "^____\|Error" $OUT/gpu_tests_*.log | head -80
cat $OUT/probe_triton_dw_groups.log
