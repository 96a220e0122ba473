#!/bin/bash
# Session 2026-11-26e, last call (H100): the suite's block-32 rows of all three products with this session's
# small-batch index tables (seed shape, sweep, Barabasi-Albert), alone on the GPU.
mkdir -p $OUT/suite
export PYTHONPATH=src
timeout 330 python3 -m tilesparse.bench suite --block-sizes 32 --out $OUT/suite > $OUT/suite/suite.log 2>&1
tail -n 45 $OUT/suite/suite.log
