"""Command line: ``python -m tilesparse.bench [speedup|suite|conv|lstm|merge] [options]`` (``speedup`` when none is
given)."""

from __future__ import annotations

import argparse
import sys

from .commands import FAMILIES, SUITE_DTYPES, SWEEP_BLOCKS, Plan, conv, merge, speedup, suite
from .linear import DTYPES, PRODUCTS, Timing
from .lstm import lstm

COMMANDS = ("speedup", "suite", "conv", "lstm", "merge")


def _choices(allowed, cast=str):
    """An argparse type for a comma-separated subset of ``allowed``."""

    def parse(text: str) -> tuple:
        values = tuple(cast(v) for v in text.split(",") if v)
        bad = [v for v in values if v not in allowed]
        if bad or not values:
            raise argparse.ArgumentTypeError(f"expected a comma-separated subset of {list(allowed)}, got {text!r}")
        return values

    return parse


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m tilesparse.bench", description=__doc__)
    commands = top.add_subparsers(dest="command", metavar="{speedup,suite,conv,lstm,merge}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--out", default="bench/results", help="output directory (default: bench/results)")
    common.add_argument("--warmup", type=int, default=25, help="do_bench warmup in ms (default: 25)")
    common.add_argument("--rep", type=int, default=100, help="do_bench repetition time in ms (default: 100)")
    common.add_argument("--device", choices=("cuda", "cpu"), help="default: cuda when available, else cpu")
    common.add_argument("--no-peer", action="store_true", help="skip the peer (BSR; conv: grouped conv)")
    common.add_argument("--seed", type=int, default=0, help="seed of layouts and operands (default: 0)")
    commands.add_parser(
        "speedup",
        parents=[common],
        help="speedup over dense vs sparsity, forward (the default)",
        description="Speedup of y = x W^T over dense vs sparsity (block 32): fp16 12288^2 batch 32 and 8192^2 "
        "batch 8192 on a GPU; fp32 2048^2 batch 32 and 256 on the CPU reference path without one.",
    )
    s = commands.add_parser(
        "suite",
        parents=[common],
        help="all products, dtypes and block sizes against the performance targets",
        description="forward/dX/dW x fp16/bf16/tf32 x blocks 8-128 x densities 0.5-0.01 at 8192, the seed shape, "
        "Barabasi-Albert-like vs random layouts; prints which targets are met. GPU only (a tiny smoke run on CPU).",
    )
    s.add_argument("--quick", action="store_true", help="fewer block sizes, densities and dtypes: a first look")
    s.add_argument("--products", type=_choices(PRODUCTS), default=PRODUCTS, help="e.g. forward,dx,dw")
    s.add_argument("--dtypes", type=_choices(tuple(DTYPES)), help=f"e.g. {','.join(SUITE_DTYPES)}")
    s.add_argument("--block-sizes", type=_choices(SWEEP_BLOCKS, int), help="e.g. 32,64,128")
    s.add_argument("--families", type=_choices(FAMILIES), help=f"parts of the plan, e.g. {','.join(FAMILIES)}")
    c = commands.add_parser(
        "conv",
        parents=[common],
        help="tilesparse.conv2d forward/dX/dW against cuDNN dense and grouped convs",
        description="fp16 channels-last, batch 64, C=K=512, 32x32, 3x3: random layouts (blocks 32 and 64, "
        "densities 0.5-0.05) against cuDNN dense, block-diagonal layouts against cuDNN's grouped conv (the "
        "peer), the full layout against dense; prints which targets are met. GPU only (a tiny smoke run on CPU).",
    )
    c.add_argument("--products", type=_choices(PRODUCTS), default=PRODUCTS, help="e.g. forward,dx,dw")
    c.add_argument("--block-sizes", type=_choices(SWEEP_BLOCKS, int), help="e.g. 32,64")
    commands.add_parser(
        "lstm",
        parents=[common],
        help="BlockSparseLSTM (18432 hidden, ~97%% sparse) against nn.LSTM (3168 hidden): tokens/s",
        description="Forward + backward of the recurrent layer, batch 64, sequence 256, bf16 autocast, eager and "
        "in a CUDA graph; the sparse-wide layer has as many recurrent parameters as the dense one. GPU only "
        "(a tiny smoke run on CPU).",
    )
    m = commands.add_parser(
        "merge",
        help="several suite result files (JSON) as one table, later files first, with the targets",
        description="Rows of the given suite result files as one table: a later file's row replaces an earlier "
        "one of the same case; each row keeps its run's dense baseline and names its file (source). Prints the "
        "targets over the merged rows and writes <stem>.{csv,json} and <stem>-efficiency.png.",
    )
    m.add_argument("files", nargs="+", help="suite result files (JSON), oldest first")
    m.add_argument("--out", default="bench/results", help="output directory (default: bench/results)")
    m.add_argument("--name", help="file-name stem (default: the newest file's GPU and date, then -merged)")
    return top


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in (*COMMANDS, "-h", "--help"):
        argv = ["speedup", *argv]
    args = parser().parse_args(argv)
    if args.command == "merge":
        merge(args.files, args.out, args.name)
        return 0
    timing = Timing(warmup_ms=args.warmup, rep_ms=args.rep)
    common = dict(device=args.device, out_dir=args.out, timing=timing, peer=not args.no_peer, seed=args.seed)
    if args.command == "speedup":
        speedup(**common)
    elif args.command == "lstm":
        lstm(**common)
    elif args.command == "conv":
        conv(None, args.products, args.block_sizes, **common)
    else:
        cpu = args.device == "cpu" or (args.device is None and not _cuda())
        plan = Plan.tiny() if cpu else (Plan.quick() if args.quick else Plan())
        suite(plan, args.products, args.dtypes, args.block_sizes, families=args.families, **common)
    return 0


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


if __name__ == "__main__":
    sys.exit(main())
