#!/bin/bash
# Session 2026-11-26e, first call: the Hopper/linear GPU tests at the commits not yet run on a GPU (rename,
# k_step, review), then the seed-shape dependent-load probe alone on the GPU.
mkdir -p $OUT
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.max.sm --format=csv > $OUT/gpu.txt
run() { name=$1; shift; (timeout 400 python3 -m pytest -q -m gpu -p no:cacheprovider "$@" > $OUT/gpu_$name.log 2>&1; echo "rc=$?" >> $OUT/gpu_$name.log) & }
run linear tests/test_linear.py tests/test_linear_hopper.py tests/test_kernel_configs.py
run kernels tests/test_linear_kernels.py
wait
for f in $OUT/gpu_*.log; do echo "== $f"; tail -n 2 $f; done
grep -h -A20 "^____" $OUT/gpu_*.log | head -40
timeout 170 python3 scripts/probe_seed_levels.py > $OUT/probe_seed_levels.log 2>&1
cat $OUT/probe_seed_levels.log
