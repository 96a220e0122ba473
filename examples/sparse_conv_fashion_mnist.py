"""Fashion-MNIST classifiers at equal parameter counts: a dense conv net against (a) a block-diagonal +
channel-shuffle sparse net 4x deeper and (b) a random sparse net 2x wider (tilesparse.nn.BlockSparseConv2d).

    python examples/data/fashion_mnist.py                     # once: builds data/fashion_mnist.npz
    python examples/sparse_conv_fashion_mnist.py              # 3 models x 3 seeds, 3 epochs each
    python examples/sparse_conv_fashion_mnist.py --tiny       # CI: a few CPU steps, checks that the loss falls

The metric is test accuracy (a classifier), not the bits/dim of a PixelCNN: simpler and robust at this size.
Every model is the same net: a dense 3x3 stem conv (1 -> width), three stages of residual blocks
``x + BN(conv3x3(ReLU(x)))`` at 28, 14 and 7 pixels (2x2 max-pool between stages), global average pool and a
linear head. Only the 3x3 convs of the blocks differ:

- ``dense``: width 128, 2 blocks per stage, nn.Conv2d.
- ``deep`` (a): width 128, 8 blocks per stage, density 1/4: ``layouts.block_diagonal_shuffled`` with 4 groups
  of 16-channel blocks. The channel shuffle (ShuffleNet's, at block granularity) is folded into the layout,
  so it costs nothing at run time: each output group reads 2 of the 4 input groups, all 4 after two layers.
- ``wide`` (b): width 256, 2 blocks per stage, density 1/4: ``layouts.balanced`` with 32-channel blocks,
  2 per block row and column, a different random layout in every layer.

So every block conv of (a) and (b) holds 1/4 of a dense layer's weights at its width, and the three models
have the same number of conv weights. Training: AdamW, linear warm-up then cosine decay, bf16 autocast and
channels-last on CUDA, the whole data set on the device (no DataLoader). Throughput is training images per
second after the first ``WARMUP_STEPS`` steps (Triton compiles, cuDNN picks algorithms). Writes
``fashion_mnist.{json,md,png}`` (``--out``, default docs/results/): per-run rows, a markdown table with
mean +- std over the seeds, and bar charts of accuracy and throughput.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import tilesparse
from tilesparse import layouts
from tilesparse.nn import BlockSparseConv2d

# -- config (the command line overrides these) -------------------------------------------------------------
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "fashion_mnist.npz"  # python examples/data/fashion_mnist.py
OUT = ROOT / "docs" / "results"
MODELS = ("dense", "deep", "wide")
LR = 3e-3
WEIGHT_DECAY = 0.05
WARMUP_FRACTION = 0.05  # of the steps, linear warm-up of the learning rate
WARMUP_STEPS = 20  # steps left out of the throughput
MEAN, STD = 0.2860, 0.3530  # of the Fashion-MNIST training pixels in [0, 1]
# width: the dense model's channels ((a) has as many, (b) twice as many); depth: its residual blocks per
# stage ((a) has 4x as many). --tiny: a few CPU steps on a subset, half-width models, PyTorch reference path.
FULL = dict(seeds=(0, 1, 2), epochs=3, batch_size=256, width=128, depth=2, train_subset=None, test_subset=None)
TINY = dict(seeds=(0,), epochs=2, batch_size=32, width=64, depth=1, train_subset=256, test_subset=256)


# -- models ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """One model: its width, residual blocks per stage, and the layout of its block convs."""

    name: str
    label: str
    width: int
    depth: int
    layout: str  # "dense", "block_diagonal_shuffled" or "balanced"
    block_size: int = 0
    groups: int = 0  # block_diagonal_shuffled
    blocks_per_row: int = 0  # balanced


def specs(width: int, depth: int) -> dict[str, Spec]:
    """The three models around a dense one of ``width`` channels and ``depth`` blocks per stage: block sizes
    width/8 (4 groups of 2 blocks, so that the shuffle mixes) and width/4 (8 blocks a row, 2 present)."""
    return {
        "dense": Spec("dense", "dense", width, depth, "dense"),
        "deep": Spec("deep", "(a) block-diag. + shuffle, 4x deep", width, 4 * depth, "block_diagonal_shuffled",
                     block_size=width // 8, groups=4),
        "wide": Spec("wide", "(b) random, 2x wide", 2 * width, depth, "balanced",
                     block_size=width // 4, blocks_per_row=2),
    }  # fmt: skip


def conv3x3(spec: Spec, index: int, seed: int) -> nn.Module:
    """The 3x3 conv of residual block ``index``: dense, or block-sparse with the spec's layout."""
    w = spec.width
    if spec.layout == "dense":
        return nn.Conv2d(w, w, 3, padding=1, bias=False)
    if spec.layout == "block_diagonal_shuffled":
        layout = layouts.block_diagonal_shuffled(w, w, spec.block_size, spec.groups)
    else:
        layout = layouts.balanced(w, spec.block_size, spec.blocks_per_row, seed=1000 * seed + index)
    return BlockSparseConv2d(w, w, 3, padding=1, bias=False, layout=layout)


