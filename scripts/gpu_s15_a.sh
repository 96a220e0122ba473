#!/bin/bash
# Session 2026-11-27 (fifteenth), call 1: the linear op's dense path (cuBLAS on the densified weight): its GPU
# tests, the linear op's GPU tests (routing changed), then where it beats the sparse kernels.
export PYTHONPATH=$PWD/src
nvidia-smi --query-gpu=name,clocks.max.sm --format=csv,noheader
timeout 120 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_dense.py tests/test_bench.py > $OUT/dense-tests.log 2>&1
echo "dense tests rc=$?"; grep -E "FAILED|Error" $OUT/dense-tests.log | head; tail -n 1 $OUT/dense-tests.log
timeout 400 python3 scripts/probe_dense_path.py --out $OUT/probe-dense-path.jsonl > $OUT/probe-dense-path.log 2>&1
echo "probe rc=$?"; tail -n 45 $OUT/probe-dense-path.log
