#!/bin/bash
# Session 2026-11-27 (fifteenth), call 10 (last of the budget): conv dX's dense path through convolution_backward
# with a placeholder input (it took 0.88 ms through torch.nn.grad.conv2d_input against cuDNN's 0.41), its provisional
# thresholds: the conv benchmark, dX crossovers, the dense-path GPU tests.
export PYTHONPATH=$PWD/src
mkdir -p $OUT/conv
timeout 70 python3 -m tilesparse.bench conv --out $OUT/conv > $OUT/conv/conv.log 2>&1
echo "conv bench rc=$?"; grep -E "MET|MISSED" $OUT/conv/conv.log
timeout 50 python3 scripts/probe_conv_dense_path.py --dx > $OUT/probe-conv-dense-dx.log 2>&1
echo "probe rc=$?"; grep -A8 crossovers $OUT/probe-conv-dense-dx.log
timeout 45 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_conv_dense.py tests/test_dense_blocks.py > $OUT/dense-tests.log 2>&1
echo "tests rc=$?"; grep -E "FAILED|Error" $OUT/dense-tests.log | head; tail -n 1 $OUT/dense-tests.log
cd $OUT && tar czf conv.tgz conv && rm -rf conv
