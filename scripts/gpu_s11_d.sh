#!/bin/bash
# Session 2026-11-27 (eleventh), call 7: segment pairs in the configs (block 64 from 20 blocks a segment): the pairs
# probe with both pairings built up front, the Hopper and linear GPU tests, then the suite's block-64 rows.
mkdir -p $OUT/suite
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv > $OUT/gpu.txt
timeout 150 python3 scripts/probe_paired.py --pairs > $OUT/probe-pairs.log 2>&1
echo "probe rc=$?"; cat $OUT/probe-pairs.log
timeout 120 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py > $OUT/hopper.log 2>&1
echo "hopper rc=$?"; tail -n 3 $OUT/hopper.log
timeout 230 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear.py tests/test_nn_linear.py > $OUT/linear.log 2>&1
echo "linear rc=$?"; tail -n 3 $OUT/linear.log
