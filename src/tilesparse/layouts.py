"""Layout generators: which blocks of a block-sparse weight are present, and graph diagnostics.

Every generator takes its sizes in features (``out_features`` and ``in_features``, or ``features`` for
a square weight) plus a ``block_size``, and returns a :class:`~tilesparse.layout.Layout`.

Random generators are deterministic under ``seed`` (an int) or ``generator`` (a CPU
``torch.Generator``), never both. With neither they draw a seed from torch's global generator, so
``torch.manual_seed`` makes them reproducible as well.

Graph generators and diagnostics read a square layout as a directed graph over block units: unit
``c`` feeds unit ``r`` when block ``(r, c)`` is present, the way a signal flows through a recurrent
weight ``h <- W h``. Barabasi-Albert and Watts-Strogatz masks are symmetric; ``diagonal=True`` adds
each unit's own block, as recurrent weights want.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import torch

from .checks import as_int, check_density
from .layout import SUPPORTED_BLOCK_SIZES, Layout

__all__ = [
    "average_shortest_path_length",
    "balanced",
    "banded",
    "barabasi_albert",
    "block_diagonal",
    "block_diagonal_shuffled",
    "dense",
    "from_weight",
    "mixing",
    "random",
    "watts_strogatz",
    "watts_strogatz_2d",
]

_CURVEBALL_ROUNDS = 12  # global trades in `balanced`; row overlaps look random after about 6
_REJECTION_ROUNDS = 32  # rewiring rounds that draw new ends blindly, before drawing among free ones
_SOURCES_PER_CHUNK = 1024  # BFS sources walked together in the diagnostics
_SPARSE_BELOW = 1 / 16  # density under which the diagnostics step with a sparse matrix


# -- argument checks -------------------------------------------------------------------------------
def _check_block_size(block_size) -> int:
    block_size = as_int("block_size", block_size)
    if block_size not in SUPPORTED_BLOCK_SIZES:
        raise ValueError(f"expected block_size in {SUPPORTED_BLOCK_SIZES}, got {block_size}")
    return block_size


def _num_blocks(name: str, features, block_size: int) -> int:
    features = as_int(name, features)
    if features <= 0:
        raise ValueError(f"expected {name} > 0, got {features}")
    if features % block_size:
        raise ValueError(f"expected {name} divisible by block_size {block_size}, got {features}")
    return features // block_size


def _blocks_shape(out_features, in_features, block_size) -> tuple[int, int]:
    block_size = _check_block_size(block_size)
    return (
        _num_blocks("out_features", out_features, block_size),
        _num_blocks("in_features", in_features, block_size),
    )


def _square_blocks(features, block_size) -> int:
    return _num_blocks("features", features, _check_block_size(block_size))


def _block_count(density, total: int) -> int:
    """round(density * total), at least one block."""
    return max(1, round(check_density(density) * total))


def _probability(name: str, p) -> float:
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"expected {name} to be a float, got {type(p).__name__}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"expected {name} in [0, 1], got {p}")
    return float(p)


def _make_generator(seed, generator) -> torch.Generator:
    """The CPU generator every random draw of one call goes through."""
    if generator is not None:
        if seed is not None:
            raise ValueError(f"expected seed or generator, got both (seed={seed})")
        if not isinstance(generator, torch.Generator):
            raise TypeError(f"expected generator to be a torch.Generator, got {type(generator).__name__}")
        if generator.device.type != "cpu":
            raise ValueError(f"expected a CPU generator, got one on {generator.device}")
        return generator
    if seed is None:
        seed = int(torch.randint(2**62, ()))
    return torch.Generator().manual_seed(as_int("seed", seed))


def _square_mask(layout: Layout) -> torch.Tensor:
    if not isinstance(layout, Layout):
        raise TypeError(f"expected a Layout, got {type(layout).__name__}")
    if layout.blocks_shape[0] != layout.blocks_shape[1]:
        raise ValueError(
            f"expected a square layout (out_blocks == in_blocks) to read as a graph, "
            f"got blocks shape {layout.blocks_shape}"
        )
    return layout.mask


# -- sampling helpers ------------------------------------------------------------------------------
def _first_occurrence(keys: torch.Tensor) -> torch.Tensor:
    """Mask of the entries of ``keys`` whose value does not appear earlier in ``keys``."""
    order = keys.argsort(stable=True)
    ordered = keys[order]
    starts = torch.ones_like(ordered, dtype=torch.bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    first = torch.zeros_like(keys, dtype=torch.bool)
    first[order[starts]] = True
    return first


def _choose(n: int, k: int, g: torch.Generator) -> torch.Tensor:
    """``k`` distinct indices drawn uniformly from ``range(n)``, in no particular order."""
    if 2 * k > n:
        rest = torch.ones(n, dtype=torch.bool)
        rest[_choose(n, n - k, g)] = False
        return rest.nonzero().squeeze(1)
    chosen = torch.empty(0, dtype=torch.int64)
    while chosen.numel() < k:
        # Keeping first occurrences in draw order is sequential sampling without replacement.
        draws = torch.cat([chosen, torch.randint(n, (2 * (k - chosen.numel()) + 16,), generator=g)])
        chosen = draws[_first_occurrence(draws)][:k]
    return chosen


def _exact_bernoulli(total: int, k: int, g: torch.Generator) -> torch.Tensor:
    """A flat bool mask with exactly ``k`` of ``total`` entries set, every such mask equally likely.

    A Bernoulli draw lands within a few standard deviations of ``k``; the difference is then added or
    dropped at uniformly chosen places. No step favours any position, so every k-subset is equally
    likely, at the cost of one pass over the mask (a permutation of ``total`` would cost far more).
    """
    if 2 * k > total:
        return ~_exact_bernoulli(total, total - k, g)
    flat = torch.rand(total, generator=g) < k / total
    excess = int(flat.sum()) - k
    if excess:
        candidates = (flat if excess > 0 else ~flat).nonzero().squeeze(1)
        flat[candidates[_choose(candidates.numel(), abs(excess), g)]] = excess < 0
    return flat


def _curveball(cols: torch.Tensor, rounds: int, g: torch.Generator) -> torch.Tensor:
    """Randomise a 0/1 matrix held as rows of column indices, keeping every row and column count.

    Global Curveball trades: each round pairs the rows at random; each pair pools the columns only one
    of the two rows holds and deals them back at random, each row keeping its count. All rows hold the
    same count here, which keeps the deal to one sort per round.
    """
    n_rows, k = cols.shape
    n_pairs = n_rows // 2
    for _ in range(rounds):
        pairs = torch.randperm(n_rows, generator=g)[: 2 * n_pairs].view(n_pairs, 2)
        pooled = cols[pairs].reshape(n_pairs, 2 * k).sort(dim=1).values
        shared = pooled[:, 1:] == pooled[:, :-1]
        # Sort keys: a shared column's first copy goes to the first row (-1), its second copy to the
        # second row (2); the columns only one row holds get random keys and are dealt in that order.
        keys = torch.rand(pooled.shape, generator=g)
        keys[:, :-1][shared] = -1.0
        keys[:, 1:][shared] = 2.0
        cols[pairs.reshape(-1)] = pooled.gather(1, keys.argsort(dim=1)).view(2 * n_pairs, k)
    return cols


def _preferential_attachment(n: int, m: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Edges of a Barabasi-Albert graph grown from a clique of ``m + 1`` units.

    Each new unit links to ``m`` distinct earlier units, drawn with probability proportional to their
    degree: uniform draws from the list of all edge ends, in which a unit appears once per edge.
    """
    clique_src, clique_dst = np.triu_indices(m + 1, 1)
    n_clique = clique_src.size
    ends = np.empty(2 * (n_clique + (n - m - 1) * m), dtype=np.int64)
    ends[0 : 2 * n_clique : 2] = clique_src
    ends[1 : 2 * n_clique : 2] = clique_dst
    filled = 2 * n_clique
    targets = np.empty((n - m - 1, m), dtype=np.int64)
    uniforms = torch.rand(4 * m * n, generator=g, dtype=torch.float64).numpy()
    used = 0
    for unit in range(m + 1, n):
        chosen: dict[int, None] = {}
        while len(chosen) < m:
            need = 2 * (m - len(chosen))
            if used + need > uniforms.size:
                uniforms = torch.rand(4 * m * n, generator=g, dtype=torch.float64).numpy()
                used = 0
            picks = np.minimum((uniforms[used : used + need] * filled).astype(np.int64), filled - 1)
            used += need
            chosen.update(dict.fromkeys(ends[picks].tolist()))
        row = list(chosen)[:m]
        targets[unit - m - 1] = row
        ends[filled : filled + 2 * m : 2] = unit
        ends[filled + 1 : filled + 2 * m : 2] = row
        filled += 2 * m
    src = np.concatenate([clique_src, np.repeat(np.arange(m + 1, n), m)])
    dst = np.concatenate([clique_dst, targets.reshape(-1)])
    return torch.from_numpy(src), torch.from_numpy(dst)


