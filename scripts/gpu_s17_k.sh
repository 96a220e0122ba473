#!/bin/bash
# Session 2026-11-27 (seventeenth), call 11, after the review of the dW split code: the dW GPU tests and the suite's
# block-128 dW rows (fp16, bf16) on the final code.
export PYTHONPATH=$PWD/src
timeout 100 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py -k "sdd or splits or misaligned" > $OUT/sdd-tests.log 2>&1
echo "sdd tests rc=$?"; grep -E "FAILED|Error" $OUT/sdd-tests.log | head -20; tail -n 1 $OUT/sdd-tests.log
mkdir -p $OUT/dw128
timeout 120 python3 -m tilesparse.bench suite --families sweep --products dw --dtypes fp16,bf16 --block-sizes 128 --out $OUT/dw128 > $OUT/dw128/suite.log 2>&1
echo "suite rc=$?"; grep -E "^\[|^dw |MET|MISSED" $OUT/dw128/suite.log | head -30
