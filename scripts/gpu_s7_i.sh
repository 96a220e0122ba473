#!/bin/bash
# Session 2026-11-26 (seventh), last call: the block-32 suite rows (forward and dX: random, BA, seed shape, TF32) at
# the final hub order.
mkdir -p $OUT/suite
export PYTHONPATH=src
timeout 400 python3 -m tilesparse.bench suite --products forward,dx --block-sizes 32 --out $OUT/suite > $OUT/suite/suite.log 2>&1; echo "suite rc=$?"
ls $OUT/suite
grep -A40 "^targets" $OUT/suite/suite.log
