#!/bin/bash
# Session 2026-11-27 (eighth), call 6: every GPU test outside the linear files (call 4 ran those on the same
# kernels): conv, layers, LSTM, layouts, configs, bench, examples; and the speedup figure again.
mkdir -p $OUT/speedup
export PYTHONPATH=src
timeout 280 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_conv.py > $OUT/gpu_conv.log 2>&1; echo "rc=$?" >> $OUT/gpu_conv.log &
timeout 280 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_nn_linear.py tests/test_lstm.py tests/test_lstm_examples.py tests/test_layout.py tests/test_layouts.py tests/test_kernel_configs.py tests/test_bench.py tests/test_examples.py > $OUT/gpu_rest.log 2>&1; echo "rc=$?" >> $OUT/gpu_rest.log
wait
tail -n 2 $OUT/gpu_conv.log $OUT/gpu_rest.log
grep -h -B2 -A25 "^____" $OUT/gpu_*.log | head -60
timeout 200 python3 -m tilesparse.bench speedup --out $OUT/speedup > $OUT/speedup/speedup.log 2>&1; echo "speedup rc=$?"
tail -n 25 $OUT/speedup/speedup.log
