#!/bin/bash
# Session 2026-11-27 (twelfth), call 2: persistent segment-pair programs at block 64 (PERSISTENT_PAIRS): the pair
# tests (one-item and persistent shapes) against float64, then the probe against the one-item pair programs,
# PERSISTENT and WIDE, with dense cuBLAS.
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv > $OUT/gpu.txt
timeout 200 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py -k pairs > $OUT/pairs-tests.log 2>&1
echo "pair tests rc=$?"; tail -n 5 $OUT/pairs-tests.log
timeout 300 python3 scripts/probe_paired.py --persistent-pairs > $OUT/probe-persistent-pairs.log 2>&1
echo "probe rc=$?"; cat $OUT/probe-persistent-pairs.log
