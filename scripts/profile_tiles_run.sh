set -x
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv
PYTHONPATH=src python3 scripts/profile_tiles.py time 2>&1 | tee $OUT/time.log
for c in cublas-x dense-x fwd-128-0.5 fwd-64-0.5 fwd-128-0.05 fwd-32-0.1 fwd-16-0.1 dw-32-0.1; do
  PYTHONPATH=src timeout 120 ncu --profile-from-start off --section SpeedOfLight --section MemoryWorkloadAnalysis --section ComputeWorkloadAnalysis --section WarpStateStats --section Occupancy --section LaunchStats python3 scripts/profile_tiles.py ncu $c > $OUT/ncu-$c.txt 2>&1
  echo "$c rc=$?"
done
cd $OUT && tar czf ncu.tgz ncu-*.txt && rm ncu-*.txt
