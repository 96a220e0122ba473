#!/bin/bash
# Session 2026-11-27 (eighth), call 14: the suite's forward/dX rows at blocks 64 and 128 at the final code
# (the Gluon kernel's hub order, factor 1.5; the full suite of call 5 ran before it).
mkdir -p $OUT/suite
export PYTHONPATH=src
timeout 500 python3 -m tilesparse.bench suite --products forward,dx --block-sizes 64,128 --out $OUT/suite > $OUT/suite/suite.log 2>&1; echo "suite rc=$?"
grep -A12 "^targets" $OUT/suite/suite.log
tail -n 3 $OUT/suite/suite.log
