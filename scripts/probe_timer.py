"""Development probe (any CUDA GPU): how much the suite's cold-L2 timer spreads on a few-microsecond call, with the
two graphs' replays timed in blocks and the medians differenced (the timer up to the fifteenth session) against
replays in turn with the median of the pairs' differences (``bench.linear._cold_graph_ms`` now).

Times the seed shape's fp16 forward at d = 0.01 (ours, each PyTorch BSR peer, dense cuBLAS) ``--repeats`` times
with each method, interleaved, and prints every time, the median and the spread (max / min).

Usage: PYTHONPATH=src python3 scripts/probe_timer.py [--repeats 8]
"""

import statistics
import sys

import torch

from tilesparse.bench.linear import (
    Case,
    Operands,
    _cold_graph_ms,
    _dense,
    _ours,
    _peers,
    flush_graphs,
    make_layout,
    replay_times,
)


def blocked_ms(fn, device, calls=10, replays=7):
    """The earlier timer: each graph's replays in a block, the difference of the medians."""
    graphs = flush_graphs(fn, device, calls)
    both, flush_only = (statistics.median(replay_times(g, replays)) for g in graphs)
    return max(both - flush_only, 0.0) / calls


def main():
    repeats = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv else 8
    device = torch.device("cuda")
    print(torch.cuda.get_device_name(), torch.__version__, flush=True)
    case = Case("forward", "fp16", 32, 12288, 12288, 32, 0.01)
    ops = Operands(case, device)
    layout = make_layout(case)
    blocks = ops.randn(*layout.packed_shape, scale=ops.scale)
    fns = [("ours", _ours(case, ops, blocks, layout)), ("dense", _dense(case, ops))]
    fns += [(name, build()) for name, build in _peers(case, ops, blocks, layout)]
    for name, fn in fns:
        fn()
        times = {"blocked": [], "paired": []}
        for _ in range(repeats):
            times["blocked"].append(blocked_ms(fn, device) * 1e3)
            times["paired"].append(_cold_graph_ms(fn, device, replays=15) * 1e3)
        for method, us in times.items():
            print(f"{name:28s} {method:8s} median {statistics.median(us):7.2f} us  spread {max(us) / min(us):5.2f}  "
                  + " ".join(f"{t:.2f}" for t in us), flush=True)


if __name__ == "__main__":
    main()
