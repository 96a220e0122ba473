"""Measurements of ``tilesparse.linear``: each of its three products timed against dense and the peer.

- ``forward``: y = x W^T (dsd, ``linear_forward``); dense ``F.linear(x, W)``; peer ``W_bsr @ x^T`` and
  ``bsr_dense_mm(W_bsr, x^T)``.
- ``dx``: dX = dY W (dsd, ``linear_backward_input``); dense ``dY @ W``; peer ``(W^T)_bsr @ dY^T`` and
  ``bsr_dense_mm``.
- ``dw``: dW = dY^T x on the nonzero blocks only (sdd, ``linear_backward_weight``); dense ``dY^T @ x`` (the
  full dense dW); peer ``sampled_addmm`` on the block mask (Triton BSR, and cuSPARSE on an element CSR).

The peer gets its preferred operand layout: transposed copies are made outside the timed call, and the
faster of its implementations is kept. ``measure`` times one ``Case``; every sub-command goes through it.
"""

from __future__ import annotations

import contextlib
import functools
import math
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F

from ..layout import Layout, to_dense
from ..ops import linear as linear_ops
from . import limits

PRODUCTS = ("forward", "dx", "dw")
DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16, "fp32": torch.float32, "tf32": torch.float32}
# Max |ours - ref| / max |ref| against a float64 reference, per dtype label.
TOLERANCE = {"fp16": 1e-2, "bf16": 4e-2, "tf32": 1e-2, "fp32": 1e-4}
CHECK_ROWS = 256  # forward / dx are checked on this many batch rows
CHECK_BLOCKS = 64  # dw is checked on this many packed blocks


@dataclass(frozen=True)
class Case:
    """One measurement. ``family`` only says which plan asked for it (equal cases are measured once)."""

    product: str
    dtype: str
    batch: int
    out_features: int
    in_features: int
    block_size: int
    density: float
    layout: str = "random"
    family: str = field(default="", compare=False)

    def group(self) -> tuple:
        """Cases of one group share their dense operands and dense baselines."""
        return (self.dtype, self.batch, self.out_features, self.in_features)


@dataclass(frozen=True)
class Timing:
    """do_bench settings (ms). A call slower than ``slow_ms`` is timed once: some peers take seconds."""

    warmup_ms: int = 25
    rep_ms: int = 100
    slow_ms: float = 50.0


DEFAULT_TIMING = Timing()


# -- layouts --------------------------------------------------------------------------------------------


def block_count(out_blocks: int, in_blocks: int, density: float) -> int:
    """The exact number of nonzero blocks a layout of this density has (at least one)."""
    return max(1, round(density * out_blocks * in_blocks))


def random_mask(out_blocks: int, in_blocks: int, nnz: int, generator: torch.Generator) -> torch.Tensor:
    """Exactly ``nnz`` blocks, uniformly at random."""
    total = out_blocks * in_blocks
    mask = torch.zeros(total, dtype=torch.bool)
    mask[torch.randperm(total, generator=generator)[:nnz]] = True
    return mask.view(out_blocks, in_blocks)


def ba_mask(
    out_blocks: int, in_blocks: int, nnz: int, generator: torch.Generator, exponent: float = 0.5
) -> torch.Tensor:
    """Exactly ``nnz`` blocks with Barabasi-Albert-like skew: hub rows and hub columns.

    Row and column weights follow the degrees of a Barabasi-Albert graph sorted by rank
    (k_i ~ i^-1/2, i.e. P(k) ~ k^-3), hubs placed at random; distinct blocks are drawn with probability
    proportional to ``w_row * w_col``.
    """

    def weights(n):
        w = (torch.arange(n, dtype=torch.float64) + 1) ** -exponent
        return w[torch.randperm(n, generator=generator)]

    probs = torch.outer(weights(out_blocks), weights(in_blocks)).flatten()
    picks = torch.multinomial(probs, nnz, replacement=False, generator=generator)
    mask = torch.zeros(out_blocks * in_blocks, dtype=torch.bool)
    mask[picks] = True
    return mask.view(out_blocks, in_blocks)


