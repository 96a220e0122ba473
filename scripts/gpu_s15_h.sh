#!/bin/bash
# Session 2026-11-27 (fifteenth), call 8: the conv op's dense path (cuDNN on the densified weight) and the shared
# copy kernels: GPU tests, then where the dense path beats the sparse conv kernels.
export PYTHONPATH=$PWD/src
timeout 150 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_conv_dense.py tests/test_dense_blocks.py tests/test_linear_dense.py > $OUT/dense-tests.log 2>&1
echo "dense tests rc=$?"; grep -E "FAILED|Error" $OUT/dense-tests.log | head; tail -n 1 $OUT/dense-tests.log
timeout 300 python3 scripts/probe_conv_dense_path.py --out $OUT/probe-conv-dense-path.jsonl > $OUT/probe-conv-dense-path.log 2>&1
echo "probe rc=$?"; grep -A40 crossovers $OUT/probe-conv-dense-path.log
