#!/bin/bash
# Session 2026-11-27 (ninth), call 4: segments in pieces for the small-batch forward/dX (DsdConfig.pieces, not yet
# chosen by dsd_config): the dsd GPU tests (configs with pieces, determinism) and test_linear.py side by side, then
# the seed-shape probe of pieces and stages.
mkdir -p $OUT
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv > $OUT/gpu.txt
timeout 300 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_kernels.py -k "dsd" > $OUT/tests-dsd.log 2>&1 &
timeout 300 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear.py > $OUT/tests-linear.log 2>&1 &
wait
tail -n 3 $OUT/tests-dsd.log $OUT/tests-linear.log
timeout 270 python3 scripts/probe_seed_pieces.py > $OUT/probe.log 2>&1; echo "probe rc=$?"
cat $OUT/probe.log
