#!/bin/bash
# Session 2026-11-26 (seventh), fourth call: two programs per SM at TF32 (probe_paired.py --tf32), then the GPU tests
# of the Gluon kernels (both program shapes) and of the configs.
mkdir -p $OUT
export PYTHONPATH=src
timeout 240 python3 scripts/probe_paired.py --tf32 > $OUT/probe_paired_tf32.log 2>&1
timeout 200 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py tests/test_kernel_configs.py tests/test_layout.py > $OUT/gpu_hopper.log 2>&1; echo "rc=$?" >> $OUT/gpu_hopper.log
tail -n 2 $OUT/gpu_hopper.log
grep -h -A20 "^____" $OUT/gpu_*.log | head -40
cat $OUT/probe_paired_tf32.log
