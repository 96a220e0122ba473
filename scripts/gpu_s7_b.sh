#!/bin/bash
# Session 2026-11-26 (seventh), second call: the hub-ahead launch orders (probe_ba_gap.py --hubs), then the GPU
# tests of the dsd kernel that now takes them (linear kernels, linear op).
mkdir -p $OUT
export PYTHONPATH=src
timeout 300 python3 scripts/probe_ba_gap.py --hubs > $OUT/probe_ba_gap_hubs.log 2>&1
timeout 240 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_kernels.py -k "dsd or hub" tests/test_linear.py tests/test_layout.py > $OUT/gpu_dsd.log 2>&1; echo "rc=$?" >> $OUT/gpu_dsd.log
tail -n 2 $OUT/gpu_dsd.log
grep -h -A20 "^____" $OUT/gpu_*.log | head -40
cat $OUT/probe_ba_gap_hubs.log
