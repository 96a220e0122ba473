"""The example scripts in their CI mode: a few CPU steps through the PyTorch reference path."""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FASHION_MNIST = ROOT / "data" / "fashion_mnist.npz"  # python examples/data/fashion_mnist.py


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _stand_in(path: Path, train: int = 256, test: int = 256) -> Path:
    """A learnable stand-in with Fashion-MNIST's arrays: class k is a bright bar (rows for k < 5, columns
    otherwise) at a place of its own, on noise."""
    rng = np.random.default_rng(0)

    def split(n):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
        for i, k in enumerate(labels):
            at = 3 + 5 * (k % 5)
            if k < 5:
                images[i, at : at + 3, :] = 220
            else:
                images[i, :, at : at + 3] = 220
        return images, labels

    (tr_x, tr_y), (te_x, te_y) = split(train), split(test)
    np.savez_compressed(path, train_images=tr_x, train_labels=tr_y, test_images=te_x, test_labels=te_y)
    return path


def test_sparse_conv_fashion_mnist_tiny(tmp_path):
    data = FASHION_MNIST if FASHION_MNIST.exists() else _stand_in(tmp_path / "stand_in.npz")
    result = _script("sparse_conv_fashion_mnist").main(["--tiny", "--data", str(data), "--out", str(tmp_path)])
    runs = result["runs"]
    assert [r["model"] for r in runs] == ["dense", "deep", "wide"]
    for run in runs:
        losses = run["step_losses"]
        assert len(losses) >= 8 and np.mean(losses[-4:]) < np.mean(losses[:4]), (run["model"], losses)
        assert 0 <= run["test_acc"] <= 1 and run["train_images_per_s"] > 0
    params = [r["params"] for r in runs]
    assert max(params) / min(params) < 1.02  # about equal parameter counts
    assert {r["conv_params"] for r in runs} == {runs[0]["conv_params"]}
    assert {p.name for p in result["paths"]} == {"fashion_mnist.json", "fashion_mnist.md", "fashion_mnist.png"}
    record = json.loads((tmp_path / "fashion_mnist.json").read_text())
    assert len(record["runs"]) == 3 and len(record["summary"]) == 3
    assert "| (a) block-diag. + shuffle, 4x deep |" in (tmp_path / "fashion_mnist.md").read_text()
