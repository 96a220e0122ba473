#!/bin/bash
# Session 2026-11-27 (fourteenth), call 5: two producer warps taking the group's entries in turn (ncu: one producer
# warp was busy the whole step at block 16, L2 tag lookups at 94%), with and without x tile images. The group tests
# (all variants), then the group probe at blocks 16 and 32.
export PYTHONPATH=src
timeout 240 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py -k "groups" > $OUT/groups-tests.log 2>&1
echo "groups tests rc=$?"; grep -E "FAILED|Error" $OUT/groups-tests.log | head -20; tail -n 2 $OUT/groups-tests.log
timeout 120 python3 scripts/probe_groups.py --block 16 --producers > $OUT/probe-groups-b16-producers.log 2>&1
echo "probe b16 rc=$?"; cat $OUT/probe-groups-b16-producers.log
timeout 120 python3 scripts/probe_groups.py --producers > $OUT/probe-groups-b32-producers.log 2>&1
echo "probe b32 rc=$?"; cat $OUT/probe-groups-b32-producers.log
