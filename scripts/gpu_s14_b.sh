#!/bin/bash
# Session 2026-11-27 (fourteenth), call 2: absent blocks zeroed by stores by default (TMA's fill at 16-bit block 32
# from d = 0.4), groups from d = 0.2 at block 32 and 0.3 at 16-bit block 16. The TMA probe with unswizzled 512-byte
# rows (operand images), the Hopper tests, then the suite's block-16 and block-32 forward/dX rows with the peer.
export PYTHONPATH=src
timeout 60 python3 scripts/probe_tma_rate.py > $OUT/probe-tma-rate.log 2>&1
echo "tma rc=$?"; cat $OUT/probe-tma-rate.log
timeout 170 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py > $OUT/hopper.log 2>&1
echo "hopper rc=$?"; tail -n 3 $OUT/hopper.log
mkdir -p $OUT/suite16 $OUT/suite32
timeout 170 python3 -m tilesparse.bench suite --products forward,dx --block-sizes 16 --out $OUT/suite16 > $OUT/suite16/suite.log 2>&1
echo "suite16 rc=$?"; grep -A30 "^efficiency" $OUT/suite16/suite.log | head -40
timeout 190 python3 -m tilesparse.bench suite --products forward,dx --block-sizes 32 --out $OUT/suite32 > $OUT/suite32/suite.log 2>&1
echo "suite32 rc=$?"; grep -A40 "^efficiency" $OUT/suite32/suite.log | head -50
