#!/bin/bash
# Session 2026-11-27 (seventeenth), call 2: dW with the batch split (linear_hopper.dw_splits, the workspace sum):
# its GPU tests and the unchanged dW tests, the linear op's GPU tests, then every split count timed
# (scripts/probe_dw_splits.py).
export PYTHONPATH=$PWD/src
timeout 200 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py -k "sdd or splits" > $OUT/sdd-tests.log 2>&1
echo "sdd tests rc=$?"; grep -E "FAILED|Error" $OUT/sdd-tests.log | head -20; tail -n 1 $OUT/sdd-tests.log
timeout 150 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear.py tests/test_nn_linear.py -x > $OUT/linear-tests.log 2>&1
echo "linear tests rc=$?"; grep -E "FAILED|Error" $OUT/linear-tests.log | head -10; tail -n 1 $OUT/linear-tests.log
timeout 220 python3 scripts/probe_dw_splits.py > $OUT/probe-dw-splits.log 2>&1
echo "probe rc=$?"; cat $OUT/probe-dw-splits.log
