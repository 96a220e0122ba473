#!/bin/bash
# Session 2026-11-27 (twelfth), call 9: segment groups with the producer loading the next entry's indices ahead:
# the group tests, then the probe (groups of 4) against the Triton kernel and dense cuBLAS.
export PYTHONPATH=src
timeout 150 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py -k groups > $OUT/groups-tests.log 2>&1
rc=$?; echo "group tests rc=$rc"; grep -E "passed|failed|^FAILED|AssertionError" $OUT/groups-tests.log | head -20
if [ $rc -eq 0 ]; then
  timeout 330 python3 scripts/probe_groups.py > $OUT/probe-groups.log 2>&1
  echo "probe rc=$?"; cat $OUT/probe-groups.log
fi
