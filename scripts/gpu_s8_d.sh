#!/bin/bash
# Session 2026-11-27 (eighth), call 4: the feature-major dW order removed (TF32 dW always "turned"), TF32 block
# 64 dW on the Gluon kernel in every group: GPU tests of the linear kernels and op, the probe against the
# Triton kernel, the suite's TF32 dW rows.
mkdir -p $OUT/suite
export PYTHONPATH=src
timeout 250 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py tests/test_linear.py > $OUT/gpu_linear.log 2>&1; echo "rc=$?" >> $OUT/gpu_linear.log &
timeout 250 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_kernels.py > $OUT/gpu_kernels.log 2>&1; echo "rc=$?" >> $OUT/gpu_kernels.log
wait
tail -n 2 $OUT/gpu_linear.log $OUT/gpu_kernels.log
grep -h -B2 -A25 "^____" $OUT/gpu_*.log | head -60
timeout 200 python3 scripts/probe_tf32_dw.py --variants turned,triton > $OUT/probe_tf32_dw.log 2>&1; echo "probe rc=$?"
cat $OUT/probe_tf32_dw.log
timeout 150 python3 -m tilesparse.bench suite --products dw --dtypes tf32 --out $OUT/suite > $OUT/suite/suite.log 2>&1; echo "suite rc=$?"
grep -A14 "^targets" $OUT/suite/suite.log
