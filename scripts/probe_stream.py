"""Development probe (GPU only): which streaming-read launch is fastest per size, under the suite's timer.

The suite's floor (tilesparse.bench.limits) is the fastest of its STREAM_READS; this shows each and a wider
set, from the seed shape's bytes (3 MB) to TF32's large products (540 MB), against the copy bandwidth. The
committed logs also tried persistent contiguous spans, since dropped: at most 4% ahead of the reads kept.
Usage: PYTHONPATH=src python3 scripts/probe_stream.py
"""

import torch

from tilesparse.bench import limits
from tilesparse.bench.linear import DEFAULT_TIMING

R = limits.StreamRead
READS = limits.STREAM_READS + (R("chunks", 8192, 1), R("chunks", 2048, 4), R("tiles", 32, 4, 2), R("tiles", 32, 6, 1),
                               R("tiles", 64, 4, 1), R("tiles", 64, 3, 2))


def main():
    dev = torch.device("cuda")
    print(torch.cuda.get_device_name(), torch.__version__, flush=True)
    print(f"copy {limits.copy_tbs(dev):.2f} TB/s, L2 read {limits.l2_read_tbs(dev):.2f} TB/s", flush=True)
    for mb in (3, 17, 34, 76, 151, 270, 540):
        src = torch.randn(mb * 2**20 // 2, device=dev, dtype=torch.float16)
        times = {read: limits.stream_read_ms(src, read, DEFAULT_TIMING) for read in READS}
        best = min(times, key=times.get)
        line = "  ".join(f"{s}: {t * 1e3:.1f} us ({mb * 2**20 / t / 1e9:.2f} TB/s)" for s, t in times.items())
        print(f"{mb} MB best {best}\n  {line}", flush=True)


if __name__ == "__main__":
    main()
