#!/bin/bash
# Session 2026-11-27 (tenth), call 6: configs with the persistent block-128 tile leaving in halves. The suite's
# forward/dX rows at blocks 64/128 for fp16, bf16 and TF32 with the peer (PyTorch BSR), then the GPU tests of the
# linear op/module and the Hopper config test on the final configs.
mkdir -p $OUT/suite
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv > $OUT/gpu.txt
timeout 300 python3 -m tilesparse.bench suite --products forward,dx --block-sizes 64,128 --dtypes fp16,bf16,tf32 \
  --out $OUT/suite > $OUT/suite/suite.log 2>&1; echo "suite rc=$?"
grep -A30 "^efficiency" $OUT/suite/suite.log | head -45
timeout 200 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear.py tests/test_nn_linear.py \
  "tests/test_linear_hopper.py::test_dsd_matches_float64" > $OUT/tests.log 2>&1
echo "tests rc=$?"; tail -n 4 $OUT/tests.log
