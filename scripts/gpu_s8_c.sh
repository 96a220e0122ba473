#!/bin/bash
# Session 2026-11-27 (eighth), call 3: where the configs still take the Triton dW kernel at TF32 (block 64 in
# pairs, d = 0.01), the turned Gluon kernel forced on; the turned kernel against the Triton one elsewhere.
export PYTHONPATH=src
timeout 300 python3 scripts/probe_tf32_dw.py --blocks 64 --densities 0.01,0.05,0.25 --variants turned,triton,turned+ws > $OUT/probe_tf32_dw_b64.log 2>&1; echo "probe rc=$?"
timeout 200 python3 scripts/probe_tf32_dw.py --blocks 128 --densities 0.01,0.25 --variants turned,triton > $OUT/probe_tf32_dw_b128.log 2>&1; echo "probe rc=$?"
cat $OUT/probe_tf32_dw_b64.log $OUT/probe_tf32_dw_b128.log
