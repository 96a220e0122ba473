#!/bin/bash
# Session 2026-11-27 (thirteenth), call 3: segment groups reading x feature-major (x^T tiles of 512-byte rows in
# four 128-byte boxes; wgmma reads A turned): group tests, then the probe at blocks 16 and 32, row-major against
# feature-major.
export PYTHONPATH=src
timeout 150 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py -k groups > $OUT/groups-tests.log 2>&1
echo "tests rc=$?"; tail -n 15 $OUT/groups-tests.log
timeout 200 python3 scripts/probe_groups.py --block 16 > $OUT/probe-groups-b16-xt.log 2>&1
echo "probe16 rc=$?"; cat $OUT/probe-groups-b16-xt.log
timeout 200 python3 scripts/probe_groups.py > $OUT/probe-groups-b32-xt.log 2>&1
echo "probe32 rc=$?"; cat $OUT/probe-groups-b32-xt.log
