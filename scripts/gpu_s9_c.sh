#!/bin/bash
# Session 2026-11-27 (ninth), call 3: persistent small-batch dW also for 16-bit blocks 16/64 and TF32 block 32
# (small_batch_persistent): GPU tests of the kernels (whole file; calls 1-2 timed out at 87%/92% without a failure)
# and of the op (test_linear.py, small-batch TF32 added), two pytest processes side by side, then the probe's check.
mkdir -p $OUT
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv > $OUT/gpu.txt
timeout 450 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_kernels.py > $OUT/tests-kernels.log 2>&1 &
timeout 450 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear.py tests/test_kernel_configs.py \
  tests/test_nn_linear.py > $OUT/tests-linear.log 2>&1 &
wait
tail -n 3 $OUT/tests-kernels.log $OUT/tests-linear.log
timeout 100 python3 scripts/probe_seed_dw_persistent.py --check > $OUT/probe.log 2>&1; echo "probe rc=$?"
cat $OUT/probe.log
