"""Byte-level language model: a dense LSTM against a wide small-world block-sparse LSTM at equal parameters,
compared at equal training steps and at equal training wall time.

    python examples/data/text_corpus.py                   # once: builds data/corpus.npz
    python examples/lstm_language_model.py                # dense and sparse, 2000 steps each: minutes on an H100
    python examples/lstm_language_model.py --model all    # dense, sparse, then dense_time
    python examples/lstm_language_model.py --model dense_time   # after dense and sparse have finished
    python examples/lstm_language_model.py --tiny --model all   # CI: CPU, under a minute, checks that the loss falls

The original blocksparse's headline LSTM result, at a small scale: at the same parameter count, a much wider
LSTM whose recurrent weights are a sparse Barabasi-Albert graph over 32-unit blocks, against a narrow dense
one. Both models are ``embedding (256 -> EMBED) -> LSTM -> linear (hidden -> 256)``, trained with Adam on the
same byte windows in the same order (stateful truncated backprop: ``BATCH`` parallel streams of the
training text, ``SEQ`` bytes per step, the state carried and detached between steps):

- ``dense``: ``torch.nn.LSTM`` (cuDNN on a GPU: the dense baseline a user would run) with ``--hidden`` units;
  with ``--cell deep``, ``BlockSparseLSTM`` on a dense layout (nn.LSTM has no deep cell).
- ``sparse``: ``tilesparse.nn.BlockSparseLSTM`` with ``--sparse-hidden`` units on a Barabasi-Albert layout
  (diagonal on); ``--density auto`` picks the density whose total parameter count is closest to the dense
  model's. Both counts are printed.
- ``dense_time``: ``dense`` again (same spec, seed and data order), trained for as long as ``sparse`` took
  rather than for as many steps: ``round(sparse's total training seconds / dense's seconds per step)`` steps,
  from the finished ``dense`` and ``sparse`` checkpoints (it stops with an error naming the one to train
  first), its warm-up and cosine decay stretched over those steps. The dense model is many times faster per
  step, so this is the comparison a user with a fixed time budget cares about.

``--model both`` (the default) trains dense then sparse; ``all`` adds dense_time after them.

Reported: held-out bits per byte (the valid split, every ``eval_every`` steps on its first ``eval_bytes``
bytes; at the end on all of valid and test), wall time per training step, training bytes (tokens) per second
and peak GPU memory; every history point also carries ``time_s``, the training time up to that step
(training steps only: evaluations and checkpoints are left out). A run that would evaluate more than
``EVAL_POINTS`` (20) times at the configured cadence (dense_time, ~10x longer than the others at the full
size, or a large ``--steps``) logs, evaluates and checkpoints ``k`` times less often, ``k`` the smallest
integer leaving at most 20 evaluations: 10 to 20 points on its curve, never more often than configured.

Writes ``lstm_lm.json`` (with the equal-steps and equal-time comparisons) and ``lstm_lm.png`` (held-out bits
per byte against steps and against training seconds) to ``--out`` (default docs/results/), from every
finished model in ``--ckpt``, so the models can be trained by separate commands. ``--ckpt DIR`` (default
out/lstm_lm/) holds ``dense.pt``, ``sparse.pt`` and ``dense_time.pt``: saved every ``ckpt_every`` steps and at
the end, the training time so far with them; a run resumes from them (a finished one is not retrained).
``examples/sentiment_probe.py`` probes every finished one. Bits per byte on this corpus do not compare with
enwik8 numbers.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import tilesparse
from tilesparse import Layout
from tilesparse.nn import BlockSparseLSTM, detach_state, small_world_layout, tbptt_chunks

# -- config (the command line overrides these) ---------------------------------------------------------------
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "corpus.npz"  # python examples/data/text_corpus.py
OUT = ROOT / "docs" / "results"
CKPT = ROOT / "out" / "lstm_lm"
MODELS = ("dense", "sparse", "dense_time")  # in training order: dense_time needs the other two finished
RUNS = {"both": ("dense", "sparse"), "all": MODELS} | {name: (name,) for name in MODELS}  # --model
FULL = dict(
    hidden=1536,  # dense: ~10.2M parameters (4 * 1536^2 recurrent)
    sparse_hidden=4096,  # sparse: 128 block units of 32, density ~0.12 at equal parameters
    block_size=32,
    embed=64,
    steps=2000,
    seq=256,
    batch=64,
    lr=2e-3,
    eval_every=200,
    eval_bytes=262_144,
    eval_streams=64,
    ckpt_every=500,
    log_every=50,
)
# --tiny: CPU, the PyTorch reference path, 160 steps on 160 KB of text (the corpus if built, else synthetic).
TINY = dict(
    hidden=64,
    sparse_hidden=128,
    block_size=16,
    embed=16,
    steps=160,
    seq=32,
    batch=8,
    lr=1e-2,
    eval_every=40,
    eval_bytes=8192,
    eval_streams=8,
    ckpt_every=80,
    log_every=40,
)
TINY_TRAIN_BYTES, TINY_EVAL_BYTES = 160_000, 16_384
WARMUP_FRACTION = 0.05  # of the steps: linear warm-up, then cosine decay to FINAL_LR_FRACTION
FINAL_LR_FRACTION = 0.1
CLIP = 1.0
TIMING_SKIP = 10  # first steps of a run left out of the timings (Triton compiles, cuDNN plans)
EVAL_POINTS = 20  # at most this many evaluations in a run: longer runs stretch the cadence (see cadence())
SEED = 0


# -- data ------------------------------------------------------------------------------------------------------


def synthetic_text(n_bytes: int, seed: int) -> bytes:
    """Sentences from a small grammar: learnable structure (words, agreement, punctuation) for CI runs."""
    rng = np.random.default_rng(seed)
    subjects = ["the cat", "a dog", "my friend", "the old man", "every child", "the river"]
    verbs = ["sees", "likes", "follows", "finds", "remembers", "crosses"]
    objects = ["the hill", "a small bird", "the red door", "her book", "the long road", "a quiet town"]
    endings = [".", ".", ".", "!", "?"]
    out, size = [], 0
    while size < n_bytes:
        sentence = f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(objects)}{rng.choice(endings)} "
        sentence = sentence[0].upper() + sentence[1:]
        out.append(sentence)
        size += len(sentence)
    return "".join(out).encode()[:n_bytes]


def load_corpus(path: Path, tiny: bool) -> tuple[dict[str, np.ndarray], str]:
    """train / valid / test uint8 arrays and where they came from."""
    if path.exists():
        with np.load(path) as npz:
            splits = {k: npz[k] for k in ("train", "valid", "test")}
        if tiny:
            splits = {"train": splits["train"][:TINY_TRAIN_BYTES]} | {
                k: splits[k][:TINY_EVAL_BYTES] for k in ("valid", "test")
            }
        return splits, str(path)
    if not tiny:
        raise FileNotFoundError(f"expected the corpus at {path}, got no file: run examples/data/text_corpus.py")
    text = np.frombuffer(synthetic_text(TINY_TRAIN_BYTES + 2 * TINY_EVAL_BYTES, SEED), dtype=np.uint8)
    train, valid, test = np.split(text, [TINY_TRAIN_BYTES, TINY_TRAIN_BYTES + TINY_EVAL_BYTES])
    return {"train": train, "valid": valid, "test": test}, "synthetic"


def streams(data: np.ndarray, count: int, device) -> torch.Tensor:
    """``data`` cut into ``count`` equal contiguous streams, time-major ``(length, count)`` int64."""
    length = len(data) // count
    return torch.from_numpy(data[: length * count].astype(np.int64)).view(count, length).t().contiguous().to(device)


# -- models ----------------------------------------------------------------------------------------------------


class ByteLM(nn.Module):
    """embedding -> LSTM -> linear over the 256 byte values; time-major ``(T, B)`` bytes in, logits out."""

    def __init__(self, rnn: nn.Module, embed: int, hidden: int):
        super().__init__()
        self.embed = nn.Embedding(256, embed)
        self.rnn = rnn
        self.head = nn.Linear(hidden, 256)

    def forward(self, tokens, state=None):
        output, state = self.rnn(self.embed(tokens), state)
        return self.head(output), state


def make_rnn(spec: dict, layout: Layout | None = None) -> nn.Module:
    """The recurrent layer of a spec: nn.LSTM, or BlockSparseLSTM on ``layout`` (default: the spec's density)."""
    if spec["kind"] == "torch":
        lstm = nn.LSTM(spec["embed"], spec["hidden"])
        with torch.no_grad():  # the forget-gate bias of 1 that BlockSparseLSTM starts from, in one of its biases
            hidden = spec["hidden"]
            lstm.bias_ih_l0.zero_()[hidden : 2 * hidden] = 1.0
            lstm.bias_hh_l0.zero_()
        return lstm
    if layout is None:
        layout = small_world_layout(spec["hidden"], spec["block_size"], spec["density"], seed=spec["seed"])
    return BlockSparseLSTM(
        spec["embed"], spec["hidden"], layout, cell=spec["cell"], internal_steps=spec["internal_steps"]
    )


def count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def specs(cfg: dict) -> dict[str, dict]:
    """The two models. ``density="auto"``: the Barabasi-Albert density giving the dense model's parameter count."""
    common = {"embed": cfg["embed"], "cell": cfg["cell"], "internal_steps": cfg["internal_steps"], "seed": SEED}
    dense = common | {"hidden": cfg["hidden"], "block_size": cfg["block_size"], "density": 1.0}
    dense["kind"] = "torch" if cfg["cell"] == "classic" else "blocksparse"
    sparse = common | {"kind": "blocksparse", "hidden": cfg["sparse_hidden"], "block_size": cfg["block_size"]}
    density = cfg["density"]
    if density == "auto":
        target = count(build(dense))
        # The sparse model on a diagonal-only layout (n blocks per recurrent weight) gives the parameters that do
        # not grow with the layout, and the parameters per block of the hidden layout (4 bs^2 for the classic
        # cell: one block per gate).
        hidden, bs = cfg["sparse_hidden"], cfg["block_size"]
        n = hidden // bs
        probe = build(sparse | {"density": 1.0}, Layout(torch.eye(n, dtype=torch.bool), bs))
        recurrent = sum(p.numel() for p in probe.rnn.parameters() if p.dim() >= 3)  # the packed blocks
        per_block = recurrent // n
        density = min(1.0, max(target - (count(probe) - recurrent), per_block) / (per_block * n * n))
    # The density the layout really has (the Barabasi-Albert m closest to the target gives it back exactly).
    sparse["density"] = small_world_layout(cfg["sparse_hidden"], cfg["block_size"], float(density)).density
    return {"dense": dense, "sparse": sparse}


def build(spec: dict, layout: Layout | None = None) -> ByteLM:
    return ByteLM(make_rnn(spec, layout), spec["embed"], spec["hidden"])


def load_model(path: Path, device) -> tuple[ByteLM, dict]:
    """A trained model from its checkpoint (the layout comes from the state dict), and the checkpoint."""
    ckpt = torch.load(path, map_location="cpu", weights_only=False)
    spec = ckpt["spec"]
    layout = None
    if spec["kind"] == "blocksparse":
        layout = Layout(ckpt["model"]["rnn.layout_mask"].bool(), spec["block_size"])
    model = build(spec, layout)
    model.load_state_dict(ckpt["model"])
    return model.to(device).eval(), ckpt


# -- training --------------------------------------------------------------------------------------------------


def autocast(device: torch.device):
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


@torch.no_grad()
def bits_per_byte(model: ByteLM, data: np.ndarray, cfg: dict, device, limit: int | None) -> float:
    """Mean cross-entropy in bits over ``data[:limit]``, as ``eval_streams`` parallel streams, state carried."""
    model.eval()
    text = streams(data if limit is None else data[:limit], cfg["eval_streams"], device)
    inputs, targets = text[:-1], text[1:]
    total, state = 0.0, None
    for x, y in zip(tbptt_chunks(inputs, cfg["seq"]), tbptt_chunks(targets, cfg["seq"]), strict=True):
        with autocast(device):
            logits, state = model(x, state)
        total += F.cross_entropy(logits.float().flatten(0, 1), y.flatten(), reduction="sum").item()
    model.train()
    return total / targets.numel() / math.log(2)


def learning_rate(step: int, cfg: dict) -> float:
    warmup = max(1, int(WARMUP_FRACTION * cfg["steps"]))
    if step < warmup:
        return cfg["lr"] * (step + 1) / warmup
    progress = (step - warmup) / max(1, cfg["steps"] - warmup)
    return cfg["lr"] * (FINAL_LR_FRACTION + (1 - FINAL_LR_FRACTION) * 0.5 * (1 + math.cos(math.pi * progress)))


def cadence(cfg: dict) -> dict:
    """``cfg`` with its log, evaluation and checkpoint intervals stretched ``k`` times, ``k`` the smallest integer
    leaving at most ``EVAL_POINTS`` evaluations in ``cfg["steps"]``. A dense_time run is ~10x longer than the
    others: at the configured cadence it would evaluate ~100 times, flooding its log and plot; with ``k >= 2``
    it gets 10 to 20 points. ``k >= 1``: never more often than configured. All three intervals scale
    together, so evaluations still fall on logged steps."""
    k = max(1, math.ceil(cfg["steps"] / (EVAL_POINTS * cfg["eval_every"])))
    return cfg | {key: k * cfg[key] for key in ("log_every", "eval_every", "ckpt_every")}


def finished_record(path: Path) -> dict | None:
    """The record of the finished model checkpointed at ``path``; None if there is none or it is unfinished."""
    if not path.exists():
        return None
    record = torch.load(path, map_location="cpu", weights_only=False)["record"]
    return record if record["done"] else None


def equal_time_steps(all_specs: dict, records: dict, ckpt_dir: Path) -> tuple[int, str]:
    """dense_time's step count: as many dense steps as fit in the sparse model's training time,
    ``round(sparse total training seconds / dense seconds per step)``, from the finished dense and sparse
    records (trained by this command or read from ``ckpt_dir``). Also a line saying how it was chosen."""
    found, missing = {}, []
    for name in ("dense", "sparse"):
        path = ckpt_dir / f"{name}.pt"
        record = records.get(name) or finished_record(path)
        if record is None:
            missing.append(name)
        elif record["spec"] != all_specs[name]:  # its time would be another model's
            raise ValueError(f"expected {path} to hold {all_specs[name]}, got {record['spec']}: pass another --ckpt")
        else:
            found[name] = record
    if missing:
        first = missing[0] if len(missing) == 1 else "both"
        raise ValueError(
            f"dense_time trains dense for as long as sparse took: expected finished dense and sparse models in "
            f"{ckpt_dir}, got none for {' and '.join(missing)}: train it first (--model {first}) or use --model all"
        )
    per_step = found["dense"].get("timing", {}).get("seconds_per_step")
    if not per_step:
        raise ValueError(
            f"expected the dense model to have timed steps (more than the first {TIMING_SKIP}), got none: train "
            "it with more --steps"
        )
    total = found["sparse"].get("train_seconds")
    if total is None:
        raise ValueError(
            f"expected {ckpt_dir / 'sparse.pt'} to hold its training time (train_seconds), got a checkpoint from "
            "before it was recorded: delete it and train sparse again"
        )
    steps = max(1, round(total / per_step))
    return steps, f"sparse trained for {total:.1f} s, dense takes {1e3 * per_step:.2f} ms/step: {steps:,} steps"


def train(name: str, spec: dict, cfg: dict, data: dict, device, ckpt_dir: Path) -> dict:
    """Train one model (resuming from its checkpoint); return its record: history, timings, final bits per byte."""
    path = ckpt_dir / f"{name}.pt"
    cfg = cadence(cfg)
    torch.manual_seed(SEED)
    model = build(spec).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg["lr"], fused=device.type == "cuda")
    run_cfg = {k: cfg[k] for k in ("steps", "seq", "batch", "lr")}
    record = {"spec": spec, "train": run_cfg, "parameters": count(model), "history": [], "done": False}
    record["train_seconds"] = 0.0  # training steps only, summed over every command that trained this model
    step, position, state = 0, 0, None
    if path.exists():
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
        if ckpt["spec"] != spec or ckpt["record"]["train"] != run_cfg:
            raise ValueError(
                f"expected {path} to hold {spec} trained with {run_cfg}, got {ckpt['spec']} with "
                f"{ckpt['record']['train']}: pass another --ckpt"
            )
        if spec["kind"] == "blocksparse":  # the saved layout, not a regenerated one
            model = build(spec, Layout(ckpt["model"]["rnn.layout_mask"].bool(), spec["block_size"])).to(device)
            optimizer = torch.optim.Adam(model.parameters(), lr=cfg["lr"], fused=device.type == "cuda")
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        step, position, record = ckpt["step"], ckpt["position"], ckpt["record"]
        state = tuple(s.to(device) for s in ckpt["state"]) if ckpt["state"] is not None else None
        print(f"[{name}] resumed from {path} at step {step}" + (" (finished)" if record["done"] else ""))
        if record["done"]:
            return record
        if "train_seconds" not in record:  # its time_s would restart from 0 mid-run: the time curve would lie
            raise ValueError(
                f"expected {path} to hold its training time (train_seconds), got a checkpoint from before it was "
                "recorded: delete it or pass another --ckpt"
            )
    print(f"[{name}] {describe(model, spec)}")

    text = streams(data["train"], cfg["batch"], device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    if step == 0:
        valid = bits_per_byte(model, data["valid"], cfg, device, cfg["eval_bytes"])
        record["history"].append({"step": 0, "time_s": 0.0, "valid_bpb": valid})
    step_seconds, train_bits, timed_from = [], [], step + TIMING_SKIP
    while step < cfg["steps"]:
        if position + cfg["seq"] + 1 > text.shape[0]:  # an epoch is over: back to the start, fresh state
            position, state = 0, None
        window = text[position : position + cfg["seq"] + 1]
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step, cfg)
        sync(device)  # the clock starts on an idle device: no evaluation or checkpoint copy still queued
        tic = time.perf_counter()
        with autocast(device):
            logits, state = model(window[:-1], state)
        loss = F.cross_entropy(logits.float().flatten(0, 1), window[1:].flatten())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        optimizer.step()
        train_bits.append(loss.item() / math.log(2))  # waits for the whole step: it was queued before
        seconds = time.perf_counter() - tic
        # Every step counts towards the wall time (a user waits for the compiling ones too); the per-step
        # timing leaves the first ones out.
        record["train_seconds"] += seconds
        if step >= timed_from:
            step_seconds.append(seconds)
        state = detach_state(state)
        position += cfg["seq"]
        step += 1
        if step % cfg["log_every"] == 0 or step == cfg["steps"]:
            entry = {"step": step, "time_s": record["train_seconds"], "train_bpb": float(np.mean(train_bits))}
            train_bits = []
            if step % cfg["eval_every"] == 0 or step == cfg["steps"]:
                entry["valid_bpb"] = bits_per_byte(model, data["valid"], cfg, device, cfg["eval_bytes"])
            record["history"].append(entry)
            progress(name, entry, step, cfg, step_seconds)
        if step % cfg["ckpt_every"] == 0 and step < cfg["steps"]:
            save(path, model, optimizer, spec, step, position, state, record)
    per_step = float(np.mean(step_seconds)) if step_seconds else None
    record["timing"] = {
        "timed_steps": len(step_seconds),
        "seconds_per_step": per_step,
        "tokens_per_second": cfg["batch"] * cfg["seq"] / per_step if per_step else None,
        "peak_gpu_memory_gb": torch.cuda.max_memory_allocated(device) / 1e9 if device.type == "cuda" else None,
    }
    print(f"[{name}] final evaluation on all of valid and test")
    record["valid_bpb"] = bits_per_byte(model, data["valid"], cfg, device, None)
    record["test_bpb"] = bits_per_byte(model, data["test"], cfg, device, None)
    record["done"] = True
    save(path, model, optimizer, spec, step, position, state, record)
    print(f"[{name}] valid {record['valid_bpb']:.4f} bpb, test {record['test_bpb']:.4f} bpb")
    return record


