#!/bin/bash
# Session 2026-11-27 (fourteenth), call 6: one, two or four producer warps. The group tests (all variants), then
# the group probe at every density: block 16 (images with 2 or 4 producers, 4 without), block 32 (stores or TMA's
# zeros with 2 or 4 producers).
export PYTHONPATH=src
timeout 200 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py -k "groups" > $OUT/groups-tests.log 2>&1
echo "groups tests rc=$?"; grep -E "FAILED|Error" $OUT/groups-tests.log | head -20; tail -n 2 $OUT/groups-tests.log
timeout 190 python3 scripts/probe_groups.py --block 16 --producers > $OUT/probe-groups-b16-producers-2.log 2>&1
echo "probe b16 rc=$?"; cat $OUT/probe-groups-b16-producers-2.log
timeout 190 python3 scripts/probe_groups.py --producers > $OUT/probe-groups-b32-producers-2.log 2>&1
echo "probe b32 rc=$?"; cat $OUT/probe-groups-b32-producers-2.log
