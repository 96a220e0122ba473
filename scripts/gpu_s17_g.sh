#!/bin/bash
# Session 2026-11-27 (seventeenth), call 7: dW unsplit without the zeroed counter (a memset launch each call): the dW
# tests, and against the kernel before the splits with the A/A timings.
export PYTHONPATH=$PWD/src
timeout 100 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py -k "sdd or splits" > $OUT/sdd-tests.log 2>&1
echo "sdd tests rc=$?"; grep -E "FAILED|Error" $OUT/sdd-tests.log | head -20; tail -n 1 $OUT/sdd-tests.log
timeout 150 python3 scripts/probe_dw_splits.py --against-old --aa > $OUT/probe-dw-against-old-aa.log 2>&1
echo "against old rc=$?"; cat $OUT/probe-dw-against-old-aa.log
