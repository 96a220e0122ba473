#!/bin/bash
# Session 2026-11-27 (sixteenth), call 5: the original's figure (speedup vs sparsity, seed shape, with the peer) with
# the paired timer; the bench's GPU test; the conv op's GPU tests (kernels unchanged; dX's dense-path routing new).
export PYTHONPATH=$PWD/src
mkdir -p $OUT/speedup
timeout 150 python3 -m tilesparse.bench speedup --out $OUT/speedup > $OUT/speedup/speedup.log 2>&1
echo "speedup rc=$?"; tail -n 25 $OUT/speedup/speedup.log
cd $OUT && tar czf speedup.tgz speedup && rm -rf speedup && cd - > /dev/null
timeout 360 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_bench.py tests/test_conv.py > $OUT/conv-bench-tests.log 2>&1
echo "tests rc=$?"; grep -E "FAILED|Error" $OUT/conv-bench-tests.log | head; tail -n 1 $OUT/conv-bench-tests.log
