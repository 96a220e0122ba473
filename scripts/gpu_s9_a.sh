#!/bin/bash
# Session 2026-11-27 (ninth), call 1: the GPU tests of the Hopper and linear kernels at the last commit (the
# restored test_dsd_matches_float64 and the review commit's TF32 dW barrier setup had not run on a GPU), then
# the persistent seed-shape dW probe.
mkdir -p $OUT
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv > $OUT/gpu.txt
timeout 330 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py tests/test_linear.py \
  tests/test_linear_kernels.py > $OUT/tests.log 2>&1; echo "tests rc=$?"
tail -n 5 $OUT/tests.log
timeout 230 python3 scripts/probe_seed_dw_persistent.py > $OUT/probe.log 2>&1; echo "probe rc=$?"
cat $OUT/probe.log | tr ',' '\n' | head -150
