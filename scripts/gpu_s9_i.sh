#!/bin/bash
# Session 2026-11-27 (ninth), call 9, after the review commit (init_ring from stage_barriers in the Gluon
# kernels, sdd_config and device-query cleanups): the Hopper GPU tests, the small-batch dW kernel tests, the
# speedup figure, and the suite's block-128 forward/dW rows (Gluon kernels) without the peer.
mkdir -p $OUT/suite $OUT/speedup
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv > $OUT/gpu.txt
timeout 200 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py \
  "tests/test_linear_kernels.py::test_sdd_persistent" > $OUT/tests.log 2>&1; echo "tests rc=$?"
tail -n 2 $OUT/tests.log
timeout 90 python3 -m tilesparse.bench speedup --out $OUT/speedup > $OUT/speedup/speedup.log 2>&1; echo "speedup rc=$?"
tail -n 12 $OUT/speedup/speedup.log
timeout 150 python3 -m tilesparse.bench suite --products forward,dw --block-sizes 128 --dtypes fp16,tf32 --no-peer \
  --out $OUT/suite > $OUT/suite/suite.log 2>&1; echo "suite rc=$?"
grep -B2 -A6 "^efficiency" $OUT/suite/suite.log | head -30
