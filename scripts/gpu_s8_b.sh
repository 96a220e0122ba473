#!/bin/bash
# Session 2026-11-27 (eighth), call 2: the "turned" TF32 dW with its two consumer warpgroups as partitions of their own, each MMA
# retired before the next step's register loads (call 1's one-partition kernel raced: wrong blocks at b128 d=0.01).
# GPU tests of the Hopper kernels, the probe, the suite's TF32 dW rows.
# The commands are call 1's.
exec bash "$(dirname "$0")/gpu_s8_a.sh"
