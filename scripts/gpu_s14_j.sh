#!/bin/bash
# Session 2026-11-27 (fourteenth), call 10 (final): the suite's block-16 and block-32 forward/dX rows with the peer
# (block 32 with its seed-shape and Barabasi-Albert rows): groups take layouts with hubs too, and 16-bit block 16
# keeps the Triton kernel for 0.02 < d < 0.075.
export PYTHONPATH=src
mkdir -p $OUT/suite16 $OUT/suite32
timeout 200 python3 -m tilesparse.bench suite --products forward,dx --block-sizes 16 --out $OUT/suite16 > $OUT/suite16/suite.log 2>&1
echo "suite16 rc=$?"; grep -A30 "^efficiency" $OUT/suite16/suite.log | head -40
timeout 250 python3 -m tilesparse.bench suite --products forward,dx --block-sizes 32 --out $OUT/suite32 > $OUT/suite32/suite.log 2>&1
echo "suite32 rc=$?"; grep -A44 "^efficiency" $OUT/suite32/suite.log | head -54
cd $OUT && tar czf suites.tgz suite16 suite32 && rm -rf suite16 suite32