MASKS = {"random": random_mask, "ba": ba_mask}  # Case.layout -> generator


def make_layout(case: Case, seed: int = 0) -> Layout:
    bs = case.block_size
    out_blocks, in_blocks = case.out_features // bs, case.in_features // bs
    nnz = block_count(out_blocks, in_blocks, case.density)
    generator = torch.Generator().manual_seed(seed)
    return Layout(MASKS[case.layout](out_blocks, in_blocks, nnz, generator), bs)


# -- operands -------------------------------------------------------------------------------------------


class Operands:
    """Random dense operands of one case group: x (M, in), dY (M, out) and a full dense W (out, in).

    The dense baseline multiplies the full random W (no zeros), so cuBLAS runs as it would on a dense layer.
    """

    def __init__(self, case: Case, device: torch.device, seed: int = 0):
        self.device = torch.device(device)
        self.dtype = DTYPES[case.dtype]
        self.generator = torch.Generator(device=self.device).manual_seed(seed)
        self.scale = case.in_features**-0.5
        self.x = self.randn(case.batch, case.in_features)
        self.dy = self.randn(case.batch, case.out_features)
        self.weight = self.randn(case.out_features, case.in_features, scale=self.scale)

    def randn(self, *shape: int, scale: float = 1.0) -> torch.Tensor:
        t = torch.randn(shape, generator=self.generator, device=self.device, dtype=torch.float32)
        return t.mul_(scale).to(self.dtype)


@contextlib.contextmanager
def tf32(enabled: bool):
    """Let fp32 matmuls (cuBLAS, and the kernels through ``backend.dot_precision``) use TF32."""
    before = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = enabled
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = before


# -- timing ----------------------------------------------------------------------------------------------

CPU_THREADS = 1  # on a shared machine a thread pool waiting for busy cores makes CPU timings swing 100x


@contextlib.contextmanager
def timing_threads(device: torch.device):
    """CPU timings run on ``CPU_THREADS`` threads (tilesparse and dense alike); CUDA is left alone."""
    before = torch.get_num_threads()
    if device.type == "cpu":
        torch.set_num_threads(CPU_THREADS)
    try:
        yield
    finally:
        torch.set_num_threads(before)


L2_FLUSH_BYTES = 256 * 1024 * 1024  # larger than any GPU's L2 (H100: 50 MB)
SHORT_CALL_MS = 0.5


def _cold_graph_ms(fn: Callable[[], object], device: torch.device, calls: int = 10, replays: int = 7) -> float:
    """Device time of one call with a cold L2 and no CPU launch overhead: CUDA graphs of ``calls`` x (flush
    L2, fn) and of ``calls`` x (flush L2) are replayed in turn, timed with events; the median over the pairs of
    their difference, per call.

    do_bench's per-call timing would include the Python launch overhead of small products (tens of
    microseconds, more than the kernels at batch 32), and a plain graph replay would run from a warm L2. The
    flushes (~85 us each) dominate both graphs, so a few-microsecond call is a small difference of two large
    times: replaying the graphs in turn and differencing each pair cancels drift between them. (With each
    graph's 7 replays in a block and the medians differenced, the seed-shape fp16 peer at d = 0.01, 8.1-9.6 us
    in fifteen runs, once read 5.2 us.)
    """
    both, flush_only = flush_graphs(fn, device, calls)
    differences = []
    for _ in range(replays + 1):  # the first pair warms up
        differences.append(replay_times(both, 1)[0] - replay_times(flush_only, 1)[0])
    differences = differences[1:]
    return max(statistics.median(differences), 0.0) / calls


