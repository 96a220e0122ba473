#!/bin/bash
# Session 2026-11-27 (seventeenth), call 8: dW splitting only the groups of a nearly empty last round
# (split_first): the dW GPU tests, and the last round's groups in 2, 4 and 8 against unsplit
# (scripts/probe_dw_splits.py --tail).
export PYTHONPATH=$PWD/src
timeout 150 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py -k "sdd or splits" > $OUT/sdd-tests.log 2>&1
echo "sdd tests rc=$?"; grep -E "FAILED|Error" $OUT/sdd-tests.log | head -20; tail -n 1 $OUT/sdd-tests.log
timeout 150 python3 scripts/probe_dw_splits.py --tail > $OUT/probe-dw-tail.log 2>&1
echo "tail rc=$?"; cat $OUT/probe-dw-tail.log
