#!/bin/bash
# Session 2026-11-26 (seventh), last call: the GPU tests of the layers, LSTM, bench and examples (and the Hopper
# kernels) at the final code: they last ran before the final hub order and the batch-32 dW split.
mkdir -p $OUT
export PYTHONPATH=src
run() { name=$1; shift; (timeout 300 python3 -m pytest -q -m gpu -p no:cacheprovider "$@" > $OUT/gpu_$name.log 2>&1; echo "rc=$?" >> $OUT/gpu_$name.log) & }
run nn tests/test_nn_linear.py tests/test_lstm.py tests/test_lstm_examples.py
run rest tests/test_bench.py tests/test_examples.py tests/test_linear_hopper.py tests/test_kernel_configs.py tests/test_layout.py
wait
for f in $OUT/gpu_*.log; do echo "== $f"; tail -n 2 $f; done
grep -h -A20 "^____" $OUT/gpu_*.log | head -40
