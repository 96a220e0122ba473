#!/bin/bash
# GPU session 2026-11-26d: the Gluon dW probe, then the linear GPU tests with the Hopper forward/dX kernel.
mkdir -p $OUT
PYTHONPATH=src timeout 170 python3 scripts/probe_gluon.py --dw > $OUT/probe_gluon_dw.log 2>&1
PYTHONPATH=src timeout 400 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py \
  tests/test_linear.py tests/test_nn_linear.py tests/test_kernel_configs.py > $OUT/gpu_tests_linear.log 2>&1
tail -5 $OUT/gpu_tests_linear.log
cat $OUT/probe_gluon_dw.log | cut -c1-200
