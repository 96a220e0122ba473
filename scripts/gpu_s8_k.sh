#!/bin/bash
# Session 2026-11-27 (eighth), call 11: the Gluon forward/dX with the hub order (the hubs of the last batch
# tiles first, as the Triton kernel): GPU tests, BA vs random at blocks 128 and 64 again (call 10 had dX at
# block 128, d = 0.25 at 1.16x), and the suite's forward/dX rows at blocks 64 and 128.
mkdir -p $OUT/suite
export PYTHONPATH=src
timeout 250 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py tests/test_linear.py > $OUT/gpu_linear.log 2>&1; echo "rc=$?" >> $OUT/gpu_linear.log
tail -n 2 $OUT/gpu_linear.log
grep -h -B2 -A25 "^____" $OUT/gpu_linear.log | head -50
timeout 150 python3 scripts/probe_ba_gap.py --block 128 --densities 0.25,0.1,0.05 --products forward,dx > $OUT/probe_ba_b128.log 2>&1; echo "rc=$?"
timeout 150 python3 scripts/probe_ba_gap.py --block 64 --densities 0.25,0.1,0.05 --products forward,dx > $OUT/probe_ba_b64.log 2>&1; echo "rc=$?"
grep -v "nnz" $OUT/probe_ba_b128.log $OUT/probe_ba_b64.log
timeout 200 python3 -m tilesparse.bench suite --products forward,dx --block-sizes 64,128 --out $OUT/suite > $OUT/suite/suite.log 2>&1; echo "suite rc=$?"
grep -A8 "^targets" $OUT/suite/suite.log