def _rewire(n: int, src: torch.Tensor, dst: torch.Tensor, p: float, g: torch.Generator) -> torch.Tensor:
    """Symmetric adjacency of the edges ``(src, dst)`` after Watts-Strogatz rewiring.

    Each edge, with probability ``p``, keeps its end ``src`` and moves its end ``dst`` to a unit drawn
    uniformly among those not linked to ``src`` (itself excluded); an edge whose ``src`` is linked to
    every other unit stays. The edge count never changes. Edges move in vectorised rounds; two moves
    of one round onto the same place are settled by keeping the first and drawing again for the other.
    """
    adjacency = torch.zeros(n, n, dtype=torch.bool)
    adjacency[src, dst] = True
    adjacency[dst, src] = True
    degree = adjacency.sum(1)
    move = torch.rand(src.numel(), generator=g) < p
    near, old = src[move], dst[move]
    rounds = 0
    while True:
        stays = degree[near] == n - 1
        near, old = near[~stays], old[~stays]
        if near.numel() == 0:
            return adjacency
        if rounds < _REJECTION_ROUNDS:
            new = torch.randint(n - 1, near.shape, generator=g)
            new += new >= near  # skip the unit itself
        else:  # the few edges left sit in crowded rows: draw among the free units only
            free = ~adjacency[near]
            free[torch.arange(near.numel()), near] = False
            new = torch.multinomial(free.float(), 1, generator=g).squeeze(1)
        edge = torch.minimum(near, new) * n + torch.maximum(near, new)
        accept = ~adjacency[near, new] & _first_occurrence(edge)
        moved_near, moved_old, moved_new = near[accept], old[accept], new[accept]
        adjacency[moved_near, moved_old] = False
        adjacency[moved_old, moved_near] = False
        adjacency[moved_near, moved_new] = True
        adjacency[moved_new, moved_near] = True
        degree.index_add_(0, moved_old, torch.full_like(moved_old, -1))
        degree.index_add_(0, moved_new, torch.ones_like(moved_new))
        near, old = near[~accept], old[~accept]
        rounds += 1


