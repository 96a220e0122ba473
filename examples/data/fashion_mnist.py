"""Build ``data/fashion_mnist.npz`` from Debian's ``dataset-fashion-mnist`` package.

    python examples/data/fashion_mnist.py            # about 30 MB, a few seconds once the .deb is fetched

The GPU machine reaches no package registry, so the data is built here, on the CPU machine, and travels with
the working tree. The script downloads the .deb with ``apt-get download`` (``apt-get update`` first when apt
does not know the package), unpacks it with ``dpkg -x`` into a temporary directory, parses the four IDX files
with numpy and writes one compressed npz:

- ``train_images`` uint8 (60000, 28, 28), ``train_labels`` uint8 (60000,)
- ``test_images`` uint8 (10000, 28, 28), ``test_labels`` uint8 (10000,)

An existing npz whose arrays have these shapes is kept (``--force`` rebuilds it).
"""

from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

PACKAGE = "dataset-fashion-mnist"
VERSION = "0.0~git20200523.55506a9-1"  # Debian bookworm; the data is the 2017 release (MIT)
INSIDE = "usr/share/datasets/fashion-mnist"
FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
SHAPES = {
    "train_images": (60000, 28, 28),
    "train_labels": (60000,),
    "test_images": (10000, 28, 28),
    "test_labels": (10000,),
}
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "data" / "fashion_mnist.npz"


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (gzipped): magic 0x0000 + type byte + ndim byte, ndim big-endian uint32 sizes, the data."""
    raw = gzip.open(path, "rb").read()
    if raw[:2] != b"\0\0" or raw[2] != 0x08:
        raise ValueError(f"expected an IDX file of unsigned bytes (magic 0x0000 08 nn), got {raw[:4].hex()} in {path}")
    ndim = raw[3]
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"expected {int(np.prod(shape))} bytes of data for shape {shape}, got {data.size} in {path}")
    return data.reshape(shape).copy()


def is_complete(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        with np.load(path) as npz:
            return all(name in npz and npz[name].shape == shape for name, shape in SHAPES.items())
    except (OSError, ValueError):
        return False


def download(workdir: Path) -> Path:
    """``apt-get download`` the pinned .deb into ``workdir`` (after ``apt-get update`` if apt lacks it)."""
    spec = f"{PACKAGE}={VERSION}"
    fetch = ["apt-get", "download", spec]
    if subprocess.run(fetch, cwd=workdir, capture_output=True).returncode != 0:
        print("apt-get download failed; running apt-get update first")
        subprocess.run(["apt-get", "update"], check=True, capture_output=True)
        subprocess.run(fetch, cwd=workdir, check=True)
    debs = sorted(workdir.glob(f"{PACKAGE}_*.deb"))
    if not debs:
        raise FileNotFoundError(f"expected a {PACKAGE}_*.deb in {workdir} after apt-get download, got none")
    return debs[0]


def build(out: Path, force: bool = False) -> Path:
    if not force and is_complete(out):
        print(f"{out} exists with the expected arrays ({out.stat().st_size / 1e6:.1f} MB): nothing to do")
        return out
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        deb = download(tmp)
        print(f"downloaded {deb.name} ({deb.stat().st_size / 1e6:.1f} MB)")
        subprocess.run(["dpkg", "-x", str(deb), str(tmp / "root")], check=True)
        arrays = {name: read_idx(tmp / "root" / INSIDE / file) for name, file in FILES.items()}
    for name, shape in SHAPES.items():
        if arrays[name].shape != shape:
            raise ValueError(f"expected {name} of shape {shape}, got {arrays[name].shape}")
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **arrays)
    counts = np.bincount(arrays["train_labels"], minlength=10)
    print(
        f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB): train {arrays['train_images'].shape}, "
        f"test {arrays['test_images'].shape}, uint8; train images per class {counts.tolist()}"
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output npz (default: {DEFAULT_OUT})")
    parser.add_argument("--force", action="store_true", help="rebuild even if the npz is complete")
    args = parser.parse_args(argv)
    build(args.out, args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
