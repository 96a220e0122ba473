#!/bin/bash
# Session 2026-11-27 (eighth), call 5: the full suite at the final code (TF32 dW "turned" on Gluon at blocks 64
# and 128; nothing else changed since the seventh session's final code).
mkdir -p $OUT/suite
export PYTHONPATH=src
timeout 590 python3 -m tilesparse.bench suite --out $OUT/suite > $OUT/suite/suite.log 2>&1; echo "suite rc=$?"
grep -A16 "^targets" $OUT/suite/suite.log
tail -n 4 $OUT/suite/suite.log