def flush_graphs(fn: Callable[[], object], device: torch.device, calls: int):
    """CUDA graphs of ``calls`` x (flush L2, fn) and of ``calls`` x (flush L2), captured after a warm-up on a side
    stream."""
    flush = torch.empty(L2_FLUSH_BYTES, dtype=torch.int8, device=device)
    stream = torch.cuda.Stream(device)
    stream.wait_stream(torch.cuda.current_stream(device))
    with torch.cuda.stream(stream):
        fn()
        flush.zero_()
    torch.cuda.current_stream(device).wait_stream(stream)
    graphs = []
    for with_fn in (True, False):
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            for _ in range(calls):
                flush.zero_()
                if with_fn:
                    fn()
        graphs.append(graph)
    return graphs


def replay_times(graph: torch.cuda.CUDAGraph, replays: int) -> list[float]:
    """Milliseconds of each of ``replays`` replays of ``graph``, timed with CUDA events."""
    times = []
    for _ in range(replays):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        graph.replay()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return times


def time_ms(fn: Callable[[], object], device: torch.device, timing: Timing) -> float:
    """Median time of ``fn`` in ms. CUDA: device time from a cold L2 through CUDA graphs (``_cold_graph_ms``),
    falling back to ``triton.testing.do_bench`` for calls that cannot be captured (some peers synchronise)
    or that are slower than ``slow_ms`` (timed once). CPU: the median wall time of calls over ``rep_ms``
    (at least 3) after one warm-up call."""
    fn()  # compile and warm up
    if device.type == "cuda":
        import triton.testing

        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        torch.cuda.synchronize(device)
        start.record()
        fn()
        end.record()
        end.synchronize()
        once = start.elapsed_time(end)
        if once > timing.slow_ms:
            return once
        try:  # short calls, where the flushes' noise weighs most, get more pairs
            return _cold_graph_ms(fn, device, replays=15 if once < SHORT_CALL_MS else 7)
        except Exception:  # not capturable: time eagerly (do_bench flushes L2 before each call too)
            torch.cuda.synchronize(device)
            return triton.testing.do_bench(fn, warmup=timing.warmup_ms, rep=timing.rep_ms, return_mode="median")
    times: list[float] = []
    deadline = time.perf_counter() + timing.rep_ms / 1e3
    while len(times) < 3 or (time.perf_counter() < deadline and len(times) < 1000):
        start_s = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start_s) * 1e3)
    return statistics.median(times)


# -- the three implementations of a product --------------------------------------------------------------


def _ours(case: Case, ops: Operands, blocks: torch.Tensor, layout: Layout) -> Callable[[], torch.Tensor]:
    """The product as ``tilesparse.linear`` runs it in eager mode (no custom-op dispatcher)."""
    tables = list(layout.tables(ops.device))
    out_blocks, in_blocks = layout.blocks_shape
    x, dy, bs = ops.x, ops.dy, case.block_size
    if case.product == "forward":
        return lambda: linear_ops.forward_impl(x, blocks, None, tables, out_blocks)
    if case.product == "dx":
        return lambda: linear_ops.backward_input_impl(dy, blocks, tables, in_blocks)
    return lambda: linear_ops.backward_weight_impl(dy, x, tables, bs)


def path_of(case: Case, layout: Layout) -> str:
    """Which implementation ``_ours`` runs: "dense" (cuBLAS on the densified weight, ``kernels/linear_dense.py``)
    or "kernels" (call under the case's TF32 setting)."""
    from ..kernels.linear_dense import use_dense_path

    out_blocks, in_blocks = layout.blocks_shape
    dense = use_dense_path(case.product, case.batch, case.block_size, layout.nnz, out_blocks, in_blocks,
                           DTYPES[case.dtype])
    return "dense" if dense else "kernels"


def _dense(case: Case, ops: Operands) -> Callable[[], torch.Tensor]:
    x, dy, w = ops.x, ops.dy, ops.weight
    if case.product == "forward":
        return lambda: F.linear(x, w)
    if case.product == "dx":
        return lambda: dy @ w
    return lambda: dy.t() @ x


