#!/bin/bash
# Session 2026-11-27 (fifteenth), call 3: block-32 dW suite rows (dense path from d = 0.3), the dense path's pieces
# timed alone, and its crossovers at batches 1024/2048.
export PYTHONPATH=$PWD/src
mkdir -p $OUT/suite32dw
timeout 200 python3 -m tilesparse.bench suite --block-sizes 32 --products dw --out $OUT/suite32dw > $OUT/suite32dw/suite.log 2>&1
echo "suite32dw rc=$?"; grep -E "MET|MISSED" $OUT/suite32dw/suite.log | head -20
timeout 100 python3 scripts/probe_dense_path.py --parts > $OUT/probe-dense-parts.log 2>&1
echo "parts rc=$?"; cat $OUT/probe-dense-parts.log
timeout 200 python3 scripts/probe_dense_path.py --batches --out $OUT/probe-dense-batches.jsonl > $OUT/probe-dense-batches.log 2>&1
echo "batches rc=$?"; tail -n 16 $OUT/probe-dense-batches.log
cd $OUT && tar czf suite32dw.tgz suite32dw && rm -rf suite32dw
