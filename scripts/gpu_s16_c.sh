#!/bin/bash
# Session 2026-11-27 (sixteenth), call 3: the suite's TF32 and seed-shape rows with the paired timer; the conv op with
# dX's dense path thresholds: dense-path GPU tests, the conv benchmark.
export PYTHONPATH=$PWD/src
mkdir -p $OUT/rest $OUT/conv
timeout 260 python3 -m tilesparse.bench suite --families tf32,seed --out $OUT/rest > $OUT/rest/suite.log 2>&1
echo "tf32+seed suite rc=$?"; grep -A12 "^efficiency\|^speedup over dense" $OUT/rest/suite.log | head -40; grep -A20 "^targets" $OUT/rest/suite.log
timeout 200 python3 -m tilesparse.bench conv --out $OUT/conv > $OUT/conv/conv.log 2>&1
echo "conv bench rc=$?"; grep -E "MET|MISSED" $OUT/conv/conv.log
timeout 100 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_conv_dense.py > $OUT/conv-dense-tests.log 2>&1
echo "conv dense tests rc=$?"; tail -n 1 $OUT/conv-dense-tests.log
cd $OUT && tar czf rest.tgz rest conv && rm -rf rest conv
