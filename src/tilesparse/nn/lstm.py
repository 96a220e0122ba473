"""``BlockSparseLSTM``: a single-layer LSTM whose hidden-to-hidden weights are block-sparse under a Layout.

The original blocksparse's point: at a fixed parameter budget, a much wider LSTM whose recurrent weight is a
sparse small-world graph over blocks of units (Barabasi-Albert, the diagonal on) models text better than a
narrow dense one. The weights that touch the input stay dense; only the ``(hidden, hidden)`` products are
block-sparse.

Two cells:

``classic``, the standard LSTM (gate order i, f, g, o, as ``torch.nn.LSTM``)::

    [i, f, g, o] = W_ih x_t + b + W_hh h_{t-1}
    c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(g)
    h_t = sigmoid(o) * tanh(c_t)

``W_ih x_t + b`` is one dense matmul for all the steps of a chunk, before the loop. ``W_hh`` is one
block-sparse weight over the ``(4 hidden, hidden)`` layout that stacks four copies of the hidden layout
(one ``tilesparse.linear`` product per step; its packed blocks are the i, f, g, o gates' in that order).
The recurrence is one autograd Function over the whole chunk: its backward runs the reverse recurrence with
one dX product per step and computes ``dW_hh`` once, as a single sampled product of all the chunk's gate
gradients ``(T*B, 4H)`` with all its previous hidden states ``(T*B, H)``: one big product instead of T
small ones.

``deep``, the original's "LSTM with deep updates" (an mLSTM-style multiplicative input, extra internal
block-sparse steps, block-sparse gates and a layer norm after every matmul). With ``LN_k`` a layer norm over
the hidden features with its own gain and shift, ``K = internal_steps``, every ``W_*`` block-sparse except
the dense input weights ``W_xm`` and ``W_xu``::

    m_t   = LN_1(W_xm x_t) * LN_2(W_hm h_{t-1})                 multiplicative input injection
    u^0   = ReLU(LN_3(W_xu x_t) + LN_4(W_mu m_t))
    u^k   = ReLU(LN_{4+k}(W_k u^{k-1})),  k = 1 .. K            internal steps
    [i, f, o, z] = LN_gates(W_g u^K)                            one (4H, H) product, each gate normalised apart
    c_t = sigmoid(f) * c_{t-1} + sigmoid(i) * tanh(z)
    h_t = sigmoid(o) * tanh(c_t)

The matmuls have no bias: the layer norms' shifts are the biases. ``LN_1(W_xm x)`` and ``LN_3(W_xu x)``
are computed for all the steps at once. The output projection (e.g. a language model's softmax layer) is
dense and belongs to the model around this module, which returns ``h`` like ``nn.LSTM``. The deep cell
runs through plain autograd over per-step ``tilesparse.linear`` calls: its dW are per step.

Per-step Python overhead: every step is a handful of kernel launches from Python. A ``torch.compile`` or
CUDA-graph capture of a whole chunk's loop (and a fused Triton gate kernel, see ``_ClassicRecurrence``)
would remove it; neither is here yet.
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F
import torch.utils.checkpoint
from torch import nn

from .. import layouts
from ..backend import use_triton
from ..checks import as_int, check_density
from ..layout import SUPPORTED_BLOCK_SIZES, Layout
from ..ops import linear as linear_ops
from ..ops.linear import linear as sparse_linear
from ..reference.linear import compute_dtype
from . import init
from .layout_module import LayoutModule

__all__ = ["BlockSparseLSTM", "detach_state", "small_world_layout", "tbptt_chunks"]

CELLS = ("classic", "deep")
DEFAULT_BLOCK_SIZE = 32
DEFAULT_DENSITY = 0.1
GATES = 4
FORGET = 1  # the forget gate's index in both cells' gate order
LAYER_NORM_EPS = 1e-5
# Rows of the deep cell's layer-norm gain and shift: x->m, h->m, x->u, m->u, then the internal steps, then
# the four gates.
NORM_XM, NORM_HM, NORM_XU, NORM_MU, NORM_STEPS = 0, 1, 2, 3, 4


# -- layouts and arguments ------------------------------------------------------------------------------------


def _index(name: str, value, minimum: int) -> int:
    value = as_int(name, value)
    if value < minimum:
        raise ValueError(f"expected {name} >= {minimum}, got {value}")
    return value


def _barabasi_albert_density(n: int, m: int) -> float:
    """The density of ``layouts.barabasi_albert`` on ``n`` block units with ``m`` links per new unit, diagonal
    on: a clique of ``m + 1`` units, then ``m`` edges per further unit, each edge two blocks."""
    edges = m * (m + 1) // 2 + (n - m - 1) * m
    return (2 * edges + n) / n**2


def small_world_layout(hidden_size: int, block_size: int, density: float, *, seed: int | None = None) -> Layout:
    """The default recurrent layout: Barabasi-Albert over ``hidden_size // block_size`` block units, the
    diagonal on, with the ``m`` whose density is closest to ``density``; dense when that is one block unit
    or ``density == 1``."""
    density = check_density(density)
    if isinstance(block_size, bool) or block_size not in SUPPORTED_BLOCK_SIZES:
        raise ValueError(f"expected block_size in {SUPPORTED_BLOCK_SIZES}, got {block_size!r}")
    if hidden_size % block_size:
        raise ValueError(f"expected hidden_size divisible by block_size {block_size}, got {hidden_size}")
    n = hidden_size // block_size
    if n == 1 or density == 1.0:
        return layouts.dense(hidden_size, hidden_size, block_size)
    m = min(range(1, n), key=lambda m: abs(_barabasi_albert_density(n, m) - density))
    return layouts.barabasi_albert(hidden_size, block_size, m, diagonal=True, seed=seed)


def _stacked(layout: Layout, copies: int) -> Layout:
    """``copies`` copies of ``layout`` stacked along the output axis: the ``(copies * H, H)`` gate layout."""
    return Layout(layout.mask.repeat(copies, 1), layout.block_size)


def tbptt_chunks(sequence: torch.Tensor, chunk: int, dim: int = 0) -> tuple[torch.Tensor, ...]:
    """Split a sequence into consecutive chunks of at most ``chunk`` steps along ``dim`` (views).

    Truncated backpropagation through time: run the chunks in order, carrying the state, and call backward
    on each chunk's loss before the next, passing ``detach_state(state)`` on. Memory then grows with
    ``chunk``, not with the sequence::

        state = None
        for piece in tbptt_chunks(sequence, 128):
            output, state = lstm(piece, state)
            loss_of(output).backward()
            state = detach_state(state)
    """
    if not isinstance(sequence, torch.Tensor):
        raise TypeError(f"expected sequence to be a torch.Tensor, got {type(sequence).__name__}")
    return sequence.split(_index("chunk", chunk, 1), dim)


def detach_state(state: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """The state ``(h, c)`` cut from the graph: gradients stop at the chunk boundary, values carry over."""
    return tuple(s.detach() for s in state)


def _matmul_dtype(weight: torch.Tensor, device: torch.device) -> torch.dtype:
    """The dtype of the recurrent products: autocast's when it is on for the device, else the weight's."""
    if device.type in ("cuda", "cpu") and torch.is_autocast_enabled(device.type):
        return torch.get_autocast_dtype(device.type)
    return weight.dtype


def _products():
    """The block-sparse products (forward, dX, dW) the classic recurrence calls: the custom ops while
    torch.compile traces, else the implementations behind them. Eagerly the dispatcher's Python overhead
    would be paid on every step of every chunk."""
    if torch.compiler.is_compiling():
        return (
            torch.ops.tilesparse.linear_forward,
            torch.ops.tilesparse.linear_backward_input,
            torch.ops.tilesparse.linear_backward_weight,
        )
    return linear_ops.forward_impl, linear_ops.backward_input_impl, linear_ops.backward_weight_impl


def _fused_gates(c: torch.Tensor) -> bool:
    """The classic cell's elementwise step runs as one Triton kernel where the products run Triton."""
    return use_triton(c)


