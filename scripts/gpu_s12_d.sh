#!/bin/bash
# Session 2026-11-27 (twelfth), call 4, on the final code: the full suite with the peer.
mkdir -p $OUT/suite
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv > $OUT/gpu.txt
timeout 560 python3 -m tilesparse.bench suite --out $OUT/suite > $OUT/suite/suite.log 2>&1; echo "suite rc=$?"
grep -A70 "^efficiency" $OUT/suite/suite.log | head -100
