#!/bin/bash
# Session 2026-11-27 (eleventh), call 1: the review commit 74be8b1 (DsdConfig.hopper_shape) on a GPU for the first
# time: the Hopper kernel tests, the linear op tests, then the Triton kernels' own tests.
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv > $OUT/gpu.txt
timeout 100 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py > $OUT/hopper.log 2>&1
echo "hopper rc=$?"; tail -n 3 $OUT/hopper.log
timeout 200 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear.py > $OUT/linear.log 2>&1
echo "linear rc=$?"; tail -n 3 $OUT/linear.log
timeout 280 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_kernels.py > $OUT/kernels.log 2>&1
echo "kernels rc=$?"; tail -n 3 $OUT/kernels.log
