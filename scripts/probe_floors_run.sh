# GPU run of probe_floors.py plus ncu of the small-batch kernels (stall reasons by source line).
PYTHONPATH=src python3 scripts/probe_floors.py 2>&1 | tee $OUT/floors.log
for c in seed-0.05 seed-0.01 lstm-fwd lstm-dX; do
  PYTHONPATH=src timeout 120 ncu --profile-from-start off --section SpeedOfLight --section MemoryWorkloadAnalysis \
    --section WarpStateStats --section SourceCounters --section Occupancy --section LaunchStats \
    python3 scripts/probe_floors.py ncu $c > $OUT/ncu-$c.txt 2>&1
  echo "$c rc=$?"
done
cd $OUT && tar czf ncu-small.tgz ncu-*.txt && rm ncu-*.txt