def describe(model: ByteLM, spec: dict) -> str:
    rnn = model.rnn
    kind = f"nn.LSTM({spec['embed']}, {spec['hidden']})" if spec["kind"] == "torch" else repr(rnn)
    return f"{kind}: {count(model):,} parameters"


def sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def progress(name: str, entry: dict, step: int, cfg: dict, step_seconds: list[float]) -> None:
    line = f"[{name}] step {step:5d}/{cfg['steps']}  {entry['time_s']:.1f} s  train {entry['train_bpb']:.3f} bpb"
    if "valid_bpb" in entry:
        line += f"  valid {entry['valid_bpb']:.3f} bpb"
    if step_seconds:
        per_step = float(np.mean(step_seconds))
        line += f"  {1e3 * per_step:.1f} ms/step  {cfg['batch'] * cfg['seq'] / per_step / 1e3:.1f}k bytes/s"
        line += f"  eta {per_step * (cfg['steps'] - step) / 60:.1f} min"
    print(line, flush=True)


def save(path: Path, model, optimizer, spec, step, position, state, record) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    torch.save(
        {
            "spec": spec,
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "step": step,
            "position": position,
            "state": None if state is None else tuple(s.cpu() for s in state),
            "record": record,
        },
        partial,
    )
    partial.replace(path)


