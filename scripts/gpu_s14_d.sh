#!/bin/bash
# Session 2026-11-27 (fourteenth), call 4: ncu on the segment-group kernel (block 16 and 32, fp16 forward, d = 0.5,
# stores): stall reasons, issue rates, and per-SASS-instruction stall samples (which partition waits on what).
export PYTHONPATH=$PWD/src
cd $OUT
for c in b16 b32; do
  timeout 200 ncu --profile-from-start off --clock-control none --section SpeedOfLight --section WarpStateStats \
    --section SchedulerStats --section SourceCounters --section MemoryWorkloadAnalysis --section ComputeWorkloadAnalysis \
    -o $c python3 $OLDPWD/scripts/profile_groups.py ncu $c > $c-run.txt 2>&1
  echo "$c rc=$?"; tail -n 3 $c-run.txt
  ncu --import $c.ncu-rep --page details > $c-details.txt 2>&1
  ncu --import $c.ncu-rep --page source --csv --print-source sass > $c-sass.csv 2>&1
  echo "details $(wc -l < $c-details.txt) lines, sass $(wc -l < $c-sass.csv) lines"
done
grep -E "Warp Cycles Per Issued|Issue Slots Busy|Issued Ipc|No Eligible|One or More|Stall|Duration|Throughput" b16-details.txt | head -40
tar czf ncu-groups.tgz b16-* b32-* && rm -f b16-* b32-*
ls -la
