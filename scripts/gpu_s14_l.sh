#!/bin/bash
# Session 2026-11-27 (fourteenth), call 12: block 32 in groups of 8 (N = 256, 128 batch rows) against groups of 4,
# now that two or four producer warps keep up (one producer had made groups of 8 0.28-0.73x of the Triton kernel).
export PYTHONPATH=src
timeout 280 python3 scripts/probe_groups.py --eight --producers > $OUT/probe-groups-b32-eight.log 2>&1
echo "probe rc=$?"; cat $OUT/probe-groups-b32-eight.log
