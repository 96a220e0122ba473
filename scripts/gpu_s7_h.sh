#!/bin/bash
# Session 2026-11-26 (seventh), eighth call: the last tiles' hubs first against the end game on the suite's layouts
# (probe_ba_gap.py --hubs-suite; carry old_src), then the dsd kernel's GPU tests.
mkdir -p $OUT
export PYTHONPATH=src
timeout 200 python3 scripts/probe_ba_gap.py --hubs-suite > $OUT/probe_hubs_suite.log 2>&1
timeout 150 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_kernels.py -k "dsd or hub" > $OUT/gpu_dsd.log 2>&1; echo "rc=$?" >> $OUT/gpu_dsd.log
tail -n 2 $OUT/gpu_dsd.log
grep -h -A20 "^____" $OUT/gpu_*.log | head -40
cat $OUT/probe_hubs_suite.log
