#!/bin/bash
# Session 2026-11-27 (eighth), call 8: seed-shape dW (batch 32, block 32, fp16) with the layout's groups of 8
# split over 1-8 programs at 1, 2, 4 warps: do programs smaller than 4 blocks store faster?
export PYTHONPATH=src
timeout 400 python3 scripts/probe_seed_variants.py --splits > $OUT/probe_seed_splits.log 2>&1; echo "probe rc=$?"
cat $OUT/probe_seed_splits.log
