#!/bin/bash
# Session 2026-11-26 (seventh), last call: the full suite at this session's final code (H100).
mkdir -p $OUT/suite
export PYTHONPATH=src
timeout 570 python3 -m tilesparse.bench suite --out $OUT/suite > $OUT/suite/suite.log 2>&1; echo "suite rc=$?"
ls $OUT/suite
tail -n 45 $OUT/suite/suite.log
