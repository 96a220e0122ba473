#!/bin/bash
# Session 2026-11-27 (fifteenth), call 2: suite rows that the dense path's measured thresholds change: block 8 (every
# product) and block 16 (every product), fp16/bf16, with the peer.
export PYTHONPATH=$PWD/src
mkdir -p $OUT/suite8 $OUT/suite16
timeout 230 python3 -m tilesparse.bench suite --block-sizes 8 --dtypes fp16,bf16 --out $OUT/suite8 > $OUT/suite8/suite.log 2>&1
echo "suite8 rc=$?"; grep -E "MET|MISSED" $OUT/suite8/suite.log | head -20
timeout 300 python3 -m tilesparse.bench suite --block-sizes 16 --dtypes fp16,bf16 --out $OUT/suite16 > $OUT/suite16/suite.log 2>&1
echo "suite16 rc=$?"; grep -E "MET|MISSED" $OUT/suite16/suite.log | head -20
cd $OUT && tar czf suites.tgz suite8 suite16 && rm -rf suite8 suite16
