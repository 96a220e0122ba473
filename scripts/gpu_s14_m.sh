#!/bin/bash
# Session 2026-11-27 (fourteenth), call 13: after the review (group launcher checks first, image descriptor through
# _desc): the group, tile-image and launcher tests, the linear op's group tests, and a short group probe.
export PYTHONPATH=src
timeout 240 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py tests/test_tile_image.py -k "groups or tile_image" > $OUT/groups-tests.log 2>&1
echo "groups rc=$?"; grep -E "FAILED|Error" $OUT/groups-tests.log | head; tail -n 1 $OUT/groups-tests.log
timeout 60 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear.py -k segment_groups > $OUT/linear-groups.log 2>&1
echo "linear rc=$?"; tail -n 1 $OUT/linear-groups.log