# -- report ----------------------------------------------------------------------------------------------------


def environment(device) -> dict:
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu",
        "torch": torch.__version__,
        "tilesparse": tilesparse.__version__,
        "python": platform.python_version(),
    }


COMPARISONS = {"equal_steps": ("sparse", "dense"), "equal_time": ("sparse", "dense_time")}  # sparse, dense


def comparisons(records: dict) -> dict:
    """Sparse against dense at equal steps and against dense_time at equal wall time, where both are finished."""
    result = {}
    for title, pair in COMPARISONS.items():
        if all(name in records for name in pair):
            result[title] = {
                key: {name: measured(records[name], key) for name in pair}
                for key in ("steps", "train_seconds", "valid_bpb", "test_bpb")
            }
    return result


def measured(record: dict, key: str):
    """A number of a model's record; None where its checkpoint predates it (``train_seconds``)."""
    return record["train"]["steps"] if key == "steps" else record.get(key)


def seconds(value: float | None) -> str:
    return "untimed" if value is None else f"{value:.1f} s"


def summary(records: dict) -> list[str]:
    """One line per finished model, then one per comparison."""
    lines = []
    for name, r in records.items():
        t = r.get("timing", {})
        per_step, memory = t.get("seconds_per_step"), t.get("peak_gpu_memory_gb")
        speed = f"{1e3 * per_step:.1f} ms/step, {t['tokens_per_second'] / 1e3:.1f}k tokens/s" if per_step else "untimed"
        lines.append(
            f"{name:>10}: {r['train']['steps']:,} steps in {seconds(r.get('train_seconds'))}, valid "
            f"{r['valid_bpb']:.4f} bpb, test {r['test_bpb']:.4f} bpb; {speed}, peak memory "
            + (f"{memory:.2f} GB" if memory is not None else "n/a")
        )
    for title, c in comparisons(records).items():
        sparse, dense = COMPARISONS[title]
        v, t = c["valid_bpb"], c["test_bpb"]
        runs = " vs ".join(f"{c['steps'][n]:,} steps in {seconds(c['train_seconds'][n])}" for n in (sparse, dense))
        lines.append(
            f"{title.replace('_', ' ')}: {sparse} vs {dense}: valid {v[sparse]:.4f} vs {v[dense]:.4f} bpb "
            f"({v[sparse] - v[dense]:+.4f}), test {t[sparse]:.4f} vs {t[dense]:.4f} ({t[sparse] - t[dense]:+.4f}); "
            + runs
        )
    return lines


