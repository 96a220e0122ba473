#!/bin/bash
# Session 2026-11-26 (seventh), fifth call: batch tiles sweeping the segments together in the Gluon dsd kernel
# (probe_paired.py --groups), then the Gluon kernels' GPU tests (the kernel takes two more arguments).
mkdir -p $OUT
export PYTHONPATH=src
timeout 300 python3 scripts/probe_paired.py --groups > $OUT/probe_groups.log 2>&1
timeout 150 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py > $OUT/gpu_hopper.log 2>&1; echo "rc=$?" >> $OUT/gpu_hopper.log
tail -n 2 $OUT/gpu_hopper.log
grep -h -A20 "^____" $OUT/gpu_*.log | head -40
cat $OUT/probe_groups.log
