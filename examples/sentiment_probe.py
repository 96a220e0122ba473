"""Sentiment from a byte-level language model's features: a linear probe on the mean hidden state.

    python examples/data/sentiment.py                   # once: builds data/sentiment.npz
    python examples/lstm_language_model.py --model all  # trains the models in out/lstm_lm/
    python examples/sentiment_probe.py                  # about a minute on an H100 per model
    python examples/sentiment_probe.py --tiny           # CI: CPU, a few seconds

The original's second LSTM result: features of an unsupervised byte-level LM, fed to a linear model, classify
sentiment; the wide sparse LM's features beat the dense one's. Here, for every finished model in ``--ckpt``
(``dense.pt``, ``sparse.pt`` and ``dense_time.pt``, the dense model trained for the sparse one's wall time,
where they exist): each text's bytes run through the LM and its hidden states h_t are averaged
over the text's length. A logistic regression (L2-regularised, fitted in torch by L-BFGS on standardised
features; no scikit-learn) is scored by stratified 10-fold cross-validation; the L2 strength is chosen inside
each training fold by 3-fold cross-validation over ``L2_GRID``. Reported: accuracy +- its standard error (the
standard deviation of the 10 fold accuracies / sqrt(10)) on the 1,500 full-length reviews and the 4,000
sentences of Pang and Lee, next to a bag-of-bytes baseline (the same probe on byte frequencies). Writes
``sentiment_probe.json`` to ``--out`` (default docs/results/).

``--tiny``: 200 texts of each set cut to 256 bytes (synthetic texts when data/sentiment.npz is absent), the
models of ``--ckpt`` if there are any, else untrained tiny ones; 5 folds, 40 L-BFGS iterations per fit.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lstm_language_model import CKPT, MODELS, OUT, TINY, ByteLM, autocast, build, load_model, specs  # noqa: E402

from tilesparse.nn import tbptt_chunks  # noqa: E402

# -- config (the command line overrides these) ---------------------------------------------------------------
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "sentiment.npz"  # python examples/data/sentiment.py
SETS = ("reviews", "sentences")
FOLDS = 10
INNER_FOLDS = 3
L2_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)  # lambda in mean log-loss + lambda / 2 * ||w||^2
LBFGS_ITERATIONS = 200
BATCH = 64  # texts per forward pass (sorted by length)
CHUNK = 512  # bytes per forward call: memory does not grow with the longest text
TINY_TEXTS, TINY_BYTES = 200, 256
TINY_FOLDS, TINY_LBFGS_ITERATIONS = 5, 40
SEED = 0


# -- data ------------------------------------------------------------------------------------------------------


def synthetic_set(count: int, seed: int) -> tuple[list[bytes], np.ndarray]:
    """Short texts whose label is carried by a few sentiment words among neutral ones."""
    rng = np.random.default_rng(seed)
    positive = ["great", "wonderful", "moving", "brilliant", "funny", "superb"]
    negative = ["boring", "awful", "dull", "weak", "tedious", "clumsy"]
    neutral = ["the", "film", "plot", "actor", "scene", "story", "was", "and", "a", "with", "director", "music"]
    labels = rng.integers(0, 2, count)
    texts = []
    for label in labels:
        words = list(rng.choice(neutral, rng.integers(8, 20)))
        for _ in range(rng.integers(1, 4)):
            words.insert(int(rng.integers(0, len(words) + 1)), rng.choice(positive if label else negative))
        texts.append(" ".join(words).encode())
    return texts, labels.astype(np.int64)


def load_sets(path: Path, tiny: bool) -> tuple[dict[str, tuple[list[bytes], np.ndarray]], str]:
    if not path.exists():
        if not tiny:
            raise FileNotFoundError(f"expected {path}, got no file: run examples/data/sentiment.py")
        return {name: synthetic_set(TINY_TEXTS, SEED + i) for i, name in enumerate(SETS)}, "synthetic"
    sets = {}
    with np.load(path) as npz:
        for name in SETS:
            text, offsets, labels = npz[f"{name}_text"], npz[f"{name}_offsets"], npz[f"{name}_labels"]
            texts = [text[a:b].tobytes() for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
            labels = labels.astype(np.int64)
            if tiny:  # a balanced subset, cut short
                pick = np.random.default_rng(SEED).permutation(len(texts))[:TINY_TEXTS]
                texts, labels = [texts[i][:TINY_BYTES] for i in pick], labels[pick]
            sets[name] = (texts, labels)
    return sets, str(path)


# -- features --------------------------------------------------------------------------------------------------


@torch.no_grad()
def mean_hidden_states(model: ByteLM, texts: list[bytes], device) -> torch.Tensor:
    """``(len(texts), hidden)`` float32: every text's h_t averaged over its bytes. Texts are batched by length;
    the padding after a text's end cannot reach its states (the LSTM is causal) and is masked out."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    features = torch.zeros(len(texts), model.head.in_features)
    for start in range(0, len(order), BATCH):
        batch = order[start : start + BATCH]
        lengths = torch.tensor([max(1, len(texts[i])) for i in batch], device=device)
        tokens = torch.zeros(int(lengths.max()), len(batch), dtype=torch.long)
        for column, i in enumerate(batch):
            tokens[: len(texts[i]), column] = torch.frombuffer(bytearray(texts[i]), dtype=torch.uint8)
        tokens = tokens.to(device)
        total, state, offset = 0.0, None, 0
        for piece in tbptt_chunks(tokens, CHUNK):
            with autocast(device):
                output, state = model.rnn(model.embed(piece), state)
            steps = torch.arange(offset, offset + piece.shape[0], device=device)[:, None]
            total = total + (output.float() * (steps < lengths).unsqueeze(-1)).sum(0)
            offset += piece.shape[0]
        features[batch] = (total / lengths[:, None]).cpu()
    return features


