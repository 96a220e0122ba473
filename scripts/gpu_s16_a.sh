#!/bin/bash
# Session 2026-11-27 (sixteenth), call 1: the conv dX dense path (convolution_backward on a placeholder input) and
# the strided dense-path tests on the GPU, dX's crossovers, the timer's spread on a few-microsecond call (blocked
# medians against paired differences), and the seed-shape rows of the suite with the paired timer.
export PYTHONPATH=$PWD/src
timeout 170 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_conv_dense.py tests/test_dense_blocks.py tests/test_linear_dense.py > $OUT/dense-tests.log 2>&1
echo "dense tests rc=$?"; grep -E "FAILED|Error" $OUT/dense-tests.log | head; tail -n 1 $OUT/dense-tests.log
timeout 150 python3 scripts/probe_conv_dense_path.py --dx --out $OUT/probe-conv-dense-dx.jsonl > $OUT/probe-conv-dense-dx.log 2>&1
echo "probe rc=$?"; grep -A30 crossovers $OUT/probe-conv-dense-dx.log; grep -E "dx" $OUT/probe-conv-dense-dx.log | head -40
timeout 80 python3 scripts/probe_timer.py --repeats 6 > $OUT/probe-timer.log 2>&1
echo "timer rc=$?"; cat $OUT/probe-timer.log
mkdir -p $OUT/seed
timeout 170 python3 -m tilesparse.bench suite --families seed --dtypes fp16,bf16 --out $OUT/seed > $OUT/seed/suite.log 2>&1
echo "seed suite rc=$?"; grep -A12 "speedup over dense" $OUT/seed/suite.log; grep -E "MET|MISSED|peer" $OUT/seed/suite.log | head -20
cd $OUT && tar czf seed.tgz seed && rm -rf seed
