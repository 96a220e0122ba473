#!/bin/bash
# Session 2026-11-27 (fifteenth), call 6: GPU tests after the dense path landed: the dense path's tests (opcheck
# added), the linear op's and module's GPU tests, the bench tests.
export PYTHONPATH=$PWD/src
timeout 400 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_dense.py tests/test_linear.py tests/test_nn_linear.py tests/test_bench.py > $OUT/linear-tests.log 2>&1
echo "tests rc=$?"; grep -E "FAILED|Error" $OUT/linear-tests.log | head; tail -n 1 $OUT/linear-tests.log
