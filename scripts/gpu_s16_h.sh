#!/bin/bash
# Session 2026-11-27 (sixteenth), call 8: after the diagonal-groups check moved into Layout construction (host side):
# the conv grouped path's GPU tests, torch.compile of the linear and conv modules, the layout tests on CUDA.
export PYTHONPATH=$PWD/src
timeout 200 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_conv_grouped.py tests/test_layout.py tests/test_nn_linear.py tests/test_conv.py -k "grouped or compile or table or layout" > $OUT/layout-tests.log 2>&1
echo "tests rc=$?"; grep -E "FAILED|Error" $OUT/layout-tests.log | head; tail -n 1 $OUT/layout-tests.log
