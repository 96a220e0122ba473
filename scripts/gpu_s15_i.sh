#!/bin/bash
# Session 2026-11-27 (fifteenth), call 9: the conv dense path with cuDNN's TF32 following the kernels' precision and
# its measured thresholds: dense-path and copy-kernel GPU tests, the conv op's GPU tests, the conv benchmark.
export PYTHONPATH=$PWD/src
timeout 240 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_conv_dense.py tests/test_dense_blocks.py tests/test_conv.py > $OUT/conv-tests.log 2>&1
echo "tests rc=$?"; grep -E "FAILED|Error" $OUT/conv-tests.log | head; tail -n 1 $OUT/conv-tests.log
mkdir -p $OUT/conv
timeout 200 python3 -m tilesparse.bench conv --out $OUT/conv > $OUT/conv/conv.log 2>&1
echo "conv bench rc=$?"; grep -E "MET|MISSED" $OUT/conv/conv.log
cd $OUT && tar czf conv.tgz conv && rm -rf conv
