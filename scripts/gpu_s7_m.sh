#!/bin/bash
# Session 2026-11-26 (seventh), last call: the dsd kernel with an unspecialised hub count (its tests, including
# that a new hub count reuses the compiled kernel), and the block-32 forward/dX suite rows again.
mkdir -p $OUT/suite
export PYTHONPATH=src
timeout 120 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_kernels.py -k "dsd or hub" tests/test_linear.py > $OUT/gpu_dsd.log 2>&1; echo "rc=$?" >> $OUT/gpu_dsd.log
timeout 150 python3 -m tilesparse.bench suite --products forward,dx --block-sizes 32 --out $OUT/suite > $OUT/suite/suite.log 2>&1; echo "suite rc=$?"
tail -n 2 $OUT/gpu_dsd.log
grep -h -A20 "^____" $OUT/gpu_*.log | head -40
grep -A12 "^targets" $OUT/suite/suite.log
