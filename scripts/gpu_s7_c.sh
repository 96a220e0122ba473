#!/bin/bash
# Session 2026-11-26 (seventh), third call: the last tiles' hubs early (probe_ba_gap.py --hubs), two dsd programs
# per SM at blocks 64/128 (probe_paired.py), then the GPU tests of the dsd kernels (Triton and Gluon) and the op.
mkdir -p $OUT
export PYTHONPATH=src
timeout 200 python3 scripts/probe_ba_gap.py --hubs > $OUT/probe_ba_gap_hubs.log 2>&1
timeout 200 python3 scripts/probe_paired.py > $OUT/probe_paired.log 2>&1
timeout 150 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_kernels.py -k "dsd or hub" tests/test_linear_hopper.py tests/test_linear.py > $OUT/gpu_dsd.log 2>&1; echo "rc=$?" >> $OUT/gpu_dsd.log
tail -n 2 $OUT/gpu_dsd.log
grep -h -A20 "^____" $OUT/gpu_*.log | head -40
cat $OUT/probe_ba_gap_hubs.log $OUT/probe_paired.log
