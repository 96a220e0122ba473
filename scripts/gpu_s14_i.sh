#!/bin/bash
# Session 2026-11-27 (fourteenth), call 9: Barabasi-Albert layouts at block 32 on segment groups against the Triton
# kernel they keep (hub segments), relative to random layouts on groups.
export PYTHONPATH=src
timeout 300 python3 scripts/probe_groups_ba.py > $OUT/probe-groups-ba.log 2>&1
echo "probe rc=$?"; cat $OUT/probe-groups-ba.log
