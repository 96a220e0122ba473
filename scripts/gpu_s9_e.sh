#!/bin/bash
# Session 2026-11-27 (ninth), call 5: ncu of the seed-shape forward (d = 0.25, 0.1) and persistent dW (d = 0.5):
# what limits them now (the pieces of call 4 lost everywhere).
mkdir -p $OUT
export PYTHONPATH=src
for c in "forward 0.25" "forward 0.1" "dw 0.5"; do
  name=$(echo $c | tr ' ' '-')
  timeout 100 ncu --profile-from-start off --section SpeedOfLight --section MemoryWorkloadAnalysis \
    --section WarpStateStats --section Occupancy --section LaunchStats --section SchedulerStats \
    python3 scripts/profile_seed.py $c > $OUT/ncu-$name.txt 2>&1
  echo "$name rc=$?"
done
grep -h -E "Duration|DRAM Throughput|Memory Throughput|L2 Cache Throughput|Achieved Occupancy|Theoretical Occupancy|Block Limit|Warp Cycles Per Issued|Issued Warp|No Eligible|Registers Per|Shared Memory Configuration Size|Grid Size" $OUT/ncu-*.txt
