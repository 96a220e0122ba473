#!/bin/bash
# Session 2026-11-27 (seventeenth), call 6, on the final code: the linear op's and module's GPU tests (test_linear.py,
# test_nn_linear.py) and the dW tests, and the unsplit dW kernel against the one before the splits with each
# also timed against itself (the order's bias).
export PYTHONPATH=$PWD/src
timeout 290 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear.py tests/test_nn_linear.py > $OUT/linear-tests.log 2>&1
echo "linear tests rc=$?"; grep -E "FAILED|Error" $OUT/linear-tests.log | head -10; tail -n 1 $OUT/linear-tests.log
timeout 100 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py -k "sdd or splits" > $OUT/sdd-tests.log 2>&1
echo "sdd tests rc=$?"; grep -E "FAILED|Error" $OUT/sdd-tests.log | head -20; tail -n 1 $OUT/sdd-tests.log
timeout 150 python3 scripts/probe_dw_splits.py --against-old --aa > $OUT/probe-dw-against-old-aa.log 2>&1
echo "against old rc=$?"; cat $OUT/probe-dw-against-old-aa.log