class Block(nn.Module):
    """x + BN(conv3x3(ReLU(x)))"""

    def __init__(self, conv: nn.Module, width: int):
        super().__init__()
        self.conv, self.bn = conv, nn.BatchNorm2d(width)

    def forward(self, x):
        return x + self.bn(self.conv(F.relu(x)))


class Net(nn.Module):
    """Dense stem, three stages of ``spec.depth`` blocks (28, 14, 7 pixels), average pool, linear head."""

    def __init__(self, spec: Spec, seed: int, classes: int = 10):
        super().__init__()
        w = spec.width
        self.stem = nn.Sequential(nn.Conv2d(1, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU())
        self.stages = nn.ModuleList(
            nn.Sequential(*(Block(conv3x3(spec, s * spec.depth + i, seed), w) for i in range(spec.depth)))
            for s in range(3)
        )
        self.head = nn.Linear(w, classes)

    def forward(self, x):
        x = self.stem(x)
        for s, stage in enumerate(self.stages):
            x = stage(F.max_pool2d(x, 2) if s else x)
        return self.head(F.relu(x).mean((2, 3)))


def build(spec: Spec, seed: int, device: torch.device) -> nn.Module:
    torch.manual_seed(seed)
    model = Net(spec, seed).to(device)
    for m in model.modules():  # dense conv weights channels-last (the block-sparse ones are 5-D, packed)
        if isinstance(m, nn.Conv2d):
            m.to(memory_format=torch.channels_last)
    return model


def count(model: nn.Module) -> dict[str, int]:
    """All parameters, and the weights of the residual blocks' 3x3 convs (where the models differ)."""
    convs = [block.conv for stage in model.stages for block in stage]
    return {"params": sum(p.numel() for p in model.parameters()), "conv_params": sum(m.weight.numel() for m in convs)}


# -- data --------------------------------------------------------------------------------------------------


def load(path: Path, device: torch.device, train_subset: int | None = None, test_subset: int | None = None):
    """The npz as uint8 image tensors (N, 28, 28) and int64 labels on ``device``."""
    if not path.exists():
        sys.exit(f"expected {path}: build it with python examples/data/fashion_mnist.py")
    with np.load(path) as npz:
        arrays = {k: torch.from_numpy(npz[k]) for k in npz.files}
    train = arrays["train_images"][:train_subset], arrays["train_labels"][:train_subset].long()
    test = arrays["test_images"][:test_subset], arrays["test_labels"][:test_subset].long()
    return tuple(t.to(device) for t in train), tuple(t.to(device) for t in test)


def batch_of(images: torch.Tensor) -> torch.Tensor:
    """uint8 (B, 28, 28) -> normalised float (B, 1, 28, 28), channels-last."""
    x = (images.float().div_(255) - MEAN) / STD
    return x.unsqueeze(1).contiguous(memory_format=torch.channels_last)


# -- training ----------------------------------------------------------------------------------------------


def lr_at(step: int, steps: int) -> float:
    """Multiplier of the learning rate: linear warm-up, then cosine decay to 0."""
    warmup = max(1, round(WARMUP_FRACTION * steps))
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))