def report(records: dict, cfg: dict, source: str, device, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    result = {
        "environment": environment(device),
        "data": source,
        "config": cfg,
        "comparisons": comparisons(records),
        "models": records,
    }
    (out / "lstm_lm.json").write_text(json.dumps(result, indent=2))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_steps, ax_time) = plt.subplots(1, 2, figsize=(12, 4.5))
    for name, record in records.items():
        spec = record["spec"]
        label = f"{name}: hidden {spec['hidden']}, density {spec['density']:.3f}, {record['parameters'] / 1e6:.2f}M"
        valid = [h for h in record["history"] if "valid_bpb" in h]
        line = ax_steps.plot([h["step"] for h in valid], [h["valid_bpb"] for h in valid], marker="o", label=label)
        timed = [h for h in valid if "time_s" in h]  # none in a checkpoint from before time_s was recorded
        if timed:
            color = line[0].get_color()
            ax_time.plot([h["time_s"] for h in timed], [h["valid_bpb"] for h in timed], marker="o", color=color)
    for ax, xlabel in ((ax_steps, "training step"), (ax_time, "training wall time (s)")):
        ax.set_xlabel(xlabel)
        ax.set_ylabel("held-out (valid) bits per byte")
        ax.grid(alpha=0.3)
    ax_steps.set_title("at equal steps")
    ax_time.set_title("at equal wall time (evaluations excluded)")
    ax_steps.legend(fontsize=8)
    fig.suptitle(f"byte-level LSTM LM ({source}), {result['environment']['device']}")
    fig.tight_layout()
    fig.savefig(out / "lstm_lm.png", dpi=120)
    plt.close(fig)
    print(f"wrote {out / 'lstm_lm.json'} and {out / 'lstm_lm.png'}")


