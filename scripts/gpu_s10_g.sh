#!/bin/bash
# Session 2026-11-27 (tenth), call 7, on the final code: Barabasi-Albert-like against random layouts at block 128
# through the library (now the persistent kernel), then the full suite with the peer.
mkdir -p $OUT/suite
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv > $OUT/gpu.txt
timeout 110 python3 scripts/probe_ba_gap.py --block 128 --densities 0.25,0.1,0.05 > $OUT/probe-ba-b128.log 2>&1
echo "ba probe rc=$?"; cat $OUT/probe-ba-b128.log
timeout 470 python3 -m tilesparse.bench suite --out $OUT/suite > $OUT/suite/suite.log 2>&1; echo "suite rc=$?"
grep -A60 "^efficiency" $OUT/suite/suite.log | head -90
