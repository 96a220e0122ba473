#!/bin/bash
# Session 2026-11-27 (twelfth), call 5: block-32 forward/dX on segment groups (kernels/linear_groups_gluon.py), first
# GPU run: its tests against float64, then the probe against the Triton kernel and dense cuBLAS.
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv > $OUT/gpu.txt
timeout 150 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py -k groups -x > $OUT/groups-tests.log 2>&1
rc=$?; echo "group tests rc=$rc"; tail -n 30 $OUT/groups-tests.log
if [ $rc -eq 0 ]; then  # a hang or a wrong result: no probe
  timeout 400 python3 scripts/probe_groups.py > $OUT/probe-groups.log 2>&1
  echo "probe rc=$?"; cat $OUT/probe-groups.log
fi
