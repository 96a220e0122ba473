#!/bin/bash
# Session 2026-11-26e, third call: small-batch dW, table vs chain at each warp count and depth.
mkdir -p $OUT
export PYTHONPATH=src
nvidia-smi --query-gpu=name --format=csv
timeout 300 python3 scripts/probe_seed_levels.py --sweep-dw > $OUT/probe_sweep_dw.log 2>&1
cat $OUT/probe_sweep_dw.log
