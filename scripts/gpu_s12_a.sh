#!/bin/bash
# Session 2026-11-27 (twelfth), call 1: the eleventh session's last changes (review commit 9606247: shared
# load_block_step/block_operand helpers, the hub rule in the config; the pair launcher's checks; the table builder
# refactor) on a GPU for the first time: Hopper kernel tests, linear op and module tests, block-64 suite rows.
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv > $OUT/gpu.txt
timeout 130 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py > $OUT/hopper.log 2>&1
echo "hopper rc=$?"; tail -n 3 $OUT/hopper.log
timeout 250 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear.py tests/test_nn_linear.py > $OUT/linear.log 2>&1
echo "linear rc=$?"; tail -n 3 $OUT/linear.log
mkdir -p $OUT/suite
timeout 150 python3 -m tilesparse.bench suite --products forward,dx --block-sizes 64 --out $OUT/suite > $OUT/suite/suite.log 2>&1
echo "suite rc=$?"; grep -A40 "^efficiency" $OUT/suite/suite.log | head -60