def _graph_layout(adjacency: torch.Tensor, diagonal: bool, block_size: int) -> Layout:
    if diagonal:
        adjacency.fill_diagonal_(True)
    return Layout(adjacency, block_size)


# -- random layouts --------------------------------------------------------------------------------
def random(
    out_features: int,
    in_features: int,
    block_size: int,
    density: float,
    *,
    seed: int | None = None,
    generator: torch.Generator | None = None,
) -> Layout:
    """Exactly ``round(density * blocks)`` blocks (at least one), every such layout equally likely."""
    n_out, n_in = _blocks_shape(out_features, in_features, block_size)
    count = _block_count(density, n_out * n_in)
    g = _make_generator(seed, generator)
    return Layout(_exact_bernoulli(n_out * n_in, count, g).view(n_out, n_in), block_size)


def balanced(
    features: int,
    block_size: int,
    blocks_per_row: int,
    *,
    in_features: int | None = None,
    seed: int | None = None,
    generator: torch.Generator | None = None,
) -> Layout:
    """Exactly ``blocks_per_row`` blocks in every row and the same count in every column.

    Square (``features x features``) unless ``in_features`` is given; then ``features`` is
    ``out_features`` and every column holds ``out_blocks * blocks_per_row / in_blocks`` blocks, which
    must be a whole number. A cyclic fill with shuffled columns meets the counts; global Curveball
    trades, which keep every row and column count, then randomise it. Above half density the
    complement is built instead.
    """
    block_size = _check_block_size(block_size)
    n_out = _num_blocks("features", features, block_size)
    n_in = n_out if in_features is None else _num_blocks("in_features", in_features, block_size)
    k = as_int("blocks_per_row", blocks_per_row)
    if not 1 <= k <= n_in:
        raise ValueError(f"expected 1 <= blocks_per_row <= in_blocks = {n_in}, got {k}")
    if n_out * k % n_in:
        raise ValueError(
            f"expected out_blocks * blocks_per_row divisible by in_blocks, so every column gets the same "
            f"count, got {n_out} * {k} = {n_out * k} and {n_in} in_blocks"
        )
    g = _make_generator(seed, generator)
    complement = 2 * k > n_in
    k_built = n_in - k if complement else k
    mask = torch.zeros(n_out, n_in, dtype=torch.bool)
    if k_built:
        cols = (torch.arange(n_out)[:, None] * k_built + torch.arange(k_built)) % n_in
        cols = torch.randperm(n_in, generator=g)[cols]  # relabel the columns: no local structure left
        mask.scatter_(1, _curveball(cols, _CURVEBALL_ROUNDS, g), True)
    return Layout(~mask if complement else mask, block_size)


