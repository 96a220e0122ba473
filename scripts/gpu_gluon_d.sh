#!/bin/bash
# GPU session 2026-11-26d: TF32 through the Hopper kernels (probe), and the Hopper tests incl. TF32.
mkdir -p $OUT
export PYTHONPATH=src
timeout 200 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py > $OUT/gpu_tests_e.log 2>&1
timeout 300 python3 scripts/probe_gluon.py --tf32 > $OUT/probe_tf32_hopper.log 2>&1
tail -n 3 $OUT/gpu_tests_e.log
grep -B5 -A30 "^____" $OUT/gpu_tests_e.log | head -80
cat $OUT/probe_tf32_hopper.log | cut -c1-220
