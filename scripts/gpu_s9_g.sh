#!/bin/bash
# Session 2026-11-27 (ninth), call 7: seed-shape row balance (random against balanced layouts, forward/dX) and dW
# items of 2 blocks.
mkdir -p $OUT
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv > $OUT/gpu.txt
timeout 240 python3 scripts/probe_seed_balance.py > $OUT/probe.log 2>&1; echo "probe rc=$?"
cat $OUT/probe.log
