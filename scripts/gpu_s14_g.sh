#!/bin/bash
# Session 2026-11-27 (fourteenth), call 7: configs (segment groups with 2 or 4 producer warps, x tile images at
# 16-bit block 16, TMA's zeros removed): the Hopper kernel tests, the tile-image tests, the linear op and module tests.
export PYTHONPATH=src
timeout 330 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py tests/test_tile_image.py > $OUT/hopper.log 2>&1
echo "hopper rc=$?"; grep -E "FAILED|Error" $OUT/hopper.log | head; tail -n 2 $OUT/hopper.log
timeout 240 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear.py tests/test_nn_linear.py > $OUT/linear.log 2>&1
echo "linear rc=$?"; grep -E "FAILED|Error" $OUT/linear.log | head; tail -n 2 $OUT/linear.log
