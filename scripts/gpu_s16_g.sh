#!/bin/bash
# Session 2026-11-27 (sixteenth), call 7, on the final code: the review moved the timer's graph capture into one
# function (flush_graphs) and the conv tests into shared helpers. GPU tests of the bench, the conv grouped and dense
# paths; the speedup command (the timer end to end) with its files.
export PYTHONPATH=$PWD/src
timeout 150 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_bench.py tests/test_conv_grouped.py tests/test_conv_dense.py > $OUT/final-tests.log 2>&1
echo "tests rc=$?"; grep -E "FAILED|Error" $OUT/final-tests.log | head; tail -n 1 $OUT/final-tests.log
mkdir -p $OUT/speedup
timeout 120 python3 -m tilesparse.bench speedup --out $OUT/speedup > $OUT/speedup/speedup.log 2>&1
echo "speedup rc=$?"; grep -A12 "  out     in" $OUT/speedup/speedup.log | head -12
cd $OUT && tar czf speedup.tgz speedup && rm -rf speedup
