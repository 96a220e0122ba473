# After the grouped-dW refactor: GPU tests of the linear and conv kernels, the conv benchmark, and the
# linear dW cases on the tile-gather path (fp16 blocks 64/128, TF32) against the committed suite.
export PYTHONPATH=src
mkdir -p $OUT/results $OUT/dwcheck
(python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear.py tests/test_linear_kernels.py tests/test_kernel_configs.py tests/test_layout.py tests/test_layouts.py tests/test_nn_linear.py tests/test_lstm.py > $OUT/gpu_linear.log 2>&1; echo "rc=$?" >> $OUT/gpu_linear.log) &
(python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_conv.py > $OUT/gpu_conv.log 2>&1; echo "rc=$?" >> $OUT/gpu_conv.log) &
wait
tail -n 2 $OUT/gpu_*.log
python3 -m tilesparse.bench conv --out $OUT/results > $OUT/conv.log 2>&1; echo "conv rc=$?"
python3 -m tilesparse.bench suite --products dw --dtypes fp16,tf32 --block-sizes 64,128 --out $OUT/dwcheck > $OUT/dwcheck.log 2>&1; echo "dw rc=$?"
