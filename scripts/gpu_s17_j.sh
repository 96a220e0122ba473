#!/bin/bash
# Session 2026-11-27 (seventeenth), call 10: the dW GPU tests after their helper (dw_case) was factored out.
export PYTHONPATH=$PWD/src
timeout 150 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py -k "sdd or splits or misaligned" > $OUT/sdd-tests.log 2>&1
echo "sdd tests rc=$?"; grep -E "FAILED|Error" $OUT/sdd-tests.log | head -20; tail -n 1 $OUT/sdd-tests.log
