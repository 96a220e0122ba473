#!/bin/bash
# Session 2026-11-27 (thirteenth), call 1: block 16 on segment groups (groups of 8, one wgmma of N = 128 a step)
# against the Triton kernel, ring depth 8 / 12 / 16; then the Hopper kernel tests, which also run the twelfth
# session's review refactors (groups kernel helpers) for the first time on a GPU.
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv > $OUT/gpu.txt
timeout 240 python3 scripts/probe_groups.py --block 16 > $OUT/probe-groups-b16.log 2>&1
echo "probe rc=$?"; cat $OUT/probe-groups-b16.log
timeout 170 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py > $OUT/hopper.log 2>&1
echo "hopper rc=$?"; tail -n 15 $OUT/hopper.log
