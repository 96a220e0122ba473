#!/bin/bash
# Session 2026-11-27 (ninth), call 8: seed-shape forward/dX pipeline depth with the launch-table config.
mkdir -p $OUT
export PYTHONPATH=src
timeout 200 python3 scripts/probe_seed_stages.py > $OUT/probe.log 2>&1; echo "probe rc=$?"
cat $OUT/probe.log
