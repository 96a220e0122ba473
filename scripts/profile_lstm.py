"""Development profile (GPU only): where the time of the sparse-wide LSTM layer goes (the issue's case:
batch 64, sequence 256, hidden 18432 at ~97% sparsity, bf16), by CUDA kernel, from torch.profiler.

Usage: PYTHONPATH=src python3 scripts/profile_lstm.py [--steps 256]
"""

import argparse

import torch
from torch.profiler import ProfilerActivity, profile

from tilesparse.bench.lstm import LstmCase, _models, _step


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=256)
    args = parser.parse_args()
    case = LstmCase(steps=args.steps)
    for name, model in _models(case, "cuda").items():
        x = torch.randn(case.steps, case.batch, case.input_size, device="cuda")
        for _ in range(2):
            _step(model, x)
        torch.cuda.synchronize()
        with profile(activities=[ProfilerActivity.CUDA, ProfilerActivity.CPU]) as prof:
            _step(model, x)
            torch.cuda.synchronize()
        print(f"== {name}")
        print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=25, max_name_column_width=60))


if __name__ == "__main__":
    main()