# -- main ------------------------------------------------------------------------------------------------------


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="CI: CPU, small models, checks that the loss falls")
    parser.add_argument(
        "--model",
        choices=tuple(RUNS),
        default="both",
        help="both: dense and sparse; all: dense, sparse, then dense_time (dense for sparse's training time)",
    )
    parser.add_argument("--hidden", type=int, help="dense model's hidden units")
    parser.add_argument("--sparse-hidden", type=int, help="sparse model's hidden units")
    parser.add_argument("--density", default="auto", help="sparse layout density, or 'auto' (equal parameters)")
    parser.add_argument("--block-size", type=int)
    parser.add_argument("--cell", choices=("classic", "deep"), default="classic")
    parser.add_argument("--internal-steps", type=int, default=2, help="deep cell only")
    parser.add_argument("--embed", type=int)
    parser.add_argument("--steps", type=int)
    parser.add_argument("--seq", type=int, help="bytes per training window (truncated backprop length)")
    parser.add_argument("--batch", type=int, help="parallel training streams")
    parser.add_argument("--lr", type=float)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--ckpt", type=Path, default=CKPT, help="checkpoint directory (resumed from)")
    parser.add_argument("--out", type=Path, default=OUT, help="where lstm_lm.json and lstm_lm.png go")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)
    cfg = dict(TINY if args.tiny else FULL)
    for key in ("hidden", "sparse_hidden", "block_size", "embed", "steps", "seq", "batch", "lr"):
        if getattr(args, key) is not None:
            cfg[key] = getattr(args, key)
    cfg["cell"], cfg["internal_steps"] = args.cell, args.internal_steps
    cfg["density"] = args.density if args.density == "auto" else float(args.density)
    return args, cfg


