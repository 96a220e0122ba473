#!/bin/bash
# Session 2026-11-27 (seventeenth), call 5: dW's kernel with the unsplit program written out for `splits` == 1 (its GPU tests; against the
# kernel before the splits, old_src), and the block-128 forward storing its output tiles with the consumer threads
# instead of TMA, now with 16-byte stores (scripts/probe_epilogue.py --variant lsu-store / lsu-store-cs) beside the library's.
export PYTHONPATH=$PWD/src
timeout 120 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_linear_hopper.py -k "sdd or splits" > $OUT/sdd-tests.log 2>&1
echo "sdd tests rc=$?"; grep -E "FAILED|Error" $OUT/sdd-tests.log | head -20; tail -n 1 $OUT/sdd-tests.log
timeout 150 python3 scripts/probe_dw_splits.py --against-old > $OUT/probe-dw-against-old.log 2>&1
echo "against old rc=$?"; cat $OUT/probe-dw-against-old.log
for v in lsu-store lsu-store-cs full; do
  TRITON_CACHE_DIR=$OUT/cache-$v timeout 110 python3 scripts/probe_epilogue.py --variant $v > $OUT/probe-epilogue-$v.log 2>&1
  echo "== $v rc=$?"; grep -v "^NVIDIA" $OUT/probe-epilogue-$v.log | tail -6
  echo "stores in the forward's PTX:"; grep -ho "st\.global[.a-z0-9]*\|cp\.async\.bulk\.tensor\.2d\.global\.shared[:a-z.]*" $(grep -l "linear_dsd_hopper_kernel" -r $OUT/cache-$v --include=*.ptx) | sort | uniq -c
  rm -rf $OUT/cache-$v
done
