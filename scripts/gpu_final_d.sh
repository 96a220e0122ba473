#!/bin/bash
# Every GPU test at the final code, in four parallel groups (session 2026-11-26d).
mkdir -p $OUT
export PYTHONPATH=src
run() { name=$1; shift; (timeout 530 python3 -m pytest -q -m gpu -p no:cacheprovider "$@" > $OUT/gpu_$name.log 2>&1; echo "rc=$?" >> $OUT/gpu_$name.log) & }
run linear tests/test_linear.py tests/test_linear_hopper.py tests/test_kernel_configs.py tests/test_layout.py tests/test_layouts.py
run kernels tests/test_linear_kernels.py
run conv tests/test_conv.py
run nn tests/test_nn_linear.py tests/test_lstm.py tests/test_lstm_examples.py tests/test_bench.py tests/test_examples.py
wait
for f in $OUT/gpu_*.log; do echo "== $f"; tail -n 2 $f; done
grep -h -A20 "^____" $OUT/gpu_*.log | head -60