def byte_frequencies(texts: list[bytes]) -> torch.Tensor:
    counts = np.stack([np.bincount(np.frombuffer(t, dtype=np.uint8), minlength=256) for t in texts])
    return torch.from_numpy(counts / np.maximum(counts.sum(1, keepdims=True), 1)).float()


# -- the probe -------------------------------------------------------------------------------------------------


def fit_logistic(
    x: torch.Tensor, y: torch.Tensor, l2: torch.Tensor, iterations: int = LBFGS_ITERATIONS
) -> tuple[torch.Tensor, torch.Tensor]:
    """One L2-regularised logistic regression per strength in ``l2`` (fitted together: the objectives are
    independent): minimises mean log-loss + l2 / 2 * ||w||^2 with L-BFGS. Returns weights ``(L, D)``, biases
    ``(L,)``."""
    weight = torch.zeros(len(l2), x.shape[1], dtype=x.dtype, device=x.device, requires_grad=True)
    bias = torch.zeros(len(l2), dtype=x.dtype, device=x.device, requires_grad=True)
    optimizer = torch.optim.LBFGS(
        [weight, bias], max_iter=iterations, history_size=10, tolerance_grad=1e-9, line_search_fn="strong_wolfe"
    )
    targets = y.to(x.dtype)[:, None].expand(-1, len(l2))

    def closure():
        optimizer.zero_grad()
        logits = x @ weight.T + bias
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction="none").mean(0)
        loss = (loss + 0.5 * l2 * weight.square().sum(1)).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return weight.detach(), bias.detach()


def standardise(train: torch.Tensor, test: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    mean, std = train.mean(0), train.std(0).clamp(min=1e-6)
    return (train - mean) / std, (test - mean) / std


def stratified_folds(labels: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """A fold index per example, each class dealt round-robin over the folds after a fixed shuffle."""
    rng = np.random.default_rng(seed)
    fold = np.empty(len(labels), dtype=np.int64)
    for value in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == value))
        fold[members] = np.arange(len(members)) % folds
    return fold


def accuracy(x, y, weight, bias) -> torch.Tensor:
    """Per strength: the share of examples whose predicted class is right."""
    return (((x @ weight.T + bias) > 0).long() == y[:, None]).double().mean(0)


