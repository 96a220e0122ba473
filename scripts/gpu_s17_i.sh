#!/bin/bash
# Session 2026-11-27 (seventeenth), call 9, on the final code: the suite's block-128 dW rows (sweep and hub layouts,
# fp16 and bf16) with the split rule (the last round's pairs of the d = 0.25 layout in 4), with dense cuBLAS and
# PyTorch BSR in the same run.
export PYTHONPATH=$PWD/src
mkdir -p $OUT/dw128
timeout 330 python3 -m tilesparse.bench suite --families sweep,ba --products dw --dtypes fp16,bf16 --block-sizes 128 --out $OUT/dw128 > $OUT/dw128/suite.log 2>&1
echo "suite rc=$?"; grep -v "^\s*$" $OUT/dw128/suite.log | tail -40
