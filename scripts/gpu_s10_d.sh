#!/bin/bash
# Session 2026-11-27 (tenth), call 4: configs now pick the persistent forward/dX kernel (16-bit block 128 above 4
# blocks a segment, block 64 below 48) and PAIRED for very short TF32 block-64 segments. GPU tests of the Hopper
# kernels and of the linear op/module, then the suite's forward/dX rows at blocks 64/128, fp16 and bf16.
mkdir -p $OUT/suite
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv > $OUT/gpu.txt
timeout 230 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py tests/test_linear.py \
  tests/test_nn_linear.py tests/test_kernel_configs.py > $OUT/tests.log 2>&1
echo "tests rc=$?"; tail -n 15 $OUT/tests.log
timeout 330 python3 -m tilesparse.bench suite --products forward,dx --block-sizes 64,128 --dtypes fp16,bf16 --no-peer \
  --out $OUT/suite > $OUT/suite/suite.log 2>&1; echo "suite rc=$?"
grep -B2 -A12 "^efficiency" $OUT/suite/suite.log | head -40
ls $OUT/suite
