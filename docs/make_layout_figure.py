"""Draw four layout generators side by side to docs/layouts.png.

Usage: PYTHONPATH=src python docs/make_layout_figure.py  (needs matplotlib; about 2 s)
Each panel is one block mask (rows: output blocks, columns: input blocks), titled with its density.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from tilesparse import layouts  # noqa: E402

BLOCKS = 64  # units per side of every panel
BLOCK_SIZE = 16
SEED = 0
OUT = Path(__file__).resolve().parent / "layouts.png"


def panels():
    features = BLOCKS * BLOCK_SIZE
    return [
        ("Barabasi-Albert, m = 2", layouts.barabasi_albert(features, BLOCK_SIZE, 2, seed=SEED)),
        (
            "Watts-Strogatz 1-D, k = 6, p = 0.1",
            layouts.watts_strogatz(features, BLOCK_SIZE, 6, 0.1, seed=SEED),
        ),
        (
            "Watts-Strogatz 2-D, 8 x 8 grid, radius 1, p = 0.1",
            layouts.watts_strogatz_2d(features, BLOCK_SIZE, 1, 0.1, seed=SEED),
        ),
        (
            "block diagonal, 8 groups, channel shuffle",
            layouts.block_diagonal_shuffled(features, features, BLOCK_SIZE, 8),
        ),
    ]


def main():
    fig, axes = plt.subplots(2, 2, figsize=(8, 8.4))
    for ax, (name, layout) in zip(axes.flat, panels(), strict=True):
        ax.imshow(layout.mask.numpy(), cmap="Greys", interpolation="nearest")
        ax.set_title(f"{name}\ndensity {layout.density:.3f}", fontsize=10)
        ax.set_xlabel("input block")
        ax.set_ylabel("output block")
    fig.suptitle(f"tilesparse layouts: {BLOCKS} x {BLOCKS} blocks of {BLOCK_SIZE} x {BLOCK_SIZE}")
    fig.tight_layout()
    fig.savefig(OUT, dpi=90)
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
