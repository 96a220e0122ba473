#!/bin/bash
# Session 2026-11-27 (thirteenth), call 6 (final): configs (block 16 groups from d = 0.45 at 16 bits, every
# density at TF32; x read row-major): the Hopper kernel tests, the linear op and module tests, then the suite's
# block-16 forward/dX rows with the peer.
export PYTHONPATH=src
timeout 170 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py > $OUT/hopper.log 2>&1
echo "hopper rc=$?"; tail -n 3 $OUT/hopper.log
timeout 240 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear.py tests/test_nn_linear.py > $OUT/linear.log 2>&1
echo "linear rc=$?"; tail -n 5 $OUT/linear.log
mkdir -p $OUT/suite
timeout 150 python3 -m tilesparse.bench suite --products forward,dx --block-sizes 16 --out $OUT/suite > $OUT/suite/suite.log 2>&1
echo "suite rc=$?"; grep -A30 "^efficiency" $OUT/suite/suite.log | head -40
