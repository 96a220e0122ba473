#!/bin/bash
# Session 2026-11-27 (eighth), call 10: Barabasi-Albert vs random layouts at blocks 128 and 64 (the Gluon
# kernels, which have no hub order; the suite measures BA at block 32 only), all three products.
export PYTHONPATH=src
timeout 280 python3 scripts/probe_ba_gap.py --block 128 --densities 0.25,0.1,0.05 --products forward,dx,dw > $OUT/probe_ba_b128.log 2>&1; echo "rc=$?"
timeout 280 python3 scripts/probe_ba_gap.py --block 64 --densities 0.25,0.1,0.05 --products forward,dx,dw > $OUT/probe_ba_b64.log 2>&1; echo "rc=$?"
grep -v "nnz" $OUT/probe_ba_b128.log $OUT/probe_ba_b64.log
