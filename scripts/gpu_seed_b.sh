#!/bin/bash
# Session 2026-11-26e, second call: the dW group table. GPU tests of the linear products, then the library's
# dW before and after (old_src = the previous commit's package), alone on the GPU.
mkdir -p $OUT
export PYTHONPATH=src
run() { name=$1; shift; (timeout 400 python3 -m pytest -q -m gpu -p no:cacheprovider "$@" > $OUT/gpu_$name.log 2>&1; echo "rc=$?" >> $OUT/gpu_$name.log) & }
run linear tests/test_linear.py tests/test_linear_hopper.py tests/test_kernel_configs.py tests/test_layout.py tests/test_nn_linear.py
run kernels tests/test_linear_kernels.py
wait
for f in $OUT/gpu_*.log; do echo "== $f"; tail -n 2 $f; done
grep -h -A20 "^____" $OUT/gpu_*.log | head -40
timeout 200 python3 scripts/probe_seed_levels.py --compare-dw > $OUT/probe_compare_dw.log 2>&1
cat $OUT/probe_compare_dw.log
