#!/bin/bash
# Session 2026-11-27 (twelfth), call 6: the segment-group kernel gave wrong forward values in call 5. Per-segment
# errors (scripts/debug_groups.py), then every group test without stopping at the first failure.
export PYTHONPATH=src
timeout 120 python3 scripts/debug_groups.py > $OUT/debug-groups.log 2>&1
echo "debug rc=$?"; cat $OUT/debug-groups.log | head -150
timeout 150 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py -k groups > $OUT/groups-tests.log 2>&1
echo "group tests rc=$?"; grep -E "passed|failed|^FAILED|AssertionError" $OUT/groups-tests.log | head -30
