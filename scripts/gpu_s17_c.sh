#!/bin/bash
# Session 2026-11-27 (seventeenth), call 3: the dW split rule as measured (pairs filling at most half the SMs): its
# GPU tests; the unsplit kernel against the one before the splits (old_src, commit 5be1a71); split counts up to 3
# with the rule's choice marked; the linear op's GPU tests (test_linear.py, test_nn_linear.py), whole.
export PYTHONPATH=$PWD/src
timeout 120 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py -k "sdd or splits" > $OUT/sdd-tests.log 2>&1
echo "sdd tests rc=$?"; grep -E "FAILED|Error" $OUT/sdd-tests.log | head -20; tail -n 1 $OUT/sdd-tests.log
timeout 150 python3 scripts/probe_dw_splits.py --against-old > $OUT/probe-dw-against-old.log 2>&1
echo "against old rc=$?"; cat $OUT/probe-dw-against-old.log
timeout 120 python3 scripts/probe_dw_splits.py --max-splits 3 > $OUT/probe-dw-splits-3.log 2>&1
echo "splits rc=$?"; cat $OUT/probe-dw-splits-3.log
timeout 290 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear.py tests/test_nn_linear.py > $OUT/linear-tests.log 2>&1
echo "linear tests rc=$?"; grep -E "FAILED|Error" $OUT/linear-tests.log | head -10; tail -n 1 $OUT/linear-tests.log
