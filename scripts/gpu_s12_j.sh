#!/bin/bash
# Session 2026-11-27 (twelfth), call 10: block 32 on segment groups through the library (configs from d = 0.4,
# TF32 0.2; the layout's group tables): the Hopper tests, the linear op and module tests, then the suite's block-32
# forward/dX rows with the peer.
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv > $OUT/gpu.txt
timeout 150 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py > $OUT/hopper.log 2>&1
echo "hopper rc=$?"; tail -n 3 $OUT/hopper.log
timeout 250 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear.py tests/test_nn_linear.py > $OUT/linear.log 2>&1
echo "linear rc=$?"; tail -n 3 $OUT/linear.log
mkdir -p $OUT/suite
timeout 150 python3 -m tilesparse.bench suite --products forward,dx --block-sizes 32 --out $OUT/suite > $OUT/suite/suite.log 2>&1
echo "suite rc=$?"; grep -A40 "^efficiency" $OUT/suite/suite.log | head -50