def cross_validate(features: torch.Tensor, labels: np.ndarray, folds: int, iterations: int) -> dict:
    """Stratified ``folds``-fold accuracy of the probe, the L2 strength picked inside each training fold."""
    x, y = features.double(), torch.from_numpy(labels)
    grid = torch.tensor(L2_GRID, dtype=torch.float64)
    outer = stratified_folds(labels, folds, SEED)
    accuracies, chosen = [], []
    for k in range(folds):
        train, test = outer != k, outer == k
        inner = stratified_folds(labels[train], INNER_FOLDS, SEED + 1 + k)
        inner_scores = torch.zeros(len(grid), dtype=torch.float64)
        for j in range(INNER_FOLDS):
            x_fit, x_held = standardise(x[train][inner != j], x[train][inner == j])
            weight, bias = fit_logistic(x_fit, y[train][inner != j], grid, iterations)
            inner_scores += accuracy(x_held, y[train][inner == j], weight, bias)
        best = int(inner_scores.argmax())
        x_fit, x_test = standardise(x[train], x[test])
        weight, bias = fit_logistic(x_fit, y[train], grid[best : best + 1], iterations)
        accuracies.append(float(accuracy(x_test, y[test], weight, bias)[0]))
        chosen.append(L2_GRID[best])
    mean = float(np.mean(accuracies))
    return {
        "accuracy": mean,
        "standard_error": float(np.std(accuracies, ddof=1) / math.sqrt(folds)),
        "fold_accuracies": accuracies,
        "l2_chosen": chosen,
        "examples": len(labels),
        "features": features.shape[1],
    }


# -- main ------------------------------------------------------------------------------------------------------


def models(ckpt: Path, tiny: bool, device) -> dict[str, ByteLM]:
    """The finished language models of ``ckpt`` (an unfinished one's features would not be the trained model's),
    in training order."""
    found = {}
    for name in MODELS:
        path = ckpt / f"{name}.pt"
        if path.exists():
            model, saved = load_model(path, device)
            if saved["record"]["done"]:
                found[name] = model
            else:
                print(f"{path}: unfinished (step {saved['step']}), not probed")
    if found or not tiny:
        if not found:
            names = ", ".join(f"{name}.pt" for name in MODELS)
            raise FileNotFoundError(
                f"expected a finished model ({names}) in {ckpt}, got none: run examples/lstm_language_model.py"
            )
        return found
    print(f"no checkpoints in {ckpt}: untrained tiny models")
    cfg = dict(TINY, cell="classic", internal_steps=2, density="auto")
    torch.manual_seed(SEED)
    return {name: build(spec).to(device).eval() for name, spec in specs(cfg).items()}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="CI: a small subset on CPU")
    parser.add_argument("--ckpt", type=Path, default=CKPT, help="directory of the language models' checkpoints")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--folds", type=int, help=f"cross-validation folds (default {FOLDS}, --tiny {TINY_FOLDS})")
    parser.add_argument("--out", type=Path, default=OUT, help="where sentiment_probe.json goes")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    folds = args.folds or (TINY_FOLDS if args.tiny else FOLDS)
    iterations = TINY_LBFGS_ITERATIONS if args.tiny else LBFGS_ITERATIONS
    if args.tiny:
        torch.set_num_threads(1)  # tiny tensors gain nothing from intra-op threads, and busy cores lose a lot
    sets, source = load_sets(args.data, args.tiny)
    lms = models(args.ckpt, args.tiny, device)
    results = {}
    for set_name, (texts, labels) in sets.items():
        print(f"{set_name}: {len(texts)} texts, {np.mean([len(t) for t in texts]):.0f} bytes on average")
        features = {"bytes": byte_frequencies(texts)}
        features |= {name: mean_hidden_states(model, texts, device) for name, model in lms.items()}
        results[set_name] = {}
        for name, x in features.items():
            result = cross_validate(x, labels, folds, iterations)
            results[set_name][name] = result
            print(
                f"  {name:>10}: accuracy {100 * result['accuracy']:.1f} +- {100 * result['standard_error']:.1f}% "
                f"({folds}-fold, {result['features']} features)"
            )
    args.out.mkdir(parents=True, exist_ok=True)
    report = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "data": source,
        "checkpoints": str(args.ckpt),
        "models": {name: sum(p.numel() for p in m.parameters()) for name, m in lms.items()},
        "results": results,
    }
    (args.out / "sentiment_probe.json").write_text(json.dumps(report, indent=2))
    print(f"wrote {args.out / 'sentiment_probe.json'}")
    if args.tiny:
        for set_name, by_model in results.items():
            for name, result in by_model.items():
                assert 0.0 <= result["accuracy"] <= 1.0, f"{set_name}/{name}: accuracy {result['accuracy']}"
    return results


if __name__ == "__main__":
    main()
    sys.exit(0)
