# GPU tests in three parallel groups, then the speedup figure (results under $OUT).
mkdir -p $OUT/results
export PYTHONPATH=src
(python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear.py tests/test_linear_kernels.py tests/test_kernel_configs.py tests/test_layout.py tests/test_layouts.py > $OUT/gpu_linear.log 2>&1; echo "rc=$?" >> $OUT/gpu_linear.log) &
(python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_conv.py > $OUT/gpu_conv.log 2>&1; echo "rc=$?" >> $OUT/gpu_conv.log) &
(python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_nn_linear.py tests/test_lstm.py tests/test_lstm_examples.py tests/test_bench.py tests/test_examples.py > $OUT/gpu_nn.log 2>&1; echo "rc=$?" >> $OUT/gpu_nn.log) &
wait
tail -n 2 $OUT/gpu_*.log
python3 -m tilesparse.bench speedup --out $OUT/results > $OUT/speedup.log 2>&1; echo "speedup rc=$?"
tail -n 20 $OUT/speedup.log
