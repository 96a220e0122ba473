#!/bin/bash
# Session 2026-11-27 (fourteenth), call 3: x read from its tiles' swizzled images (kernels/tile_image.py; TMA
# copies 512-byte rows instead of 256 rows of 32-64 bytes). The group and tile-image tests, then the group probe
# at blocks 16 and 32 with and without images (stores both).
export PYTHONPATH=src
timeout 200 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py tests/test_tile_image.py -k "groups or tile_image" > $OUT/groups-tests.log 2>&1
echo "groups tests rc=$?"; grep -E "FAILED|Error" $OUT/groups-tests.log | head -20; tail -n 3 $OUT/groups-tests.log
timeout 120 python3 scripts/probe_groups.py --block 16 --x-image > $OUT/probe-groups-b16-image.log 2>&1
echo "probe b16 rc=$?"; cat $OUT/probe-groups-b16-image.log
timeout 120 python3 scripts/probe_groups.py --x-image > $OUT/probe-groups-b32-image.log 2>&1
echo "probe b32 rc=$?"; cat $OUT/probe-groups-b32-image.log
