#!/bin/bash
# Session 2026-11-27 (thirteenth), call 2: the group producer without stores: absent blocks read as TMA boxes
# outside the blocks (zero-filled), indices two entries ahead. The group tests first (a wrong byte count would
# hang: timeout), then the probe at blocks 16 and 32.
export PYTHONPATH=src
timeout 150 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py -k groups > $OUT/groups-tests.log 2>&1
echo "tests rc=$?"; tail -n 15 $OUT/groups-tests.log
timeout 200 python3 scripts/probe_groups.py --block 16 > $OUT/probe-groups-b16-oob.log 2>&1
echo "probe16 rc=$?"; cat $OUT/probe-groups-b16-oob.log
timeout 200 python3 scripts/probe_groups.py > $OUT/probe-groups-b32-oob.log 2>&1
echo "probe32 rc=$?"; cat $OUT/probe-groups-b32-oob.log
