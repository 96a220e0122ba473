#!/bin/bash
# Session 2026-11-26e, fifth call: the launch table for the small-batch forward/dX. GPU tests of the linear
# products, forward/dX before/after (old_src = the package before the launch table), then the suite's
# block-32 forward/dX rows (seed shape, sweep, Barabasi-Albert) alone on the GPU.
mkdir -p $OUT/suite
export PYTHONPATH=src
run() { name=$1; shift; (timeout 400 python3 -m pytest -q -m gpu -p no:cacheprovider "$@" > $OUT/gpu_$name.log 2>&1; echo "rc=$?" >> $OUT/gpu_$name.log) & }
run linear tests/test_linear.py tests/test_kernel_configs.py tests/test_layout.py tests/test_nn_linear.py tests/test_lstm.py
run kernels tests/test_linear_kernels.py -k "dsd or default_configs"
wait
for f in $OUT/gpu_*.log; do echo "== $f"; tail -n 2 $f; done
grep -h -A20 "^____" $OUT/gpu_*.log | head -40
timeout 150 python3 scripts/probe_seed_levels.py --compare-dsd > $OUT/probe_compare_dsd.log 2>&1
cat $OUT/probe_compare_dsd.log
timeout 240 python3 -m tilesparse.bench suite --products forward,dx --block-sizes 32 --out $OUT/suite > $OUT/suite/suite.log 2>&1
tail -n 40 $OUT/suite/suite.log
