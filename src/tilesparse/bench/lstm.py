"""Throughput of the recurrent layer: a sparse-wide BlockSparseLSTM against a dense nn.LSTM (cuDNN) with the
same number of recurrent parameters, forward + backward over a sequence, eager and captured in a CUDA graph.

The issue's case: batch 64, sequence 256, bf16 autocast; dense hidden 3168 against sparse hidden 18432 on a
Barabasi-Albert layout at block 32 with the density that equals the dense recurrent parameter count (~97%
sparse). Tokens/s counts batch x sequence per forward + backward of the layer alone (no embedding or head).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import torch

from ..nn.lstm import BlockSparseLSTM, small_world_layout
from .linear import Timing, error_text, replay_times
from .report import environment, slug, table, write_records


@dataclass(frozen=True)
class LstmCase:
    dense_hidden: int = 3168
    sparse_hidden: int = 18432
    block_size: int = 32
    input_size: int = 64
    batch: int = 64
    steps: int = 256

    @classmethod
    def tiny(cls) -> LstmCase:
        return cls(dense_hidden=32, sparse_hidden=64, block_size=16, input_size=8, batch=4, steps=6)


def _models(case: LstmCase, device) -> dict[str, torch.nn.Module]:
    density = case.dense_hidden**2 / case.sparse_hidden**2  # equal recurrent parameters
    layout = small_world_layout(case.sparse_hidden, case.block_size, density, seed=0)
    return {
        "dense nn.LSTM": torch.nn.LSTM(case.input_size, case.dense_hidden, device=device),
        "sparse BlockSparseLSTM": BlockSparseLSTM(case.input_size, case.sparse_hidden, layout, device=device),
    }


def _step(model, x):
    """Forward + backward of the layer; the loss only sums the output."""
    with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=x.device.type == "cuda"):
        output, _ = model(x)
    output.float().sum().backward()


def _eager_ms(model, x, repeats: int) -> float:
    times = []
    for _ in range(repeats + 1):  # the first call compiles and allocates
        if x.device.type == "cuda":
            torch.cuda.synchronize(x.device)
        start = time.perf_counter()
        _step(model, x)
        if x.device.type == "cuda":
            torch.cuda.synchronize(x.device)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times[1:])


def _graph_ms(model, x, repeats: int) -> float:
    """Capture forward + backward once (gradients accumulate into the same buffers) and time replays."""
    stream = torch.cuda.Stream(x.device)
    stream.wait_stream(torch.cuda.current_stream(x.device))
    with torch.cuda.stream(stream):
        for _ in range(2):
            _step(model, x)
    torch.cuda.current_stream(x.device).wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        _step(model, x)
    return statistics.median(replay_times(graph, repeats + 1)[1:])  # the first replay warms up


def lstm(
    case: LstmCase | None = None,
    device: str | None = None,
    out_dir: str = "bench/results",
    timing: Timing | None = None,
    repeats: int = 5,
    **_,
) -> list[dict]:
    """Time both layers eager and graphed; print a table and write ``<gpu>-<date>-lstm.{csv,json}``."""
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    cuda = device.type == "cuda"
    case = case or (LstmCase() if cuda else LstmCase.tiny())
    meta = environment(device, timing or Timing())
    if not cuda:
        print("no CUDA device: a tiny smoke run of the layer on the CPU (eager only), not the issue's case")
    torch.manual_seed(0)
    rows = []
    for name, model in _models(case, device).items():
        x = torch.randn(case.steps, case.batch, case.input_size, device=device)
        hidden = model.hidden_size
        params = sum(p.numel() for n, p in model.named_parameters() if "hh" in n)
        row = dict(model=name, hidden=hidden, recurrent_params=params, batch=case.batch, steps=case.steps)
        tokens = case.batch * case.steps
        row["eager_ms"] = _eager_ms(model, x, repeats)
        row["eager_tokens_per_s"] = tokens / row["eager_ms"] * 1e3
        row["graph_ms"], row["graph_error"] = float("nan"), ""
        if cuda:
            try:
                row["graph_ms"] = _graph_ms(model, x, repeats)
            except Exception as e:  # a layer that cannot be captured is reported, not fatal
                row["graph_error"] = error_text(e)
        row["graph_tokens_per_s"] = tokens / row["graph_ms"] * 1e3
        rows.append(row)
        del model
        if cuda:
            torch.cuda.empty_cache()
    dense, sparse = rows
    ratios = {
        "eager_ratio": sparse["eager_tokens_per_s"] / dense["eager_tokens_per_s"],
        "graph_ratio": sparse["graph_tokens_per_s"] / dense["graph_tokens_per_s"],
        "graph_sparse_vs_eager_dense": sparse["graph_tokens_per_s"] / dense["eager_tokens_per_s"],
    }
    columns = [
        ("model", "model", ""), ("hidden", "hidden", ""), ("recurrent_params", "recurrent params", ""),
        ("eager_ms", "eager ms", ".2f"), ("eager_tokens_per_s", "eager tok/s", ".0f"),
        ("graph_ms", "graph ms", ".2f"), ("graph_tokens_per_s", "graph tok/s", ".0f"), ("graph_error", "", ""),
    ]
    print(table(rows, columns))
    print("sparse / dense tokens/s: " + ", ".join(f"{k} {v:.3f}" for k, v in ratios.items()) + " (target >= 0.8)")
    if cuda:
        paths = write_records(rows, meta, out_dir, f"{slug(meta)}-lstm", extra={"ratios": ratios})
        print("wrote " + ", ".join(str(p) for p in paths))
    return rows
