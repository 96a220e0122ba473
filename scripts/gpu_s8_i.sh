#!/bin/bash
# Session 2026-11-27 (eighth), call 9: 16-bit dW with split consumer partitions (probe only; not the default).
# (scripts/probe_dw_split.py and the option it probed were removed after this call: the split was slower.)
export PYTHONPATH=src
timeout 400 python3 scripts/probe_dw_split.py --densities 0.5,0.25,0.1,0.05,0.01 > $OUT/probe_dw_split.log 2>&1; echo "probe rc=$?"
cat $OUT/probe_dw_split.log
