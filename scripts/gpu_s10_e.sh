#!/bin/bash
# Session 2026-11-27 (tenth), call 5: the persistent kernel's output tile leaving in 2 or 4 chunks (4 ring stages at
# block 128); the Hopper GPU tests (chunked shapes included), the chunk probe, the rest of call 4's linear tests.
mkdir -p $OUT
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv > $OUT/gpu.txt
timeout 150 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py > $OUT/tests.log 2>&1
echo "tests rc=$?"; tail -n 8 $OUT/tests.log
timeout 200 python3 scripts/probe_paired.py --chunks > $OUT/probe-chunks.log 2>&1; echo "probe rc=$?"
cat $OUT/probe-chunks.log
timeout 200 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear.py tests/test_nn_linear.py \
  tests/test_kernel_configs.py > $OUT/tests-linear.log 2>&1
echo "linear tests rc=$?"; tail -n 8 $OUT/tests-linear.log