# -- the classic recurrence over one chunk ---------------------------------------------------------------------


class _ClassicRecurrence(torch.autograd.Function):
    """The classic cell over a chunk of T steps, given the input projections of all of them.

    Inputs: ``xproj`` ``(T, B, 4H)`` (``W_ih x_t + b``), ``h0`` ``(B, H)`` in the products' dtype, ``c0``
    ``(B, H)`` in the accumulation dtype (float32 for half types, else the products' dtype), the packed
    ``weight`` of the ``(4H, H)`` gate layout and its tables. Returns ``output`` ``(T, B, H)`` (the h_t, in
    the products' dtype), ``hT`` and ``cT``. Gate math runs in the accumulation dtype.

    The forward keeps the gates after their nonlinearities and every c_t when gradients are wanted (6 T B H
    values); the backward reuses them.
    """

    @staticmethod
    def forward(ctx, xproj, h0, c0, weight, tables, hidden_blocks, save):
        forward_product, _, _ = _products()
        steps, batch, four_h = xproj.shape
        hidden = four_h // GATES
        acc, xproj_dtype = c0.dtype, xproj.dtype
        fused = _fused_gates(c0)
        if not fused:  # the fused kernel reads xproj as it is and adds in float32: no (T, B, 4H) copy
            xproj = xproj.to(acc)
        output = xproj.new_empty((steps, batch, hidden), dtype=weight.dtype)
        gates_all = xproj.new_empty((steps, batch, four_h), dtype=acc) if save else None
        cells = xproj.new_empty((steps, batch, hidden), dtype=acc) if save else None
        h, c = h0, c0
        if fused:
            from ..kernels.lstm_gates import lstm_gates_forward

            c = c0.contiguous()
        for t in range(steps):
            if fused:  # one elementwise kernel a step (kernels/lstm_gates.py) instead of the ops below
                pre = forward_product(h, weight, None, tables, GATES * hidden_blocks)
                c_next = cells[t] if save else torch.empty_like(c)
                lstm_gates_forward(pre, xproj[t], c, gates_all[t] if save else None, c_next, output[t])
                c, h = c_next, output[t]
                continue
            gates = forward_product(h, weight, None, tables, GATES * hidden_blocks).to(acc).add_(xproj[t])
            act = torch.sigmoid(gates, out=gates_all[t]) if save else torch.sigmoid(gates)
            act[:, 2 * hidden : 3 * hidden] = torch.tanh(gates[:, 2 * hidden : 3 * hidden])
            i, f, g, o = act.chunk(GATES, 1)
            c = torch.addcmul(f * c, i, g)
            if save:
                cells[t] = c
            output[t] = o * torch.tanh(c)
            h = output[t]
        if save:
            ctx.save_for_backward(gates_all, cells, output, h0, c0, weight, *tables)
            ctx.hidden_blocks = hidden_blocks
            ctx.xproj_dtype = xproj_dtype
        return output, h.clone(), c

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, d_output, d_hT, d_cT):
        gates_all, cells, output, h0, c0, weight, *tables = ctx.saved_tensors
        _, backward_input, backward_weight = _products()
        need_xproj, need_h0, need_c0, need_weight = ctx.needs_input_grad[:4]
        steps, batch, hidden = output.shape
        acc, mm = c0.dtype, weight.dtype
        fused = _fused_gates(c0)
        # Fused, the kernel writes the gate gradients straight in the products' dtype: the dX product of
        # each step and the chunk's dW read them without a cast (they were cast to it before either way).
        dgates_all = torch.empty_like(gates_all, dtype=mm if fused else acc)
        dh = d_hT.to(acc) if d_hT is not None else h0.new_zeros((batch, hidden), dtype=acc)
        dc = d_cT.to(acc) if d_cT is not None else torch.zeros_like(c0)
        if fused:  # the kernel reads rows with unit stride: gradients may arrive expanded
            from ..kernels.lstm_gates import lstm_gates_backward

            dh, dc, c0 = dh.contiguous(), dc.contiguous(), c0.contiguous()
            d_output = d_output.contiguous() if d_output is not None else None
        for t in reversed(range(steps)):
            if fused:
                dc_prev = torch.empty_like(dc)
                d_out = d_output[t] if d_output is not None else None
                lstm_gates_backward(
                    gates_all[t], cells[t - 1] if t else c0, cells[t], dh, d_out, dc, dgates_all[t], dc_prev
                )
                dc = dc_prev
                if t or need_h0:  # dh stays in the products' dtype: the kernel reads it in float32
                    dh = backward_input(dgates_all[t], weight, tables, ctx.hidden_blocks)
                continue
            if d_output is not None:
                dh = dh + d_output[t]
            i, f, g, o = gates_all[t].chunk(GATES, 1)
            c_prev = cells[t - 1] if t else c0
            tanh_c = torch.tanh(cells[t])
            dc = dc + dh * o * (1 - tanh_c * tanh_c)
            # Gradients before the nonlinearities, written in place into this step's row of dgates_all.
            di, df, dg, do = dgates_all[t].chunk(GATES, 1)
            torch.mul(dc * g, i * (1 - i), out=di)
            torch.mul(dc * c_prev, f * (1 - f), out=df)
            torch.mul(dc * i, 1 - g * g, out=dg)
            torch.mul(dh * tanh_c, o * (1 - o), out=do)
            dc = dc * f
            if t or need_h0:
                dh = backward_input(dgates_all[t].to(mm), weight, tables, ctx.hidden_blocks).to(acc)
        d_weight = None
        if need_weight:
            # The point of the chunk-wide Function: dW_hh for all T steps in one sampled product.
            h_prev = torch.cat([h0.unsqueeze(0), output[:-1]])
            d_weight = backward_weight(
                dgates_all.view(steps * batch, -1).to(mm),
                h_prev.view(steps * batch, hidden),
                tables,
                weight.shape[-1],
            )
        d_xproj = dgates_all.to(ctx.xproj_dtype) if need_xproj else None
        d_h0 = dh.to(h0.dtype) if need_h0 else None  # from the products' dtype when fused, as unfused
        d_c0 = dc if need_c0 else None
        return d_xproj, d_h0, d_c0, d_weight, None, None, None


