#!/bin/bash
# Session 2026-11-27 (seventeenth), call 1: what the block-128 forward's time at d <= 0.1 is made of
# (scripts/probe_epilogue.py: the persistent kernel with its epilogue, its TMA store or its MMAs taken out, each
# variant in a process of its own), beside dense cuBLAS and a 128 MB copy.
export PYTHONPATH=$PWD/src
for v in full no-store no-epilogue no-mma loads-only; do
  timeout 110 python3 scripts/probe_epilogue.py --variant $v > $OUT/probe-epilogue-$v.log 2>&1
  echo "== $v rc=$?"; cat $OUT/probe-epilogue-$v.log | grep -v "^NVIDIA" | tail -6
done
