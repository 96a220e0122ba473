#!/bin/bash
# Session 2026-11-27 (fifteenth), call 4: the dense path with its Triton densify and gather kernels: GPU tests, the
# pieces alone (against PyTorch's), and the crossovers again at batch 8192 (every dtype) and 1024/2048.
export PYTHONPATH=$PWD/src
timeout 120 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_dense.py > $OUT/dense-tests.log 2>&1
echo "dense tests rc=$?"; grep -E "FAILED|Error" $OUT/dense-tests.log | head; tail -n 1 $OUT/dense-tests.log
timeout 100 python3 scripts/probe_dense_path.py --parts > $OUT/probe-dense-parts.log 2>&1
echo "parts rc=$?"; cat $OUT/probe-dense-parts.log
timeout 220 python3 scripts/probe_dense_path.py --out $OUT/probe-dense-path.jsonl > $OUT/probe-dense-path.log 2>&1
echo "probe rc=$?"; grep -A60 crossovers $OUT/probe-dense-path.log
timeout 150 python3 scripts/probe_dense_path.py --batches --out $OUT/probe-dense-batches.jsonl > $OUT/probe-dense-batches.log 2>&1
echo "batches rc=$?"; grep -A20 crossovers $OUT/probe-dense-batches.log
