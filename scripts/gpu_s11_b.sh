#!/bin/bash
# Session 2026-11-27 (eleventh), calls 2-4: the small-batch Hopper kernel (linear_dsd_small_batch): its GPU tests,
# then the seed-shape probe against the Triton config and dense cuBLAS (call 3: x tiles of 32 rows; call 4:
# persistent programs). The kernel and scripts/probe_seed_small_batch.py were dropped after these calls; both are
# at commit 6954cf9.
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv > $OUT/gpu.txt
timeout 120 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py -k small_batch -x > $OUT/small-batch-tests.log 2>&1
echo "small-batch tests rc=$?"; tail -n 30 $OUT/small-batch-tests.log
timeout 240 python3 scripts/probe_seed_small_batch.py > $OUT/probe-seed-small-batch.log 2>&1
echo "probe rc=$?"; cat $OUT/probe-seed-small-batch.log
timeout 100 python3 scripts/probe_seed_small_batch.py --dtype bf16 --densities 0.25,0.1 > $OUT/probe-seed-small-batch-bf16.log 2>&1
echo "probe bf16 rc=$?"; cat $OUT/probe-seed-small-batch-bf16.log
