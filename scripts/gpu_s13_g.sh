#!/bin/bash
# Session 2026-11-27 (thirteenth), call 7: the suite's block-32 forward/dX rows with the peer on the final code
# (the group producer's cp.async indices run at d >= 0.4, TF32 >= 0.2).
export PYTHONPATH=src
mkdir -p $OUT/suite
timeout 170 python3 -m tilesparse.bench suite --products forward,dx --block-sizes 32 --out $OUT/suite > $OUT/suite/suite.log 2>&1
echo "suite rc=$?"; grep -A40 "^efficiency" $OUT/suite/suite.log | head -50
