"""Layout generators, tested by invariants: exact counts, symmetry, determinism, degree laws."""

import math
import time

import pytest
import torch

from tilesparse import layouts
from tilesparse.layout import Layout

BS = 8  # block size of every test below: sizes in features are blocks * BS


def features(blocks: int) -> int:
    return blocks * BS


def ring_lattice(n: int, k: int) -> torch.Tensor:
    units = torch.arange(n)
    gap = (units[:, None] - units).abs()
    return (torch.minimum(gap, n - gap) <= k // 2) & (gap > 0)


def degrees(layout: Layout) -> torch.Tensor:
    """Degrees of a symmetric layout's graph, self-blocks not counted."""
    mask = layout.mask
    return mask.sum(1) - mask.diagonal().long()


def is_symmetric(layout: Layout) -> bool:
    return torch.equal(layout.mask, layout.mask.t())


SEEDED = {
    "random": lambda **rng: layouts.random(features(24), features(16), BS, 0.2, **rng),
    "balanced": lambda **rng: layouts.balanced(features(24), BS, 3, **rng),
    "barabasi_albert": lambda **rng: layouts.barabasi_albert(features(48), BS, 2, **rng),
    "watts_strogatz": lambda **rng: layouts.watts_strogatz(features(48), BS, 4, 0.3, **rng),
    "watts_strogatz_2d": lambda **rng: layouts.watts_strogatz_2d(features(48), BS, 1, 0.3, **rng),
}


# -- determinism -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", SEEDED)
def test_seed_determinism(name):
    make = SEEDED[name]
    assert make(seed=3) == make(seed=3)
    assert make(seed=3) != make(seed=4)
    assert make(generator=torch.Generator().manual_seed(3)) == make(seed=3)
    torch.manual_seed(0)
    first = make()
    torch.manual_seed(0)
    assert make() == first
    with pytest.raises(ValueError, match="expected seed or generator, got both"):
        make(seed=1, generator=torch.Generator())


# -- random ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "blocks, density, expected",
    [((16, 16), 0.25, 64), ((12, 40), 0.1, 48), ((3, 5), 0.5, 8), ((7, 9), 1e-6, 1), ((6, 4), 1.0, 24)],
)
def test_random_exact_count(blocks, density, expected):
    layout = layouts.random(features(blocks[0]), features(blocks[1]), BS, density, seed=0)
    assert layout.blocks_shape == blocks
    assert layout.nnz == expected == max(1, round(density * blocks[0] * blocks[1]))


def test_random_every_block_equally_likely():
    draws = torch.stack(
        [layouts.random(features(4), features(4), BS, 5 / 16, seed=s).mask for s in range(600)]
    )
    frequency = draws.double().mean(0)
    assert (frequency - 5 / 16).abs().max() < 0.08  # about 4 standard deviations