def main(argv: list[str] | None = None) -> dict:
    args, cfg = parse(argv)
    device = torch.device(args.device)
    if args.tiny:
        torch.set_num_threads(1)  # tiny tensors gain nothing from intra-op threads, and busy cores lose a lot
    data, source = load_corpus(args.data, args.tiny)
    print(f"data: {source}: " + ", ".join(f"{k} {len(v):,} bytes" for k, v in data.items()))
    all_specs = specs(cfg)
    for name, spec in all_specs.items():
        print(f"{name}: hidden {spec['hidden']}, density {spec['density']:.4f}, {count(build(spec)):,} parameters")
    all_specs["dense_time"] = all_specs["dense"]  # the same model, trained for another number of steps
    records = {}
    for name in RUNS[args.model]:  # in MODELS order: dense_time's inputs are trained before it
        run_cfg = cfg
        if name == "dense_time":
            steps, why = equal_time_steps(all_specs, records, args.ckpt)
            print(f"[{name}] {why}")
            run_cfg = cfg | {"steps": steps}
        records[name] = train(name, all_specs[name], run_cfg, data, device, args.ckpt)
    for name in MODELS:  # models finished by earlier commands join the report
        record = records.get(name) or finished_record(args.ckpt / f"{name}.pt")
        if record is not None:
            records[name] = record
    records = {name: records[name] for name in MODELS if name in records}
    print("parameters: " + ", ".join(f"{n} {r['parameters']:,}" for n, r in records.items()))
    print("\n".join(summary(records)))
    report(records, cfg, source, device, args.out)
    if args.tiny:
        for name, r in records.items():
            first, last = r["history"][0]["valid_bpb"], r["valid_bpb"]
            assert last < first, f"{name}: expected the valid loss to fall, got {first:.3f} -> {last:.3f} bpb"
        print("tiny: the held-out loss fell for " + " and ".join(records))
    return records


if __name__ == "__main__":
    main()
    sys.exit(0)
