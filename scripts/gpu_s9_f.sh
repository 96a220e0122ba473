#!/bin/bash
# Session 2026-11-27 (ninth), call 6: several packed entries a loop step for the small-batch forward/dX
# (DsdConfig.step_entries, not yet chosen by dsd_config): the dsd GPU tests, then the seed-shape probe.
mkdir -p $OUT
export PYTHONPATH=src
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem --format=csv > $OUT/gpu.txt
timeout 200 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_kernels.py -k "dsd_configs" > $OUT/tests-dsd.log 2>&1
tail -n 3 $OUT/tests-dsd.log
timeout 300 python3 scripts/probe_seed_entries.py > $OUT/probe.log 2>&1; echo "probe rc=$?"
cat $OUT/probe.log