def barabasi_albert(
    features: int,
    block_size: int,
    m: int,
    *,
    diagonal: bool = True,
    seed: int | None = None,
    generator: torch.Generator | None = None,
) -> Layout:
    """Symmetric layout of an undirected Barabasi-Albert (preferential attachment) graph over units.

    Grows from a clique of ``m + 1`` units; each further unit links to ``m`` distinct earlier units
    drawn with probability proportional to their degree. Every unit has degree at least ``m``; the
    degrees follow a power law (heavy tail of hub units).
    """
    n = _square_blocks(features, block_size)
    m = as_int("m", m)
    if not 1 <= m < n:
        raise ValueError(f"expected 1 <= m < n_blocks = {n}, got m = {m}")
    g = _make_generator(seed, generator)
    src, dst = _preferential_attachment(n, m, g)
    adjacency = torch.zeros(n, n, dtype=torch.bool)
    adjacency[src, dst] = True
    adjacency[dst, src] = True
    return _graph_layout(adjacency, diagonal, block_size)


def watts_strogatz(
    features: int,
    block_size: int,
    k: int,
    p: float,
    *,
    diagonal: bool = True,
    seed: int | None = None,
    generator: torch.Generator | None = None,
) -> Layout:
    """Symmetric Watts-Strogatz small world: a ring of units, each linked to its ``k`` nearest.

    Every unit links to ``k / 2`` neighbours on each side of a ring; then each link, with probability
    ``p``, keeps its first end and moves the other to a unit drawn uniformly among those not yet
    linked to the first (a link whose first end is linked to every unit stays). ``p = 0`` is the ring
    lattice; the number of links (``n_blocks * k / 2``) never changes.
    """
    n = _square_blocks(features, block_size)
    k = as_int("k", k)
    if k % 2 or not 2 <= k < n:
        raise ValueError(
            f"expected an even k with 2 <= k < n_blocks = {n} (k / 2 neighbours a side), got {k}"
        )
    p = _probability("p", p)
    g = _make_generator(seed, generator)
    units = torch.arange(n)
    src = units.repeat_interleave(k // 2)
    dst = (src + torch.arange(1, k // 2 + 1).repeat(n)) % n
    return _graph_layout(_rewire(n, src, dst, p, g), diagonal, block_size)


def watts_strogatz_2d(
    features: int,
    block_size: int,
    radius: int,
    p: float,
    *,
    grid: tuple[int, int] | None = None,
    diagonal: bool = True,
    seed: int | None = None,
    generator: torch.Generator | None = None,
) -> Layout:
    """Symmetric 2-D small world: units on a torus grid, linked within ``radius``, links rewired.

    Units sit row-major on a ``grid = (height, width)`` torus (by default the most square one), and
    each links to every unit within Chebyshev distance ``radius``: ``(2 radius + 1)^2 - 1`` neighbours
    when the grid is wide enough. Each link is then rewired with probability ``p`` as in
    :func:`watts_strogatz`, which turns local links into random long ones.
    """
    n = _square_blocks(features, block_size)
    radius = as_int("radius", radius)
    if radius < 1:
        raise ValueError(f"expected radius >= 1, got {radius}")
    if grid is None:
        height = max(d for d in range(1, math.isqrt(n) + 1) if n % d == 0)
        grid = (height, n // height)
    height, width = (as_int("grid height", grid[0]), as_int("grid width", grid[1]))
    if height < 1 or width < 1 or height * width != n:
        raise ValueError(f"expected a grid (height, width) with height * width = n_blocks = {n}, got {grid}")
    p = _probability("p", p)
    g = _make_generator(seed, generator)
    # Offsets in one half plane, so each lattice link is listed once (before wrap-around duplicates).
    span = torch.arange(-radius, radius + 1)
    dy, dx = torch.meshgrid(span, span, indexing="ij")
    half = (dy > 0) | ((dy == 0) & (dx > 0))
    dy, dx = dy[half], dx[half]
    units = torch.arange(n)
    y, x = units // width, units % width
    src = units.repeat_interleave(dy.numel())
    dst = ((y[:, None] + dy) % height * width + (x[:, None] + dx) % width).reshape(-1)
    # On a small torus offsets wrap onto the unit itself or onto a link already listed.
    edge = torch.minimum(src, dst) * n + torch.maximum(src, dst)
    keep = (src != dst) & _first_occurrence(edge)
    return _graph_layout(_rewire(n, src[keep], dst[keep], p, g), diagonal, block_size)


# -- structured layouts ----------------------------------------------------------------------------
def _group_of(n_blocks: int, groups: int, name: str) -> torch.Tensor:
    if n_blocks % groups:
        raise ValueError(f"expected {name} divisible by groups {groups}, got {n_blocks}")
    return torch.arange(n_blocks) // (n_blocks // groups)


def block_diagonal(out_features: int, in_features: int, block_size: int, groups: int) -> Layout:
    """``groups`` diagonal tiles: output group ``i`` reads input group ``i`` only (a grouped linear)."""
    n_out, n_in = _blocks_shape(out_features, in_features, block_size)
    groups = as_int("groups", groups)
    if groups < 1:
        raise ValueError(f"expected groups >= 1, got {groups}")
    mask = _group_of(n_out, groups, "out_blocks")[:, None] == _group_of(n_in, groups, "in_blocks")
    return Layout(mask, block_size)


def block_diagonal_shuffled(out_features: int, in_features: int, block_size: int, groups: int) -> Layout:
    """:func:`block_diagonal` after a channel shuffle of the input blocks, as in ShuffleNet.

    The shuffle lays the input blocks out as ``(groups, blocks_per_group)``, transposes and flattens:
    the grouped layer then sees input block ``b * blocks_per_group + a`` at position
    ``a * groups + b``, so each output group reads blocks from every input group (when
    ``blocks_per_group >= groups``). Deterministic.
    """
    layout = block_diagonal(out_features, in_features, block_size, groups)
    n_in = layout.blocks_shape[1]
    shuffle = torch.arange(n_in).view(groups, n_in // groups).t().reshape(-1)
    mask = torch.empty_like(layout.mask)
    mask[:, shuffle] = layout.mask
    return Layout(mask, block_size)


def banded(features: int, block_size: int, bandwidth: int) -> Layout:
    """Square band: block ``(r, c)`` is present when ``|r - c| <= bandwidth`` (0 is the diagonal)."""
    n = _square_blocks(features, block_size)
    bandwidth = as_int("bandwidth", bandwidth)
    if bandwidth < 0:
        raise ValueError(f"expected bandwidth >= 0, got {bandwidth}")
    units = torch.arange(n)
    return Layout((units[:, None] - units).abs() <= bandwidth, block_size)


def dense(out_features: int, in_features: int, block_size: int) -> Layout:
    """Every block present."""
    n_out, n_in = _blocks_shape(out_features, in_features, block_size)
    return Layout(torch.ones(n_out, n_in, dtype=torch.bool), block_size)


def from_weight(weight: torch.Tensor, block_size: int, density: float, *, norm: str = "l2") -> Layout:
    """The ``round(density * blocks)`` blocks (at least one) of a dense weight with the largest norm.

    ``weight`` is ``(out_features, in_features)``; ``norm`` is ``"l2"`` (Frobenius norm of the block)
    or ``"max"`` (largest absolute entry). Ties go to the earlier block in row-major order.
    """
    if not isinstance(weight, torch.Tensor):
        raise TypeError(f"expected weight to be a torch.Tensor, got {type(weight).__name__}")
    if weight.dim() != 2:
        raise ValueError(
            f"expected a 2-D weight (out_features, in_features), got shape {tuple(weight.shape)}"
        )
    n_out, n_in = _blocks_shape(weight.shape[0], weight.shape[1], block_size)
    count = _block_count(density, n_out * n_in)
    blocks = weight.detach().reshape(n_out, block_size, n_in, block_size)
    blocks = blocks.to(torch.promote_types(weight.dtype, torch.float32))
    if norm == "l2":
        scores = torch.linalg.vector_norm(blocks, dim=(1, 3))
    elif norm == "max":  # no |weight| temporary: the largest of max and -min
        scores = torch.maximum(blocks.amax(dim=3), -blocks.amin(dim=3)).amax(dim=1)
    else:
        raise ValueError(f"expected norm in ('l2', 'max'), got {norm!r}")
    scores = scores.flatten().cpu()
    if not torch.isfinite(scores).all():
        raise ValueError("expected a finite weight, got NaN or infinite entries")
    mask = torch.zeros(n_out * n_in, dtype=torch.bool)
    mask[scores.argsort(descending=True, stable=True)[:count]] = True
    return Layout(mask.view(n_out, n_in), block_size)


# -- diagnostics -----------------------------------------------------------------------------------
def _first_reached(mask: torch.Tensor, max_steps: int) -> list[int]:
    """``counts[d - 1]``: (source, target) pairs, target != source, whose shortest path takes ``d`` steps.

    Breadth-first search from every source at once, one sparse (or dense) matrix product per step,
    the sources taken in chunks to bound memory; stops after ``max_steps`` steps or when nothing new
    is reached.
    """
    n = mask.shape[0]
    step = mask.float()
    if mask.sum() < _SPARSE_BELOW * n * n:
        step = step.to_sparse()
    counts: list[int] = []
    for start in range(0, n, _SOURCES_PER_CHUNK):
        sources = torch.arange(start, min(start + _SOURCES_PER_CHUNK, n))
        reached = torch.zeros(n, sources.numel(), dtype=torch.bool)  # column j: reached from sources[j]
        reached[sources, torch.arange(sources.numel())] = True
        frontier = reached
        for d in range(max_steps):
            frontier = ((step @ frontier.float()) > 0) & ~reached
            new = int(frontier.sum())
            if new == 0:
                break
            reached |= frontier
            if d < len(counts):
                counts[d] += new
            else:
                counts.append(new)
    return counts


def mixing(layout: Layout, steps: int) -> torch.Tensor:
    """How fast signals spread through a square layout read as a graph over block units.

    Returns a float64 tensor of shape ``(steps,)``: entry ``k - 1`` is the share of units reachable
    from a unit within ``k`` steps (itself included), averaged over units. It grows to 1.0 once every
    unit reaches every other; a unit with its diagonal block keeps what it reached, so with
    ``diagonal=True`` "within k steps" and "after exactly k steps" agree.
    """
    mask = _square_mask(layout)
    steps = as_int("steps", steps)
    if steps < 1:
        raise ValueError(f"expected steps >= 1, got {steps}")
    n = mask.shape[0]
    new = torch.zeros(steps, dtype=torch.float64)
    counts = _first_reached(mask, steps)
    new[: len(counts)] = torch.tensor(counts, dtype=torch.float64)
    return (n + new.cumsum(0)) / (n * n)


def average_shortest_path_length(layout: Layout) -> float:
    """Mean number of steps from a unit to another, over all ordered pairs of distinct units.

    Reads a square layout as a graph over block units (diagonal blocks are ignored). Returns
    ``math.inf`` when some unit cannot reach another, and 0.0 for a single unit.
    """
    mask = _square_mask(layout)
    n = mask.shape[0]
    if n == 1:
        return 0.0
    counts = _first_reached(mask, n - 1)
    if sum(counts) < n * (n - 1):
        return math.inf
    return sum(d * c for d, c in enumerate(counts, start=1)) / (n * (n - 1))