def _peers(case: Case, ops: Operands, blocks: torch.Tensor, layout: Layout) -> list[tuple[str, Callable]]:
    """(name, build) pairs: ``build()`` converts the operands and returns the timed call; either may raise."""
    from torch.sparse import _triton_ops

    bs = case.block_size
    if case.product in ("forward", "dx"):
        a = ops.x if case.product == "forward" else ops.dy

        @functools.cache
        def operands():
            w = to_dense(blocks, layout)
            w = w if case.product == "forward" else w.t().contiguous()
            return w.to_sparse_bsr((bs, bs)), a.t().contiguous()

        def bsr_matmul():
            w_bsr, a_t = operands()
            return lambda: (w_bsr @ a_t).t()

        def bsr_dense_mm():
            w_bsr, a_t = operands()
            return lambda: _triton_ops.bsr_dense_mm(w_bsr, a_t).t()

        return [("bsr @ dense", bsr_matmul), ("_triton_ops.bsr_dense_mm", bsr_dense_mm)]

    t = layout.tables(ops.device)
    dy_t, x = ops.dy.t().contiguous(), ops.x

    def mask_bsr():
        ones = torch.ones(layout.packed_shape, dtype=ops.dtype, device=ops.device)
        return torch.sparse_bsr_tensor(t.row_ptr.long(), t.block_cols.long(), ones, size=layout.shape)

    def sampled_bsr():
        mask = mask_bsr()
        return lambda: _triton_ops.sampled_addmm(mask, dy_t, x, beta=0.0)

    def sampled_csr():
        mask = mask_bsr().to_dense().to_sparse_csr()
        return lambda: torch.sparse.sampled_addmm(mask, dy_t, x, beta=0.0)

    return [("_triton_ops.sampled_addmm (bsr)", sampled_bsr), ("sampled_addmm (csr)", sampled_csr)]


def error_text(e: Exception) -> str:
    first = str(e).strip().splitlines()[0][:200] if str(e).strip() else ""
    return f"{type(e).__name__}: {first}"


def _time_peer(case, ops, blocks, layout, timing) -> tuple[float, str, str]:
    """(ms, impl, error) of the fastest peer implementation that runs; (nan, "", errors) if none does."""
    best, impl, errors = math.nan, "", []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, build in _peers(case, ops, blocks, layout):
            try:
                ms = time_ms(build(), ops.device, timing)
            except Exception as e:  # unsupported shape, dtype or device: recorded, not fatal
                errors.append(f"{name}: {error_text(e)}")
                continue
            if math.isnan(best) or ms < best:
                best, impl = ms, name
    return best, impl, "" if impl else "; ".join(errors)


# -- correctness -----------------------------------------------------------------------------------------


def _rel_err(case: Case, ops: Operands, out: torch.Tensor, blocks: torch.Tensor, layout: Layout) -> float:
    """max |ours - ref| / max |ref| against float64, on a slice of the output."""
    if case.product in ("forward", "dx"):
        w = to_dense(blocks, layout).double()
        rows = slice(0, CHECK_ROWS)
        ref = ops.x[rows].double() @ w.t() if case.product == "forward" else ops.dy[rows].double() @ w
        got = out[rows]
    else:
        t = layout.tables(ops.device)
        bs, m = case.block_size, case.batch
        picks = torch.linspace(0, layout.nnz - 1, min(layout.nnz, CHECK_BLOCKS), device=ops.device).long()
        dy_k = ops.dy.view(m, -1, bs)[:, t.block_rows[picks].long()].double()
        x_k = ops.x.view(m, -1, bs)[:, t.block_cols[picks].long()].double()
        ref = torch.einsum("mki,mkj->kij", dy_k, x_k)
        got = out[picks]
    scale = ref.abs().max().clamp_min(torch.finfo(torch.float64).tiny)
    return float((got.double() - ref).abs().max() / scale)


# -- one case --------------------------------------------------------------------------------------------


