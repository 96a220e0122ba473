#!/bin/bash
# Session 2026-11-27 (eleventh), calls 5-6 (6: pairs by overlap, TF32, through the library): segment pairs at block 64 (linear_dsd_hopper_pairs): GPU tests, then the
# probe against WIDE, PERSISTENT and dense cuBLAS at batch 8192.
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv > $OUT/gpu.txt
timeout 100 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py -k pairs -x > $OUT/pairs-tests.log 2>&1
echo "pairs tests rc=$?"; tail -n 30 $OUT/pairs-tests.log
timeout 400 python3 scripts/probe_paired.py --pairs > $OUT/probe-pairs.log 2>&1
echo "probe rc=$?"; cat $OUT/probe-pairs.log
