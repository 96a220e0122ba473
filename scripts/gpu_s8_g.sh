#!/bin/bash
# Session 2026-11-27 (eighth), call 7: the conv GPU tests alone (call 6 ran them beside the other groups and
# its 280 s timeout cut them off after 88 passed, none failed).
export PYTHONPATH=src
timeout 560 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_conv.py > $OUT/gpu_conv.log 2>&1; echo "rc=$?" >> $OUT/gpu_conv.log
tail -n 3 $OUT/gpu_conv.log
grep -h -B2 -A25 "^____" $OUT/gpu_conv.log | head -40