def _recomputed(run, piece, h, c):
    """``run(piece, h, c)`` under non-reentrant activation checkpointing: the tensors the chunk saves for its
    backward (the classic Function's kept gates and cells, the deep cell's per-op inputs) are dropped after
    the forward and made again by running the chunk once more when its backward comes."""
    return torch.utils.checkpoint.checkpoint(run, piece, h, c, use_reentrant=False)


# -- the module -------------------------------------------------------------------------------------------------


class BlockSparseLSTM(LayoutModule):
    """A one-layer, one-direction LSTM like ``nn.LSTM``, with block-sparse hidden-to-hidden weights.

    ``module(input, (h0, c0)) -> output, (hT, cT)``: input ``(T, B, input_size)``, or ``(B, T, input_size)``
    with ``batch_first``; the state is optional (zeros), each of ``h0``, ``c0`` ``(1, B, hidden_size)`` as
    ``nn.LSTM`` has it, or ``(B, hidden_size)``; ``output`` holds every h_t, ``hT`` and ``cT`` come back as
    ``(1, B, hidden_size)``. See the module docstring for the two cells' equations.

    Args:
        input_size, hidden_size: features of x_t and of h_t.
        layout: a ``Layout`` of shape ``(hidden_size, hidden_size)`` for every recurrent weight; default
            ``small_world_layout(hidden_size, block_size, density, seed=seed)`` (Barabasi-Albert, diagonal on).
        block_size: of the default layout (32 when None); with a ``layout``, None or the layout's.
        density: of the default layout (``DEFAULT_DENSITY`` when None); not with a ``layout``.
        cell: ``"classic"`` or ``"deep"``.
        internal_steps: the deep cell's extra ``ReLU(LN(W u))`` steps (ignored by the classic cell).
        batch_first: input and output are ``(B, T, features)``.
        bias: the classic cell's gate bias; the deep cell's layer-norm shifts (its only biases).
        device, dtype: of the parameters.
        seed: of the default layout (the parameters draw from torch's generator, as ``nn`` modules do).

    Parameters, classic: ``weight_ih`` ``(4H, I)``, ``weight_hh`` packed ``(4 nnz, bs, bs)`` (gates i, f, g,
    o, each ``nnz`` blocks in the layout's order), ``bias`` ``(4H,)``. Deep: ``weight_ih`` ``(2H, I)`` (rows
    ``[0, H)`` W_xm, ``[H, 2H)`` W_xu), ``weight_hm``, ``weight_mu`` ``(nnz, bs, bs)``, ``weight_steps``
    ``(K, nnz, bs, bs)``, ``weight_gates`` ``(4 nnz, bs, bs)`` (i, f, o, z), ``norm_weight`` and
    ``norm_bias`` ``(8 + K, H)`` (rows as ``NORM_*``, then the gates). Initialisation: dense input weights
    as ``nn.Linear``, recurrent blocks by ``init.fan_in_uniform_`` (scaled by each unit's real fan-in under
    the layout), layer-norm gains one; biases and shifts zero except the forget gate's, one.

    ``forward(input, state=None, chunk_size=None, recompute=False)``: ``chunk_size`` runs the sequence as
    consecutive chunks of that many steps (each one recurrence with one dW product; gradients still flow
    across chunks). ``recompute`` keeps only each chunk's input state for the backward and runs the chunk
    again there (activation checkpointing): the exact gradients of the whole sequence, with the
    activations of one chunk in memory at a time, for about one more forward pass of compute. For
    truncated backpropagation through time (gradients cut at chunk boundaries), see ``tbptt_chunks`` and
    ``detach_state``.
    """

    _in_name = "hidden_size"
    _out_name = "hidden_size"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        layout: Layout | None = None,
        block_size: int | None = None,
        density: float | None = None,
        cell: str = "classic",
        internal_steps: int = 2,
        batch_first: bool = False,
        bias: bool = True,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        seed: int | None = None,
    ):
        super().__init__()
        self.input_size = _index("input_size", input_size, 1)
        self.hidden_size = _index("hidden_size", hidden_size, 1)
        if cell not in CELLS:
            raise ValueError(f"expected cell in {CELLS}, got {cell!r}")
        self.cell = cell
        self.internal_steps = _index("internal_steps", internal_steps, 0)
        self.batch_first = bool(batch_first)
        if layout is None:
            block_size = DEFAULT_BLOCK_SIZE if block_size is None else block_size
            density = DEFAULT_DENSITY if density is None else density
            layout = small_world_layout(self.hidden_size, block_size, density, seed=seed)
        else:
            if density is not None:
                raise ValueError(f"expected a layout or a density, not both; got density {density}")
            if isinstance(layout, Layout) and block_size is not None and block_size != layout.block_size:
                raise ValueError(f"expected block_size None or the layout's {layout.block_size}, got {block_size}")
        self._init_layout(layout, device)
        self.gate_layout = _stacked(layout, GATES)
        factory = {"device": device, "dtype": dtype}
        hidden = self.hidden_size
        input_rows = GATES * hidden if cell == "classic" else 2 * hidden
        self.weight_ih = nn.Parameter(torch.empty(input_rows, self.input_size, **factory))
        for name, shape in self._packed_shapes(layout).items():
            setattr(self, name, nn.Parameter(torch.empty(shape, **factory)))
        if cell == "classic":
            self.bias = nn.Parameter(torch.empty(GATES * hidden, **factory)) if bias else None
        else:
            norms = NORM_STEPS + self.internal_steps + GATES
            self.norm_weight = nn.Parameter(torch.empty(norms, hidden, **factory))
            self.norm_bias = nn.Parameter(torch.empty(norms, hidden, **factory)) if bias else None
        self.reset_parameters()

    def _packed_shapes(self, layout: Layout) -> dict[str, tuple[int, ...]]:
        """The recurrent Parameters and their packed shapes under ``layout``."""
        one, gates = layout.packed_shape, (GATES * layout.nnz, *layout.packed_shape[1:])
        if self.cell == "classic":
            return {"weight_hh": gates}
        return {"weight_hm": one, "weight_mu": one, "weight_steps": (self.internal_steps, *one), "weight_gates": gates}

    def _resize_parameters(self, layout: Layout) -> None:
        self.gate_layout = _stacked(layout, GATES)
        for name, shape in self._packed_shapes(layout).items():
            param = getattr(self, name)
            if tuple(param.shape) != shape:
                param.data = param.new_zeros(shape)
                param.grad = None

    def reset_parameters(self) -> None:
        hidden = self.hidden_size
        bound = 1 / math.sqrt(self.input_size)
        with torch.no_grad():
            self.weight_ih.uniform_(-bound, bound)
            if self.cell == "classic":
                init.fan_in_uniform_(self.weight_hh, self.gate_layout)
                if self.bias is not None:
                    self.bias.zero_()[FORGET * hidden : (FORGET + 1) * hidden] = 1.0
                return
            for weight in (self.weight_hm, self.weight_mu, *self.weight_steps):
                init.fan_in_uniform_(weight, self.layout)
            init.fan_in_uniform_(self.weight_gates, self.gate_layout)
            self.norm_weight.fill_(1.0)
            if self.norm_bias is not None:
                self.norm_bias.zero_()[NORM_STEPS + self.internal_steps + FORGET] = 1.0

    # -- checks ----------------------------------------------------------------------------------------------------
    def _check_input(self, input) -> torch.Tensor:
        """``input`` as ``(T, B, input_size)``."""
        if not isinstance(input, torch.Tensor):
            raise TypeError(f"expected input to be a torch.Tensor, got {type(input).__name__}")
        want = "(B, T, input_size)" if self.batch_first else "(T, B, input_size)"
        if input.dim() != 3 or input.shape[-1] != self.input_size:
            raise ValueError(
                f"expected input of shape {want} with input_size {self.input_size}, got {tuple(input.shape)}"
            )
        if not input.is_floating_point():
            raise TypeError(f"expected a floating-point input, got {input.dtype}")
        if input.device != self.weight_ih.device:
            raise ValueError(f"expected input on the module's device {self.weight_ih.device}, got {input.device}")
        x = input.transpose(0, 1) if self.batch_first else input
        if x.shape[0] == 0:
            raise ValueError(f"expected at least one time step, got input of shape {tuple(input.shape)}")
        return x

    def _initial_state(self, state, batch: int, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(h0, c0)`` as ``(B, H)``: zeros of the parameters' dtype when ``state`` is None."""
        shape = (batch, self.hidden_size)
        if state is None:
            return like.new_zeros(shape, dtype=self.weight_ih.dtype), like.new_zeros(shape, dtype=self.weight_ih.dtype)
        if not isinstance(state, (tuple, list)) or len(state) != 2:
            raise TypeError(f"expected state to be a tuple (h0, c0), got {type(state).__name__}")
        out = []
        for name, s in zip(("h0", "c0"), state, strict=True):
            if not isinstance(s, torch.Tensor):
                raise TypeError(f"expected {name} to be a torch.Tensor, got {type(s).__name__}")
            if tuple(s.shape) not in ((1, *shape), shape):
                raise ValueError(
                    f"expected {name} of shape (1, B, hidden_size) = {(1, *shape)} or {shape}, got {tuple(s.shape)}"
                )
            if s.device != like.device:
                raise ValueError(f"expected {name} on the input's device {like.device}, got {s.device}")
            out.append(s.reshape(shape))
        return out[0], out[1]

    # -- compute ---------------------------------------------------------------------------------------------------
    def forward(self, input: torch.Tensor, state=None, chunk_size: int | None = None, recompute: bool = False):
        x = self._check_input(input)
        if not isinstance(recompute, bool):
            raise TypeError(f"expected recompute to be a bool, got {type(recompute).__name__}")
        h, c = self._initial_state(state, x.shape[1], x)
        run = self._classic if self.cell == "classic" else self._deep
        if recompute and torch.is_grad_enabled():
            run = functools.partial(_recomputed, run)
        outputs = []
        for piece in tbptt_chunks(x, x.shape[0] if chunk_size is None else chunk_size):
            output, h, c = run(piece, h, c)
            outputs.append(output)
        output = outputs[0] if len(outputs) == 1 else torch.cat(outputs)
        if self.batch_first:
            output = output.transpose(0, 1)
        return output, (h.unsqueeze(0), c.unsqueeze(0))

    def _classic(self, x, h, c):
        mm = _matmul_dtype(self.weight_hh, x.device)
        acc = compute_dtype(mm)
        xproj = F.linear(x, self.weight_ih, self.bias)  # every step's input projection in one matmul
        weight = self.weight_hh.to(mm)
        h, c = h.to(mm), c.to(acc)
        tables = list(self.gate_layout.tables(x.device))
        save = torch.is_grad_enabled() and any(t.requires_grad for t in (xproj, h, c, weight))
        return _ClassicRecurrence.apply(xproj, h, c, weight, tables, self.layout.blocks_shape[0], save)

    def _norm(self, z: torch.Tensor, row: int) -> torch.Tensor:
        bias = self.norm_bias[row] if self.norm_bias is not None else None
        return F.layer_norm(z, (self.hidden_size,), self.norm_weight[row], bias, LAYER_NORM_EPS)

    def _deep(self, x, h, c):
        # Plain autograd through per-step ops: dW of every recurrent weight is summed over steps by autograd.
        hidden, steps = self.hidden_size, self.internal_steps
        xm, xu = F.linear(x, self.weight_ih).split(hidden, -1)  # every step's input projections at once
        xm, xu = self._norm(xm, NORM_XM), self._norm(xu, NORM_XU)
        gate_rows = slice(NORM_STEPS + steps, NORM_STEPS + steps + GATES)
        gate_weight = self.norm_weight[gate_rows]
        gate_bias = self.norm_bias[gate_rows] if self.norm_bias is not None else None
        outputs = []
        for t in range(x.shape[0]):
            m = xm[t] * self._norm(sparse_linear(h, self.weight_hm, self.layout), NORM_HM)
            u = torch.relu(xu[t] + self._norm(sparse_linear(m, self.weight_mu, self.layout), NORM_MU))
            for k in range(steps):
                u = torch.relu(self._norm(sparse_linear(u, self.weight_steps[k], self.layout), NORM_STEPS + k))
            gates = sparse_linear(u, self.weight_gates, self.gate_layout).view(-1, GATES, hidden)
            gates = F.layer_norm(gates, (hidden,), eps=LAYER_NORM_EPS) * gate_weight
            if gate_bias is not None:
                gates = gates + gate_bias
            i, f, o, z = gates.unbind(1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(z)
            h = torch.sigmoid(o) * torch.tanh(c)
            outputs.append(h)
        return torch.stack(outputs), h, c

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, cell={self.cell!r}, block_size={self.block_size}, "
            f"density={self.density:.4f}, nnz={self.nnz}"
            + (f", internal_steps={self.internal_steps}" if self.cell == "deep" else "")
            + (", batch_first=True" if self.batch_first else "")
        )
