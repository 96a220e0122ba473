#!/bin/bash
# Session 2026-11-27 (tenth), call 3: the persistent forward/dX Gluon kernel, producer reading block indices a step ahead and tickets/launch rows an item ahead
# the Hopper GPU tests, then the probe again.
mkdir -p $OUT
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv > $OUT/gpu.txt
timeout 200 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py > $OUT/tests.log 2>&1
echo "tests rc=$?"; tail -n 15 $OUT/tests.log
timeout 340 python3 scripts/probe_paired.py --persistent > $OUT/probe-persistent.log 2>&1; echo "probe rc=$?"
cat $OUT/probe-persistent.log
