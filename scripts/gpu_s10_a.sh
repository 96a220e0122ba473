#!/bin/bash
# Session 2026-11-27 (tenth), call 1: the forward/dX Gluon kernel reworked so a program can walk several work
# items (PERSISTENT); the Hopper GPU tests (every shape, persistent ones forced to 3-5 programs), then the probe of
# WIDE / PAIRED / PERSISTENT against the Triton kernel (fp16 and TF32, blocks 64/128, 8192^2, batch 8192).
mkdir -p $OUT
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv > $OUT/gpu.txt
timeout 220 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py > $OUT/tests.log 2>&1
echo "tests rc=$?"; tail -n 15 $OUT/tests.log
timeout 340 python3 scripts/probe_paired.py --persistent > $OUT/probe-persistent.log 2>&1; echo "probe rc=$?"
cat $OUT/probe-persistent.log
