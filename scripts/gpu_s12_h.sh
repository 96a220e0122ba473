#!/bin/bash
# Session 2026-11-27 (twelfth), call 8: segment groups rewritten (blocks side by side as one wide wgmma, absent ones
# zeroed by the producer; the per-segment branches had hit a ptxas operand reuse across branches): the debug
# cases, the group tests, then the probe against the Triton kernel and dense cuBLAS.
export PYTHONPATH=src
for c in dense-8x4-b300-G8 random-8x9-b128-G8 random-11x9-b128-G8 random-8x9-b256-G4; do
  CUDA_LAUNCH_BLOCKING=1 timeout 60 python3 scripts/debug_groups.py $c 2>&1 | grep -v "^  File\|^    " | tail -14
done > $OUT/debug-cases.log
cat $OUT/debug-cases.log | head -60
timeout 150 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py -k groups > $OUT/groups-tests.log 2>&1
rc=$?; echo "group tests rc=$rc"; grep -E "passed|failed|^FAILED|AssertionError" $OUT/groups-tests.log | head -20
if [ $rc -eq 0 ]; then
  timeout 330 python3 scripts/probe_groups.py > $OUT/probe-groups.log 2>&1
  echo "probe rc=$?"; cat $OUT/probe-groups.log
fi