def fewest_bytes(case: Case, layout: Layout) -> int:
    """Bytes a product must move at least: its nonzero blocks (read or written), the feature blocks of its
    dense inputs that some nonzero block uses, and its whole dense output (zeros included)."""
    size = torch.finfo(DTYPES[case.dtype]).bits // 8
    mask = layout.mask
    used_out = int(mask.any(1).sum()) * case.block_size  # output features some block feeds (dY read by dX, dW)
    used_in = int(mask.any(0).sum()) * case.block_size  # input features some block reads (x read by forward, dW)
    dense = {
        "forward": used_in + case.out_features,
        "dx": used_out + case.in_features,
        "dw": used_out + used_in,
    }[case.product]
    return size * (case.batch * dense + layout.nnz * case.block_size**2)


def measure(case: Case, ops: Operands, timing: Timing, dense_cache: dict, peer: bool = True, seed: int = 0) -> dict:
    """Time one case: tilesparse, its dense baseline (cached per product and group) and the peer.

    A failure of tilesparse is recorded in ``error`` (ms NaN) so that one bad case does not end a suite.
    """
    device = ops.device
    with tf32(case.dtype == "tf32"):
        layout = make_layout(case, seed)
        blocks = ops.randn(*layout.packed_shape, scale=ops.scale)
        ours = _ours(case, ops, blocks, layout)
        path = path_of(case, layout)
        ms, eager_ms, rel_err, error = math.nan, math.nan, math.nan, ""
        try:
            rel_err = _rel_err(case, ops, ours(), blocks, layout)
            ms = time_ms(ours, device, timing)
            if device.type == "cuda":  # what an eager caller sees: launch overhead included where it shows
                import triton.testing

                eager_ms = triton.testing.do_bench(ours, warmup=timing.warmup_ms, rep=timing.rep_ms,
                                                   return_mode="median")
        except Exception as e:  # recorded, so the rest of the run goes on
            error = error_text(e)
        key = (case.product, case.group())
        if key not in dense_cache:
            dense_cache[key] = time_ms(_dense(case, ops), device, timing)
        dense_ms = dense_cache[key]
        peer_ms, peer_impl, peer_error = _time_peer(case, ops, blocks, layout, timing) if peer else (math.nan, "", "")
    flops = 2 * case.batch * case.out_features * case.in_features
    nbytes = fewest_bytes(case, layout)
    row = asdict(case)
    row.update(timings_row(layout, ms, eager_ms, dense_ms, peer_ms, flops))
    row.update(floor_row(limits.stream_floor_ms(nbytes, device, timing), dense_ms, layout.density))
    row.update(
        path=path,
        peer_impl=peer_impl,
        gbps=nbytes / ms / 1e6,
        rel_err=rel_err,
        tolerance=TOLERANCE[case.dtype],
        error=error,
        peer_error=peer_error,
    )
    return row


def floor_row(floor_ms: float, dense_ms: float, density: float) -> dict:
    """What the floor (``limits.stream_floor_ms`` of the product's fewest bytes) allows: the highest
    efficiency and speedup any single-launch kernel could reach in this run (NaN without a floor)."""
    speedup = dense_ms / floor_ms
    return dict(
        floor_ms=floor_ms,
        bound_speedup=speedup,
        bound_efficiency=min(1.0, speedup * density) if math.isfinite(speedup) else math.nan,
    )


def timings_row(layout: Layout, ms, eager_ms, dense_ms, peer_ms, dense_flops) -> dict:
    """The timing columns every benchmark row carries, and what follows from them: speedups over dense and
    the peer, efficiency (dense time x density / our time) and throughput on the nonzero work."""
    density = layout.density
    return dict(
        nnz=layout.nnz,
        ms=ms,
        eager_ms=eager_ms,
        dense_ms=dense_ms,
        peer_ms=peer_ms,
        speedup=dense_ms / ms,
        efficiency=dense_ms * density / ms,
        peer_speedup=dense_ms / peer_ms,
        vs_peer=peer_ms / ms,
        tflops=dense_flops * density / ms / 1e9,
        dense_tflops=dense_flops / dense_ms / 1e9,
    )
