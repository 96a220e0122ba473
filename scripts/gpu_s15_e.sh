#!/bin/bash
# Session 2026-11-27 (fifteenth), call 5: suite rows on the final dense-path thresholds (Triton densify/gather):
# blocks 8 and 16 (every product, fp16/bf16) and block-32 dW (fp16/bf16/TF32, seed and BA rows), with the peer.
export PYTHONPATH=$PWD/src
mkdir -p $OUT/suite8 $OUT/suite16 $OUT/suite32dw
timeout 200 python3 -m tilesparse.bench suite --block-sizes 8 --dtypes fp16,bf16 --out $OUT/suite8 > $OUT/suite8/suite.log 2>&1
echo "suite8 rc=$?"; grep -E "MET|MISSED" $OUT/suite8/suite.log | head -20
timeout 200 python3 -m tilesparse.bench suite --block-sizes 16 --dtypes fp16,bf16 --out $OUT/suite16 > $OUT/suite16/suite.log 2>&1
echo "suite16 rc=$?"; grep -E "MET|MISSED" $OUT/suite16/suite.log | head -20
timeout 150 python3 -m tilesparse.bench suite --block-sizes 32 --products dw --out $OUT/suite32dw > $OUT/suite32dw/suite.log 2>&1
echo "suite32dw rc=$?"; grep -E "MET|MISSED" $OUT/suite32dw/suite.log | head -20
cd $OUT && tar czf suites.tgz suite8 suite16 suite32dw && rm -rf suite8 suite16 suite32dw