# -- balanced --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "out_blocks, in_blocks, k",
    [(32, 32, 1), (32, 32, 5), (32, 32, 20), (32, 32, 32), (48, 16, 2), (16, 48, 9), (2, 6, 3)],
)
def test_balanced_exact_counts(out_blocks, in_blocks, k):
    layout = layouts.balanced(features(out_blocks), BS, k, in_features=features(in_blocks), seed=1)
    assert layout.blocks_shape == (out_blocks, in_blocks)
    assert (layout.row_counts() == k).all()
    assert (layout.col_counts() == out_blocks * k // in_blocks).all()


def test_balanced_looks_random():
    n, k = 256, 8
    mask = layouts.balanced(features(n), BS, k, seed=0).mask.float()
    upper = torch.triu_indices(n, n, 1)
    overlap = (mask @ mask.t())[upper[0], upper[1]]
    # Two rows share k(k-1)/(n-1) columns on average, about Poisson; a cyclic fill shares k or none.
    assert abs((overlap == 0).double().mean().item() - math.exp(-k * (k - 1) / (n - 1))) < 0.02
    assert overlap.max() <= 5


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"blocks_per_row": 0}, r"expected 1 <= blocks_per_row <= in_blocks = 8, got 0"),
        ({"blocks_per_row": 9}, r"expected 1 <= blocks_per_row <= in_blocks = 8, got 9"),
        (
            {"blocks_per_row": 3, "in_features": features(5)},
            r"expected out_blocks \* blocks_per_row divisible",
        ),
    ],
)
def test_balanced_rejects(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layouts.balanced(features(8), BS, seed=0, **kwargs)


# -- Barabasi-Albert -------------------------------------------------------------------------------
@pytest.mark.parametrize("m", [1, 2, 3])
def test_barabasi_albert_degrees(m):
    n = 2048
    layout = layouts.barabasi_albert(features(n), BS, m, diagonal=False, seed=0)
    degree = degrees(layout).double()
    assert is_symmetric(layout)
    assert not layout.mask.diagonal().any()
    assert layout.nnz == 2 * (m * (m + 1) // 2 + (n - m - 1) * m)
    assert degree.min() >= m
    assert degree.max() > 10 * degree.mean()  # hubs: the heavy tail
    # The model's degree law P(d) = 2m(m+1) / (d(d+1)(d+2)) gives P(m) = 2 / (m + 2).
    assert abs((degree == m).double().mean().item() - 2 / (m + 2)) < 0.05


def test_barabasi_albert_diagonal():
    layout = layouts.barabasi_albert(features(64), BS, 3, seed=0)
    assert layout.mask.diagonal().all()
    assert is_symmetric(layout)
    with pytest.raises(ValueError, match=r"expected 1 <= m < n_blocks = 4, got m = 4"):
        layouts.barabasi_albert(features(4), BS, 4, seed=0)


# -- Watts-Strogatz --------------------------------------------------------------------------------
@pytest.mark.parametrize("diagonal", [True, False])
def test_watts_strogatz_without_rewiring_is_the_ring(diagonal):
    layout = layouts.watts_strogatz(features(40), BS, 6, 0.0, diagonal=diagonal, seed=0)
    expected = ring_lattice(40, 6)
    if diagonal:
        expected.fill_diagonal_(True)
    assert torch.equal(layout.mask, expected)


@pytest.mark.parametrize("p", [0.1, 0.5, 1.0])
def test_watts_strogatz_rewiring(p):
    n, k = 200, 6
    layout = layouts.watts_strogatz(features(n), BS, k, p, diagonal=False, seed=0)
    assert is_symmetric(layout)
    assert not layout.mask.diagonal().any()
    assert layout.nnz == n * k  # n * k / 2 links, both directions
    assert degrees(layout).min() >= k // 2  # each unit keeps the links it started
    moved = (layout.mask & ~ring_lattice(n, k)).sum().item() / layout.nnz
    assert abs(moved - p * (1 - k / n)) < 0.06  # a moved link lands back on the ring only by chance


def test_watts_strogatz_rejects():
    with pytest.raises(ValueError, match=r"expected an even k with 2 <= k < n_blocks = 16"):
        layouts.watts_strogatz(features(16), BS, 3, 0.1)
    with pytest.raises(ValueError, match=r"expected p in \[0, 1\], got 1.5"):
        layouts.watts_strogatz(features(16), BS, 4, 1.5)


@pytest.mark.parametrize("n, k", [(5, 4), (7, 4), (9, 6)])
def test_watts_strogatz_crowded(n, k):
    for seed in range(20):
        layout = layouts.watts_strogatz(features(n), BS, k, 1.0, diagonal=False, seed=seed)
        assert layout.nnz == n * k and is_symmetric(layout)
        assert degrees(layout).min() >= k // 2


def torus_lattice(height: int, width: int, radius: int) -> torch.Tensor:
    y, x = torch.arange(height * width) // width, torch.arange(height * width) % width
    dy, dx = (y[:, None] - y).abs(), (x[:, None] - x).abs()
    dy, dx = torch.minimum(dy, height - dy), torch.minimum(dx, width - dx)
    return (torch.maximum(dy, dx) <= radius) & ((dy > 0) | (dx > 0))


@pytest.mark.parametrize(
    "blocks, grid, radius", [(64, None, 1), (60, (6, 10), 2), (9, (3, 3), 1), (12, (2, 6), 1)]
)
def test_watts_strogatz_2d_without_rewiring_is_the_torus(blocks, grid, radius):
    layout = layouts.watts_strogatz_2d(features(blocks), BS, radius, 0.0, grid=grid, diagonal=False)
    height, width = grid or (8, 8)
    assert torch.equal(layout.mask, torus_lattice(height, width, radius))


def test_watts_strogatz_2d_rewiring():
    layout = layouts.watts_strogatz_2d(features(256), BS, 1, 0.2, seed=0)
    lattice = torus_lattice(16, 16, 1)
    assert is_symmetric(layout)
    assert layout.mask.diagonal().all()
    assert layout.nnz - 256 == lattice.sum()
    assert (layout.mask & ~lattice).any()
    with pytest.raises(
        ValueError, match=r"expected a grid \(height, width\) with height \* width = n_blocks"
    ):
        layouts.watts_strogatz_2d(features(256), BS, 1, 0.2, grid=(8, 8))


# -- structured ------------------------------------------------------------------------------------
def test_block_diagonal_rectangular():
    layout = layouts.block_diagonal(features(6), features(9), BS, 3)
    assert torch.equal(layout.mask, torch.block_diag(*[torch.ones(2, 3, dtype=torch.bool)] * 3))
    with pytest.raises(ValueError, match="expected in_blocks divisible by groups 4, got 9"):
        layouts.block_diagonal(features(8), features(9), BS, 4)


def test_block_diagonal_shuffled():
    small = layouts.block_diagonal_shuffled(features(2), features(4), BS, 2).mask
    assert torch.equal(small, torch.tensor([[1, 0, 1, 0], [0, 1, 0, 1]], dtype=torch.bool))
    groups, n_out, n_in = 4, 8, 16
    shuffled = layouts.block_diagonal_shuffled(features(n_out), features(n_in), BS, groups)
    plain = layouts.block_diagonal(features(n_out), features(n_in), BS, groups)
    assert shuffled == layouts.block_diagonal_shuffled(features(n_out), features(n_in), BS, groups)
    assert shuffled != plain
    assert torch.equal(shuffled.mask.sum(1), plain.mask.sum(1))
    assert torch.equal(shuffled.mask.sum(0), plain.mask.sum(0))
    # Every output group reads blocks of every input group.
    input_group = torch.arange(n_in) // (n_in // groups)
    for row in shuffled.mask:
        assert set(input_group[row].tolist()) == set(range(groups))


def test_banded_and_dense():
    n, bandwidth = 20, 3
    layout = layouts.banded(features(n), BS, bandwidth)
    units = torch.arange(n)
    assert torch.equal(layout.mask, (units[:, None] - units).abs() <= bandwidth)
    assert layout.nnz == n * (2 * bandwidth + 1) - bandwidth * (bandwidth + 1)
    assert layouts.banded(features(n), BS, 0).nnz == n
    full = layouts.dense(features(3), features(5), BS)
    assert full.blocks_shape == (3, 5) and full.density == 1.0


# -- from_weight -----------------------------------------------------------------------------------
@pytest.mark.parametrize("norm", ["l2", "max"])
@pytest.mark.parametrize("blocks, density", [((8, 8), 0.3), ((6, 10), 0.05), ((4, 4), 1.0)])
def test_from_weight_keeps_the_top_blocks(norm, blocks, density):
    weight = torch.randn(features(blocks[0]), features(blocks[1]), generator=torch.Generator().manual_seed(0))
    layout = layouts.from_weight(weight, BS, density, norm=norm)
    grid = weight.reshape(blocks[0], BS, blocks[1], BS).permute(0, 2, 1, 3).flatten(2)
    score = grid.norm(dim=2) if norm == "l2" else grid.abs().amax(dim=2)
    mask = layout.mask
    assert layout.nnz == max(1, round(density * blocks[0] * blocks[1]))
    if not mask.all():
        assert score[mask].min() > score[~mask].max()


def test_from_weight_planted_blocks():
    weight = torch.zeros(features(4), features(6), dtype=torch.float16)
    weight[0:BS, 2 * BS : 3 * BS] = 1.0
    weight[3 * BS, 5 * BS] = -7.0
    assert layouts.from_weight(weight, BS, 2 / 24, norm="max").mask.nonzero().tolist() == [[0, 2], [3, 5]]
    with pytest.raises(ValueError, match="expected norm in"):
        layouts.from_weight(weight, BS, 0.5, norm="l1")
    with pytest.raises(ValueError, match=r"expected a 2-D weight \(out_features, in_features\), got shape"):
        layouts.from_weight(weight[0], BS, 0.5)
    with pytest.raises(ValueError, match="expected in_features divisible by block_size 8, got 44"):
        layouts.from_weight(weight[:, :44], BS, 0.5)


# -- argument checks -------------------------------------------------------------------------------
@pytest.mark.parametrize("density", [0.0, -0.1, 1.5, float("nan")])
def test_density_outside_unit_interval(density):
    with pytest.raises(ValueError, match=r"expected density in \(0, 1\], got"):
        layouts.random(features(4), features(4), BS, density)
    with pytest.raises(ValueError, match=r"expected density in \(0, 1\], got"):
        layouts.from_weight(torch.ones(features(4), features(4)), BS, density)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: layouts.random(100, 64, 8, 0.5), "expected out_features divisible by block_size 8, got 100"),
        (lambda: layouts.dense(64, 0, 8), "expected in_features > 0, got 0"),
        (lambda: layouts.banded(72, 16, 1), "expected features divisible by block_size 16, got 72"),
        (lambda: layouts.balanced(36, 8, 2), "expected features divisible by block_size 8, got 36"),
        (lambda: layouts.dense(64, 64, 12), r"expected block_size in \(8, 16, 32, 64, 128\), got 12"),
    ],
)
def test_sizes_not_divisible(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_non_square_layout_is_no_graph():
    layout = layouts.dense(features(4), features(8), BS)
    with pytest.raises(ValueError, match=r"expected a square layout .* got blocks shape \(4, 8\)"):
        layouts.mixing(layout, 2)
    with pytest.raises(ValueError, match=r"expected a square layout .* got blocks shape \(4, 8\)"):
        layouts.average_shortest_path_length(layout)


# -- diagnostics -----------------------------------------------------------------------------------
def test_mixing_on_a_band():
    n, steps = 12, 8
    share = layouts.mixing(layouts.banded(features(n), BS, 1), steps)
    units = torch.arange(n)
    reach = [(units + k).clamp(max=n - 1) - (units - k).clamp(min=0) + 1 for k in range(1, steps + 1)]
    assert share.dtype == torch.float64 and share.shape == (steps,)
    assert torch.allclose(share, torch.stack(reach).double().mean(1) / n)
    full = layouts.mixing(layouts.dense(features(5), features(5), BS), 3)
    assert torch.equal(full, torch.ones(3, dtype=torch.float64))


def test_diagnostics_match_networkx():
    nx = pytest.importorskip("networkx")
    layout = layouts.random(features(60), features(60), BS, 0.05, seed=2)  # directed
    graph = nx.from_numpy_array(layout.mask.t().numpy().astype(int), create_using=nx.DiGraph)
    steps = 4
    reach = [
        sum(len(nx.single_source_shortest_path_length(graph, s, cutoff=k)) for s in graph) / 60**2
        for k in range(1, steps + 1)
    ]
    assert torch.allclose(layouts.mixing(layout, steps), torch.tensor(reach, dtype=torch.float64))
    small_world = layouts.watts_strogatz(features(200), BS, 4, 0.1, seed=0)
    graph = nx.from_numpy_array(small_world.mask.numpy().astype(int))
    expected = nx.average_shortest_path_length(graph)
    assert math.isclose(layouts.average_shortest_path_length(small_world), expected)


def test_average_shortest_path_length_edges():
    n = 30
    path = layouts.banded(features(n), BS, 1)
    assert math.isclose(layouts.average_shortest_path_length(path), (n + 1) / 3)
    split = layouts.block_diagonal(features(8), features(8), BS, 2)
    assert layouts.average_shortest_path_length(split) == math.inf
    assert layouts.average_shortest_path_length(layouts.dense(BS, BS, BS)) == 0.0


# -- speed -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda n: layouts.random(features(n), features(n), BS, 0.1, seed=0),
        lambda n: layouts.balanced(features(n), BS, 16, seed=0),
        lambda n: layouts.banded(features(n), BS, 8),
        lambda n: layouts.watts_strogatz(features(n), BS, 8, 0.1, seed=0),
        lambda n: layouts.watts_strogatz_2d(features(n), BS, 1, 0.1, seed=0),
    ],
    ids=["random", "balanced", "banded", "watts_strogatz", "watts_strogatz_2d"],
)
def test_large_layout_is_fast(make):
    start = time.perf_counter()
    layout = make(4096)
    assert time.perf_counter() - start < 2.0
    assert layout.blocks_shape == (4096, 4096)
