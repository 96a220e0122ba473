"""The LSTM examples' tiny modes, end to end on CPU: the language model (dense, sparse and dense_time train,
dense_time for the step count that matches sparse's training time, the held-out loss falls, checkpoints and the
report are written; a second run resumes the finished models) and the sentiment probe on its checkpoints. They
read data/corpus.npz and data/sentiment.npz when built, else synthetic text. Also the data scripts' offline
parts (the network fetches are not run here)."""

import importlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load(name: str, folder: Path = EXAMPLES):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    return importlib.import_module(name)


@pytest.fixture
def _restore_threads():
    threads = torch.get_num_threads()  # the tiny modes run on one thread
    yield
    torch.set_num_threads(threads)


@pytest.mark.usefixtures("_restore_threads")
def test_language_model_then_sentiment_probe_tiny(tmp_path, monkeypatch):
    monkeypatch.setenv("TILESPARSE_BACKEND", "torch")
    lm, probe = load("lstm_language_model"), load("sentiment_probe")
    ckpt, out = tmp_path / "ckpt", tmp_path / "results"
    with pytest.raises(ValueError, match="got none for dense and sparse: train it first"):
        lm.main(["--tiny", "--model", "dense_time", "--ckpt", str(ckpt), "--out", str(out)])
    records = lm.main(["--tiny", "--model", "all", "--ckpt", str(ckpt), "--out", str(out)])  # asserts the loss fell
    assert list(records) == ["dense", "sparse", "dense_time"] and all(r["done"] for r in records.values())
    assert all((ckpt / f"{name}.pt").exists() for name in records) and (out / "lstm_lm.png").exists()
    report = json.loads((out / "lstm_lm.json").read_text())
    assert report["models"]["sparse"]["spec"]["hidden"] == 2 * report["models"]["dense"]["spec"]["hidden"]
    assert set(report["comparisons"]) == {"equal_steps", "equal_time"}

    # dense_time: the dense model, trained for sparse's training time at dense's measured speed.
    dense, sparse, dense_time = records["dense"], records["sparse"], records["dense_time"]
    expected = round(sparse["train_seconds"] / dense["timing"]["seconds_per_step"])
    assert dense_time["spec"] == dense["spec"] and dense_time["train"]["steps"] == expected
    assert dense_time["history"][-1]["step"] == expected
    for name, record in records.items():  # the training clock: from 0, never backwards, ending at the total
        times = [h["time_s"] for h in record["history"]]
        assert times[0] == 0.0 and times == sorted(times) and times[-1] == record["train_seconds"] > 0, name
        assert torch.load(ckpt / f"{name}.pt", weights_only=False)["record"]["train_seconds"] == times[-1]

    again = lm.main(["--tiny", "--ckpt", str(ckpt), "--out", str(out)])  # resumes the finished models
    assert again["sparse"]["valid_bpb"] == records["sparse"]["valid_bpb"]
    assert again["dense_time"]["valid_bpb"] == dense_time["valid_bpb"]  # finished earlier: joins the report

    results = probe.main(["--tiny", "--ckpt", str(ckpt), "--out", str(out)])
    assert set(results) == {"reviews", "sentences"}
    for by_model in results.values():
        assert set(by_model) == {"bytes", "dense", "sparse", "dense_time"}
        assert all(0.0 <= r["accuracy"] <= 1.0 and r["standard_error"] >= 0.0 for r in by_model.values())
    assert (out / "sentiment_probe.json").exists()


def test_probe_recovers_a_planted_signal():
    probe = load("sentiment_probe")
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 120)
    # Feature 3 shifted by 4 standard deviations for the positives: the best linear rule gets ~98%.
    features = torch.from_numpy(rng.normal(size=(120, 20)) + 4.0 * labels[:, None] * (np.arange(20) == 3)).float()
    result = probe.cross_validate(features, labels, folds=5, iterations=40)
    assert result["accuracy"] > 0.9 and len(result["fold_accuracies"]) == 5


def test_corpus_split_and_normalise():
    corpus = load("text_corpus", EXAMPLES / "data")
    text = bytes(range(200))
    parts = corpus.split(text)
    assert [len(parts[k]) for k in ("train", "valid", "test")] == [180, 10, 10]
    assert parts["train"] + parts["valid"] + parts["test"] == text
    assert corpus.normalise(b"a\r\nb\rc\n") == b"a\nb\nc\n"
    assert corpus.SOURCE_TAG_LINE.sub(b"", b"word\n   [1913 Webster]\nmore [not a tag] here\n") == (
        b"word\nmore [not a tag] here\n"
    )
    assert not corpus.is_current(Path("/nonexistent/corpus.npz"), list(corpus.SOURCES))


def test_sentiment_pack_round_trip():
    sentiment = load("sentiment", EXAMPLES / "data")
    texts = ["a good film", "", "bad é"]
    data, offsets = sentiment.pack(texts)
    assert [data[a:b].tobytes().decode() for a, b in zip(offsets[:-1], offsets[1:], strict=True)] == texts
