#!/bin/bash
# Session 2026-11-27 (thirteenth), call 4: segment groups with 1-3 MMAs in flight a consumer (probe_groups --lags),
# blocks 16 and 32.
export PYTHONPATH=src
timeout 150 python3 scripts/probe_groups.py --block 16 --lags > $OUT/probe-groups-b16-lags.log 2>&1
echo "probe16 rc=$?"; cat $OUT/probe-groups-b16-lags.log
timeout 150 python3 scripts/probe_groups.py --lags > $OUT/probe-groups-b32-lags.log 2>&1
echo "probe32 rc=$?"; cat $OUT/probe-groups-b32-lags.log