def progress(text: str, done: bool = False) -> None:
    """A one-line progress bar on a terminal; only the finished lines in a log."""
    if sys.stdout.isatty():
        print("\r" + text.ljust(100), end="\n" if done else "", flush=True)
    elif done:
        print(text, flush=True)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def train(model, train_set, cfg, device, seed: int, name: str) -> dict:
    images, labels = train_set
    n = images.shape[0]
    steps_per_epoch = n // cfg.batch_size
    steps = cfg.epochs * steps_per_epoch
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_at(s, steps))
    generator = torch.Generator().manual_seed(seed)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")
    warmup = min(WARMUP_STEPS, steps // 2)
    losses, epoch_losses, begin, start = [], [], time.perf_counter(), 0.0
    model.train()
    for epoch in range(cfg.epochs):
        order = torch.randperm(n, generator=generator).to(device)
        epoch_start, epoch_sum = time.perf_counter(), torch.zeros((), device=device)
        for i in range(steps_per_epoch):
            step = epoch * steps_per_epoch + i
            if step == warmup:
                sync(device)
                start = time.perf_counter()
            index = order[i * cfg.batch_size : (i + 1) * cfg.batch_size]
            with autocast:
                loss = F.cross_entropy(model(batch_of(images[index])), labels[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            epoch_sum += loss.detach()
            if cfg.record_losses:
                losses.append(loss.item())
            if sys.stdout.isatty() and (i % 20 == 0 or i == steps_per_epoch - 1):
                bar = "#" * (20 * (i + 1) // steps_per_epoch)
                progress(
                    f"{name} seed {seed} epoch {epoch + 1}/{cfg.epochs} [{bar:20s}] {i + 1}/{steps_per_epoch} "
                    f"loss {loss.item():.4f}"
                )
        epoch_losses.append(epoch_sum.item() / steps_per_epoch)
        seconds = time.perf_counter() - epoch_start
        progress(
            f"{name} seed {seed} epoch {epoch + 1}/{cfg.epochs}: train loss {epoch_losses[-1]:.4f}, "
            f"{seconds:.1f} s ({steps_per_epoch * cfg.batch_size / seconds:,.0f} images/s)",
            done=True,
        )
    sync(device)
    end = time.perf_counter()
    return {
        "train_loss": epoch_losses,
        "step_losses": losses,
        "train_images_per_s": (steps - warmup) * cfg.batch_size / (end - start),
        "train_seconds": end - begin,
    }


@torch.no_grad()
def evaluate(model, test_set, device, batch_size: int = 1000) -> tuple[float, float]:
    """(accuracy, mean cross-entropy) on the test set."""
    model.eval()
    images, labels = test_set
    correct, loss = 0, 0.0
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")
    for i in range(0, images.shape[0], batch_size):
        with autocast:
            logits = model(batch_of(images[i : i + batch_size])).float()
        target = labels[i : i + batch_size]
        correct += int((logits.argmax(1) == target).sum())
        loss += float(F.cross_entropy(logits, target, reduction="sum"))
    return correct / images.shape[0], loss / images.shape[0]


# -- reporting ---------------------------------------------------------------------------------------------


def mean_std(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def summarise(runs: list[dict], specs_used: dict[str, Spec]) -> list[dict]:
    rows = []
    for name, spec in specs_used.items():
        mine = [r for r in runs if r["model"] == name]
        if not mine:
            continue
        acc, acc_std = mean_std([r["test_acc"] for r in mine])
        ips, ips_std = mean_std([r["train_images_per_s"] for r in mine])
        rows.append(
            {
                "model": name,
                "label": spec.label,
                "width": spec.width,
                "block_convs": 3 * spec.depth,
                "layout": spec.layout if spec.layout == "dense" else f"{spec.layout}, block {spec.block_size}",
                "density": mine[0]["density"],
                "params": mine[0]["params"],
                "conv_params": mine[0]["conv_params"],
                "seeds": len(mine),
                "test_acc": acc,
                "test_acc_std": acc_std,
                "images_per_s": ips,
                "images_per_s_std": ips_std,
            }
        )
    return rows


def summary_table(summary: list[dict]) -> list[str]:
    lines = [
        "| model | layout | width | 3x3 block convs | density | params | test accuracy (%) | train images/s |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in summary:
        lines.append(
            f"| {r['label']} | {r['layout']} | {r['width']} | {r['block_convs']} | {r['density']:.3g} | "
            f"{r['params']:,} | {100 * r['test_acc']:.2f} ± {100 * r['test_acc_std']:.2f} | "
            f"{r['images_per_s']:,.0f} ± {r['images_per_s_std']:,.0f} |"
        )
    return lines


def markdown(summary: list[dict], runs: list[dict], meta: dict) -> str:
    lines = [
        "# Block-sparse convs on Fashion-MNIST at equal parameter counts",
        "",
        f"Metric: test accuracy of a classifier (10 classes), {meta['epochs']} epochs, batch {meta['batch_size']}, "
        f"AdamW lr {meta['lr']}, {len(meta['seeds'])} seed(s). {meta['device_name']}, torch {meta['torch']}, "
        f"{meta['date']}; run took {meta['seconds'] / 60:.1f} min.",
        "",
        "```",
        "python examples/data/fashion_mnist.py",
        meta["command"],
        "```",
        "",
        *summary_table(summary),
    ]
    lines += [
        "",
        "Mean ± standard deviation over the seeds. Per run:",
        "",
        "| model | seed | test accuracy (%) | test loss | train images/s | train s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        lines.append(
            f"| {r['model']} | {r['seed']} | {100 * r['test_acc']:.2f} | {r['test_loss']:.4f} | "
            f"{r['train_images_per_s']:,.0f} | {r['train_seconds']:.1f} |"
        )
    lines += ["", f"![accuracy and throughput]({meta['png']})", ""]
    return "\n".join(lines)


def plot(summary: list[dict], meta: dict, path: Path) -> Path | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no PNG written")
        return None
    labels = [f"{r['label']}\n{r['params'] / 1e3:.0f}k params" for r in summary]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    panels = (("test_acc", 100, "test accuracy (%)"), ("images_per_s", 1, "training images/s"))
    for ax, (key, scale, title) in zip(axes, panels, strict=True):
        values = [scale * r[key] for r in summary]
        errors = [scale * r[f"{key}_std"] for r in summary]
        ax.bar(range(len(summary)), values, yerr=errors, capsize=6, color=["C0", "C1", "C2"][: len(summary)])
        ax.set_xticks(range(len(summary)), labels, fontsize=8)
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)
        for i, v in enumerate(values):
            ax.annotate(
                f"{v:.2f}" if key == "test_acc" else f"{v:,.0f}",
                (i, v),
                ha="center",
                va="bottom",
                fontsize=8,
                xytext=(0, 6),
                textcoords="offset points",
            )
    accs = [100 * r["test_acc"] for r in summary]
    axes[0].set_ylim(min(accs) - 3, min(100, max(accs) + 2))
    axes[1].set_ylim(0, 1.15 * max(r["images_per_s"] + r["images_per_s_std"] for r in summary))
    fig.suptitle(
        f"Fashion-MNIST, {meta['epochs']} epochs, mean ± std over {len(meta['seeds'])} seed(s); "
        f"{meta['device_name']}, {meta['date']}",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


# -- main --------------------------------------------------------------------------------------------------


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default=",".join(MODELS), help=f"comma-separated subset of {MODELS}")
    p.add_argument("--seeds", type=lambda t: tuple(int(s) for s in t.split(",") if s), help="e.g. 0,1,2")
    p.add_argument("--epochs", type=int, help=f"default: {FULL['epochs']} ({TINY['epochs']} with --tiny)")
    p.add_argument("--batch-size", type=int, help=f"default: {FULL['batch_size']} ({TINY['batch_size']} with --tiny)")
    p.add_argument("--lr", type=float, default=LR)
    p.add_argument("--weight-decay", type=float, default=WEIGHT_DECAY)
    p.add_argument("--width", type=int, choices=(64, 128, 256), help=f"dense channels (default: {FULL['width']})")
    p.add_argument("--depth", type=int, help=f"residual blocks per stage of the dense model (default: {FULL['depth']})")
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--out", type=Path, help=f"output directory (default: {OUT.relative_to(ROOT)}/)")
    p.add_argument("--device", choices=("cuda", "cpu"), help="default: cuda when available")
    p.add_argument("--tiny", action="store_true", help="CI: a few CPU steps on a subset, checks the loss falls")
    args = p.parse_args(argv)
    args.models = tuple(m for m in args.models.split(",") if m)
    if not args.models or any(m not in MODELS for m in args.models):
        p.error(f"expected --models a comma-separated subset of {MODELS}, got {args.models}")
    for key, value in (TINY if args.tiny else FULL).items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    if args.tiny:
        args.device = args.device or "cpu"
    args.device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    args.out = args.out or (ROOT / "out" / "fashion_mnist_tiny" if args.tiny else OUT)
    args.record_losses = args.tiny
    return args


@contextlib.contextmanager
def cpu_threads(n: int | None):
    """Run on ``n`` CPU threads (None: leave them). --tiny runs on one: on a shared CI machine a thread pool
    waiting for busy cores makes steps swing 10x."""
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def run(spec: Spec, seed: int, cfg, train_set, test_set) -> dict:
    """Build, train and test one model; its row of the results."""
    model = build(spec, seed, cfg.device)
    density = next((m.density for m in model.modules() if isinstance(m, BlockSparseConv2d)), 1.0)
    result = train(model, train_set, cfg, cfg.device, seed, spec.name)
    acc, test_loss = evaluate(model, test_set, cfg.device)
    print(
        f"{spec.name} seed {seed}: test accuracy {100 * acc:.2f}%, test loss {test_loss:.4f}, "
        f"{result['train_images_per_s']:,.0f} train images/s"
    )
    row = {"model": spec.name, "seed": seed, "density": density, **count(model)}
    return {**row, "test_acc": acc, "test_loss": test_loss, **result}


def main(argv: list[str] | None = None) -> dict:
    cfg = parse(argv)
    device = cfg.device
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    all_specs = specs(cfg.width, cfg.depth)
    chosen = {name: all_specs[name] for name in cfg.models}
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU ({platform.machine()})"
    print(f"device: {where}, torch {torch.__version__}, tilesparse {tilesparse.__version__}")
    for spec in chosen.values():
        sizes = count(Net(spec, 0))
        print(
            f"{spec.name:5s} {spec.label:36s} width {spec.width:3d}, {3 * spec.depth:2d} block convs: "
            f"{sizes['params']:,} params ({sizes['conv_params']:,} in the block convs)"
        )
    train_set, test_set = load(cfg.data, device, cfg.train_subset, cfg.test_subset)
    print(f"data: {cfg.data.name}, {train_set[0].shape[0]} train / {test_set[0].shape[0]} test images on {device}")
    begin = time.perf_counter()
    with cpu_threads(1 if cfg.tiny else None):
        runs = [run(spec, seed, cfg, train_set, test_set) for spec in chosen.values() for seed in cfg.seeds]
    seconds = time.perf_counter() - begin
    if cfg.tiny:
        for r in runs:
            first, last = r["step_losses"][:4], r["step_losses"][-4:]
            assert statistics.fmean(last) < statistics.fmean(first), (
                f"expected the training loss of {r['model']} to fall, got {first} then {last}"
            )
        print("tiny: the training loss fell for every model")
    meta = {
        "command": " ".join(["python examples/sparse_conv_fashion_mnist.py", *(argv or sys.argv[1:])]),
        "device": device.type,
        "device_name": where,
        "torch": torch.__version__,
        "tilesparse": tilesparse.__version__,
        "date": datetime.now(timezone.utc).date().isoformat(),
        "seconds": round(seconds, 1),
        "epochs": cfg.epochs,
        "batch_size": cfg.batch_size,
        "lr": cfg.lr,
        "weight_decay": cfg.weight_decay,
        "seeds": list(cfg.seeds),
        "tiny": cfg.tiny,
        "data": cfg.data.name,
        "png": "fashion_mnist.png",
        "specs": {name: asdict(spec) for name, spec in chosen.items()},
    }
    summary = summarise(runs, chosen)
    cfg.out.mkdir(parents=True, exist_ok=True)
    paths = [cfg.out / "fashion_mnist.json", cfg.out / "fashion_mnist.md"]
    paths[0].write_text(json.dumps({"meta": meta, "summary": summary, "runs": runs}, indent=1))
    paths[1].write_text(markdown(summary, runs, meta))
    png = plot(summary, meta, cfg.out / meta["png"])
    paths += [png] if png else []
    print("\n" + "\n".join(summary_table(summary)))
    print(f"{len(runs)} runs in {seconds / 60:.1f} min; wrote " + ", ".join(str(p) for p in paths))
    return {"meta": meta, "summary": summary, "runs": runs, "paths": paths}


if __name__ == "__main__":
    main()
