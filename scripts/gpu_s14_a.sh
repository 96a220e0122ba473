#!/bin/bash
# Session 2026-11-27 (fourteenth), call 1: the thirteenth session's unrun work. The group tests (stored-zero cases,
# groups longer than two index chunks), the group probe with the stores option at blocks 32 and 16, and the TMA
# rate probe (per box shape, out-of-bounds boxes).
export PYTHONPATH=src
timeout 150 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py -k groups > $OUT/groups-tests.log 2>&1
echo "groups tests rc=$?"; tail -n 3 $OUT/groups-tests.log
timeout 150 python3 scripts/probe_groups.py --zero-stores > $OUT/probe-groups-b32-stores.log 2>&1
echo "probe b32 rc=$?"; cat $OUT/probe-groups-b32-stores.log
timeout 150 python3 scripts/probe_groups.py --block 16 --zero-stores > $OUT/probe-groups-b16-stores.log 2>&1
echo "probe b16 rc=$?"; cat $OUT/probe-groups-b16-stores.log
timeout 90 python3 scripts/probe_tma_rate.py > $OUT/probe-tma-rate.log 2>&1
echo "tma rc=$?"; cat $OUT/probe-tma-rate.log
