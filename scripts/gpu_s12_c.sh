#!/bin/bash
# Session 2026-11-27 (twelfth), call 3: the configs with persistent pair programs (block 64: 16-bit from 6 blocks
# a segment below 24, TF32 from 12 below 48): the Hopper and linear tests, then the probe of their output buffers
# (TF32 halves/quarters) and bounds (fp16 d = 0.25, 0.025, 0.01).
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv > $OUT/gpu.txt
timeout 150 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py > $OUT/hopper.log 2>&1
echo "hopper rc=$?"; tail -n 3 $OUT/hopper.log
timeout 150 python3 scripts/probe_paired.py --pair-chunks > $OUT/probe-pair-chunks.log 2>&1
echo "probe rc=$?"; cat $OUT/probe-pair-chunks.log
timeout 240 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear.py tests/test_nn_linear.py > $OUT/linear.log 2>&1
echo "linear rc=$?"; tail -n 3 $OUT/linear.log
