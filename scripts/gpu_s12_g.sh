#!/bin/bash
# Session 2026-11-27 (twelfth), call 7: the segment-group kernel fails on random layouts (wrong values, then an
# illegal address) and passes on dense ones: one case a process, then compute-sanitizer on a failing one.
export PYTHONPATH=src
for c in dense-8x4-b300-G8 dense-11x4-b128-G8 random-8x9-b128-G8 random-8x9-b128-G8-sync random-11x9-b128-G8 random-8x9-b256-G4; do  # (the -sync case: MMAs waited for one by one, since removed)
  CUDA_LAUNCH_BLOCKING=1 timeout 60 python3 scripts/debug_groups.py $c 2>&1 | grep -v "^  File\|^    " | tail -25
done > $OUT/debug-cases.log
cat $OUT/debug-cases.log | head -120
timeout 200 compute-sanitizer --tool memcheck --print-limit 5 python3 scripts/debug_groups.py random-8x9-b128-G8 > $OUT/sanitizer.log 2>&1
echo "sanitizer rc=$?"; head -c 5000 $OUT/sanitizer.log
