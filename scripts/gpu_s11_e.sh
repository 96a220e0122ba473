#!/bin/bash
# Session 2026-11-27 (eleventh), call 8, on the final configs (segment pairs at block 64 from 12 blocks a segment):
# the config and pair tests, then the suite's block-64 forward/dX rows, every dtype, with the peer.
mkdir -p $OUT/suite
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv > $OUT/gpu.txt
timeout 60 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py tests/test_linear.py -k "pairs" > $OUT/pairs.log 2>&1
echo "pairs tests rc=$?"; tail -n 3 $OUT/pairs.log
timeout 420 python3 -m tilesparse.bench suite --products forward,dx --block-sizes 64 --out $OUT/suite > $OUT/suite/suite.log 2>&1
echo "suite rc=$?"; grep -A40 "^efficiency" $OUT/suite/suite.log | head -60
