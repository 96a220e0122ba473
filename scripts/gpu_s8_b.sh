#!/bin/bash
# Session 2026-11-27 (eighth), call 2: the "turned" TF32 dW with its two consumer warpgroups as partitions of their own, each MMA
# retired before the next step's register loads (call 1's one-partition kernel raced: wrong blocks at b128 d=0.01).
# GPU tests of the Hopper kernels, the probe, the suite's TF32 dW rows.
mkdir -p $OUT/suite
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.max.sm --format=csv > $OUT/gpu.txt
timeout 200 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py > $OUT/gpu_hopper.log 2>&1; echo "rc=$?" >> $OUT/gpu_hopper.log
tail -n 3 $OUT/gpu_hopper.log
grep -h -B2 -A25 "^____" $OUT/gpu_hopper.log | head -60
timeout 200 python3 scripts/probe_tf32_dw.py > $OUT/probe_tf32_dw.log 2>&1; echo "probe rc=$?"
cat $OUT/probe_tf32_dw.log
timeout 150 python3 -m tilesparse.bench suite --products dw --dtypes tf32 --no-peer --out $OUT/suite > $OUT/suite/suite.log 2>&1; echo "suite rc=$?"
grep -A14 "^targets" $OUT/suite/suite.log
