#!/bin/bash
# Session 2026-11-27 (fifteenth), call 7: dense-path crossovers at batches 1024/2048 in bf16 and TF32 (the medium
# table holds fp16-measured 16-bit thresholds and no TF32 ones).
export PYTHONPATH=$PWD/src
timeout 300 python3 scripts/probe_dense_path.py --medium --out $OUT/probe-dense-medium.jsonl > $OUT/probe-dense-medium.log 2>&1
echo "medium rc=$?"; cat $OUT/probe-dense-medium.log
