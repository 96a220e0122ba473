#!/bin/bash
# Session 2026-11-27 (eighth), call 12: hub factors and late-tile counts for the Gluon forward/dX at block 128
# (BA dX at d = 0.25 stayed 1.16x random with factor 3, 12 late tiles: call 11).
export PYTHONPATH=src
timeout 300 python3 scripts/probe_ba_gap.py --hubs --block 128 --densities 0.25,0.1 --layouts "ba,random" --products dx,forward > $OUT/probe_hubs_b128.log 2>&1; echo "rc=$?"
cat $OUT/probe_hubs_b128.log
