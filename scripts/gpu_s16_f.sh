#!/bin/bash
# Session 2026-11-27 (sixteenth), call 6: the conv op's grouped path (block-diagonal layouts as cuDNN's grouped
# conv): GPU tests (and the dense path's after its cuDNN calls were shared), where it beats the kernels, the conv
# benchmark.
export PYTHONPATH=$PWD/src
timeout 90 python3 -m pytest -q -m gpu -p no:cacheprovider tests/test_conv_grouped.py tests/test_conv_dense.py > $OUT/grouped-tests.log 2>&1
echo "tests rc=$?"; grep -E "FAILED|Error" $OUT/grouped-tests.log | head; tail -n 1 $OUT/grouped-tests.log
timeout 170 python3 scripts/probe_conv_grouped_path.py --out $OUT/probe-conv-grouped.jsonl > $OUT/probe-conv-grouped.log 2>&1
echo "probe rc=$?"; grep -v Warn $OUT/probe-conv-grouped.log | tail -n 50
mkdir -p $OUT/conv
timeout 130 python3 -m tilesparse.bench conv --out $OUT/conv > $OUT/conv/conv.log 2>&1
echo "conv bench rc=$?"; grep -A14 "block-diagonal (vs" $OUT/conv/conv.log; grep -E "MET|MISSED" $OUT/conv/conv.log
cd $OUT && tar czf conv.tgz conv && rm -rf conv
