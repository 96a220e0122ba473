#!/bin/bash
# Session 2026-11-27 (fourteenth), call 11: the final code (one-producer branch removed: PTX of the 2/4-producer
# variants unchanged). The Hopper kernel and tile-image tests, the linear op's group tests; Barabasi-Albert layouts
# at block 16 on groups; block 32 around the group thresholds.
export PYTHONPATH=src
timeout 300 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py tests/test_tile_image.py > $OUT/hopper.log 2>&1
echo "hopper rc=$?"; grep -E "FAILED|Error" $OUT/hopper.log | head; tail -n 1 $OUT/hopper.log
timeout 100 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear.py -k "segment_groups or pairs" > $OUT/linear-groups.log 2>&1
echo "linear rc=$?"; tail -n 1 $OUT/linear-groups.log
timeout 120 python3 scripts/probe_groups_ba.py --block 16 > $OUT/probe-groups-ba-b16.log 2>&1
echo "ba16 rc=$?"; cat $OUT/probe-groups-ba-b16.log
timeout 100 python3 scripts/probe_groups.py --producers --edges > $OUT/probe-groups-b32-edges.log 2>&1
echo "edges rc=$?"; cat $OUT/probe-groups-b32-edges.log
