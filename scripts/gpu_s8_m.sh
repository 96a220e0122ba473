#!/bin/bash
# Session 2026-11-27 (eighth), call 13: hubs at factor 1.5 for the Gluon forward/dX (layout tables
# row_hubs_wide/col_hubs_wide): GPU tests, late-tile counts at factor 1.5, BA vs random at blocks 128 and 64
# with the library's defaults.
export PYTHONPATH=src
timeout 250 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py tests/test_linear.py tests/test_nn_linear.py tests/test_layout.py > $OUT/gpu_linear.log 2>&1; echo "rc=$?" >> $OUT/gpu_linear.log
tail -n 2 $OUT/gpu_linear.log
grep -h -B2 -A25 "^____" $OUT/gpu_linear.log | head -50
timeout 150 python3 scripts/probe_ba_gap.py --hubs --block 128 --densities 0.25,0.1,0.05 --layouts "ba,random" --products dx,forward > $OUT/probe_hubs_b128.log 2>&1; echo "rc=$?"
timeout 100 python3 scripts/probe_ba_gap.py --block 128 --densities 0.25,0.1,0.05 --products forward,dx > $OUT/probe_ba_b128.log 2>&1; echo "rc=$?"
timeout 100 python3 scripts/probe_ba_gap.py --block 64 --densities 0.25,0.1,0.05 --products forward,dx > $OUT/probe_ba_b64.log 2>&1; echo "rc=$?"
cat $OUT/probe_hubs_b128.log
grep -v "nnz" $OUT/probe_ba_b128.log $OUT/probe_ba_b64.log
