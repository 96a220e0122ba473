#!/bin/bash
# Session 2026-11-27 (thirteenth), call 5: the group producer reading its indices from shared memory (cp.async,
# chunks of 32 entries two ahead) instead of registers a loop-carried copy waited for: group tests (timeout: a
# hang), then the probe at blocks 16 and 32 (fewer densities).
export PYTHONPATH=src
timeout 120 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py -k groups > $OUT/groups-tests.log 2>&1
echo "tests rc=$?"; tail -n 15 $OUT/groups-tests.log
timeout 150 python3 scripts/probe_groups.py --block 16 --quick > $OUT/probe-groups-b16-cpasync.log 2>&1
echo "probe16 rc=$?"; cat $OUT/probe-groups-b16-cpasync.log
timeout 120 python3 scripts/probe_groups.py --quick > $OUT/probe-groups-b32-cpasync.log 2>&1
echo "probe32 rc=$?"; cat $OUT/probe-groups-b32-cpasync.log
