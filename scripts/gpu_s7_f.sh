#!/bin/bash
# Session 2026-11-26 (seventh), sixth call: TF32 block 128 with batch tiles grouped at low densities
# (probe_paired.py --groups --low), then every GPU test but conv's (conv ran in the first call, unchanged since).
mkdir -p $OUT
export PYTHONPATH=src
timeout 120 python3 scripts/probe_paired.py --groups --low > $OUT/probe_groups_low.log 2>&1
run() { name=$1; shift; (timeout 330 python3 -m pytest -q -m gpu -p no:cacheprovider "$@" > $OUT/gpu_$name.log 2>&1; echo "rc=$?" >> $OUT/gpu_$name.log) & }
run kernels tests/test_linear_kernels.py
run rest tests/test_linear.py tests/test_linear_hopper.py tests/test_kernel_configs.py tests/test_layout.py tests/test_layouts.py tests/test_nn_linear.py tests/test_lstm.py tests/test_lstm_examples.py tests/test_bench.py tests/test_examples.py
wait
for f in $OUT/gpu_*.log; do echo "== $f"; tail -n 2 $f; done
grep -h -A20 "^____" $OUT/gpu_*.log | head -40
cat $OUT/probe_groups_low.log
