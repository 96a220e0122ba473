#!/bin/bash
# Session 2026-11-26 (seventh), tenth call: seed-shape variants (forward without the block-index load; dW groups
# and warps), then the dsd kernel's GPU tests (a new constexpr).
mkdir -p $OUT
export PYTHONPATH=src
timeout 240 python3 scripts/probe_seed_variants.py > $OUT/probe_seed_variants.log 2>&1
timeout 120 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_kernels.py -k "dsd" > $OUT/gpu_dsd.log 2>&1; echo "rc=$?" >> $OUT/gpu_dsd.log
tail -n 2 $OUT/gpu_dsd.log
grep -h -A20 "^____" $OUT/gpu_*.log | head -40
cat $OUT/probe_seed_variants.log
