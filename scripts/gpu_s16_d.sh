#!/bin/bash
# Session 2026-11-27 (sixteenth), call 4: the suite's TF32 rows with the paired timer (call 3's run of TF32 and seed
# rows reached its time limit after 71 of 81 cases, before writing its files).
export PYTHONPATH=$PWD/src
mkdir -p $OUT/tf32
timeout 560 python3 -m tilesparse.bench suite --families tf32 --out $OUT/tf32 > $OUT/tf32/suite.log 2>&1
echo "tf32 suite rc=$?"; grep -A12 "^efficiency" $OUT/tf32/suite.log | head -30; grep -A20 "^targets" $OUT/tf32/suite.log
cd $OUT && tar czf tf32.tgz tf32 && rm -rf tf32
