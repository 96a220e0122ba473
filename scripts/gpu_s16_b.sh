#!/bin/bash
# Session 2026-11-27 (sixteenth), call 2: the suite's 8192^2 sweep and hub-layout rows (fp16, bf16; every block
# size) on the current code with the paired cold-L2 timer.
export PYTHONPATH=$PWD/src
mkdir -p $OUT/sweep
timeout 570 python3 -m tilesparse.bench suite --families sweep,ba --dtypes fp16,bf16 --out $OUT/sweep > $OUT/sweep/suite.log 2>&1
echo "sweep suite rc=$?"; grep -B2 -A14 "^efficiency" $OUT/sweep/suite.log | head -80; grep -A20 "^targets" $OUT/sweep/suite.log
cd $OUT && tar czf sweep.tgz sweep && rm -rf sweep
