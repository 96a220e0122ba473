#!/bin/bash
# Session 2026-11-27 (sixteenth), call 9, after the review: the conv op decides its cuDNN path in one function
# (cudnn_path, also what the benchmark's path column reads), the timer's warm-up pair is a loop. Conv GPU tests of
# the cuDNN paths, the conv benchmark (log only).
export PYTHONPATH=$PWD/src
timeout 100 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_conv_grouped.py tests/test_conv_dense.py tests/test_bench.py > $OUT/review-tests.log 2>&1
echo "tests rc=$?"; grep -E "FAILED|Error" $OUT/review-tests.log | head; tail -n 1 $OUT/review-tests.log
mkdir -p $OUT/conv
timeout 100 python3 -m tilesparse.bench conv --out $OUT/conv > $OUT/conv.log 2>&1
echo "conv bench rc=$?"; grep -A14 "block-diagonal (vs" $OUT/conv.log; grep -E "MET|MISSED" $OUT/conv.log
rm -rf $OUT/conv
