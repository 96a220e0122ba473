#!/bin/bash
# Session 2026-11-27 (ninth), call 2: the persistent seed-shape dW in the library (SddConfig.persistent): the
# kernel GPU tests (all of test_linear_kernels.py; call 1 timed out at 87% of its three files with no failure),
# config tests, the probe against a program per item and neighbouring configs, and the suite's block-32 dW rows.
mkdir -p $OUT/suite
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv > $OUT/gpu.txt
timeout 250 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_kernels.py tests/test_kernel_configs.py \
  > $OUT/tests.log 2>&1; echo "tests rc=$?"
tail -n 3 $OUT/tests.log
timeout 180 python3 scripts/probe_seed_dw_persistent.py > $OUT/probe.log 2>&1; echo "probe rc=$?"
cat $OUT/probe.log
timeout 120 python3 -m tilesparse.bench suite --products dw --block-sizes 32 --dtypes fp16,bf16 --out $OUT/suite \
  > $OUT/suite/suite.log 2>&1; echo "suite rc=$?"
grep -i "seed" $OUT/suite/suite.log | head -30
tail -n 3 $OUT/suite/suite.log
