#!/bin/bash
# Session 2026-11-26 (seventh), first call: the BA-gap diagnostic alone on the GPU, then the GPU tests not
# yet run on the final code of the last session (dW kernels after the review commit; all of conv).
mkdir -p $OUT
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.max.sm --format=csv > $OUT/gpu.txt
python3 scripts/probe_ba_gap.py > $OUT/probe_ba_gap.log 2>&1
run() { name=$1; t=$2; shift 2; (timeout $t python3 -m pytest -q -m gpu -p no:cacheprovider "$@" > $OUT/gpu_$name.log 2>&1; echo "rc=$?" >> $OUT/gpu_$name.log) & }
run conv 420 tests/test_conv.py
run sdd 420 tests/test_linear_kernels.py -k sdd
wait
for f in $OUT/gpu_*.log; do echo "== $f"; tail -n 2 $f; done
grep -h -A20 "^____" $OUT/gpu_*.log | head -40
cat $OUT/probe_ba_gap.log
