#!/bin/bash
# Session 2026-11-26 (seventh), eleventh call: dW groups at the seed shape with the split variant the library now
# takes (probe_seed_variants.py), the block-32 dW suite rows (seed shape, BA, random, TF32), and the dW GPU tests.
mkdir -p $OUT/suite
export PYTHONPATH=src
timeout 150 python3 scripts/probe_seed_variants.py > $OUT/probe_seed_variants.log 2>&1
timeout 200 python3 -m tilesparse.bench suite --products dw --block-sizes 32 --out $OUT/suite > $OUT/suite/suite.log 2>&1; echo "suite rc=$?"
timeout 150 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_kernels.py -k "sdd or default" tests/test_linear.py > $OUT/gpu_sdd.log 2>&1; echo "rc=$?" >> $OUT/gpu_sdd.log
tail -n 2 $OUT/gpu_sdd.log
grep -h -A20 "^____" $OUT/gpu_*.log | head -40
cat $OUT/probe_seed_variants.log
grep -A12 "^targets" $OUT/suite/suite.log
grep -B2 -A10 "seed: 12288" $OUT/suite/suite.log | head -14
