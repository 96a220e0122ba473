"""The classic LSTM cell's elementwise step, fused: one kernel a timestep instead of about ten.

Forward: from the recurrent product's output and the step's input projection (the pre-activations of the
gates i, f, g, o, stacked as [i | f | g | o] along 4H), apply the nonlinearities, update c and h, and keep
the activations for the backward. Backward: from dh, dc and the kept activations, the gradients of the
four pre-activations and of c_prev. The math is the PyTorch path's in BlockSparseLSTM (the reference).
Each program owns BLOCK_H hidden units of one batch row; everything is elementwise and memory bound.
"""

from __future__ import annotations

import triton
import triton.language as tl

BLOCK_H = 512


@triton.jit
def _tanh(x):
    return 2.0 * tl.sigmoid(2.0 * x) - 1.0


@triton.jit
def lstm_gates_forward_kernel(
    # pointers
    pre_ptr, xproj_ptr, c_prev_ptr, act_ptr, c_ptr, h_ptr,
    # sizes
    H,
    # strides (rows; every tensor is contiguous along its last dim)
    stride_pre, stride_xproj, stride_c_prev, stride_act, stride_c, stride_h,
    # meta
    SAVE: tl.constexpr, BLOCK: tl.constexpr,
):
    row = tl.program_id(0).to(tl.int64)
    offs = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < H
    pre = pre_ptr + row * stride_pre + offs
    xproj = xproj_ptr + row * stride_xproj + offs
    z_i = tl.load(pre, mask=mask).to(tl.float32) + tl.load(xproj, mask=mask).to(tl.float32)
    z_f = tl.load(pre + H, mask=mask).to(tl.float32) + tl.load(xproj + H, mask=mask).to(tl.float32)
    z_g = tl.load(pre + 2 * H, mask=mask).to(tl.float32) + tl.load(xproj + 2 * H, mask=mask).to(tl.float32)
    z_o = tl.load(pre + 3 * H, mask=mask).to(tl.float32) + tl.load(xproj + 3 * H, mask=mask).to(tl.float32)
    i, f, g, o = tl.sigmoid(z_i), tl.sigmoid(z_f), _tanh(z_g), tl.sigmoid(z_o)
    c = f * tl.load(c_prev_ptr + row * stride_c_prev + offs, mask=mask).to(tl.float32) + i * g
    h = o * _tanh(c)
    if SAVE:
        act = act_ptr + row * stride_act + offs
        tl.store(act, i.to(act_ptr.dtype.element_ty), mask=mask)
        tl.store(act + H, f.to(act_ptr.dtype.element_ty), mask=mask)
        tl.store(act + 2 * H, g.to(act_ptr.dtype.element_ty), mask=mask)
        tl.store(act + 3 * H, o.to(act_ptr.dtype.element_ty), mask=mask)
    tl.store(c_ptr + row * stride_c + offs, c.to(c_ptr.dtype.element_ty), mask=mask)
    tl.store(h_ptr + row * stride_h + offs, h.to(h_ptr.dtype.element_ty), mask=mask)


@triton.jit
def lstm_gates_backward_kernel(
    # pointers
    act_ptr, c_prev_ptr, c_ptr, dh_ptr, dout_ptr, dc_ptr, dgates_ptr, dc_prev_ptr,
    # sizes
    H,
    # strides (rows)
    stride_act, stride_c_prev, stride_c, stride_dh, stride_dout, stride_dc, stride_dgates, stride_dc_prev,
    # meta
    HAS_DOUT: tl.constexpr, BLOCK: tl.constexpr,
):
    row = tl.program_id(0).to(tl.int64)
    offs = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < H
    act = act_ptr + row * stride_act + offs
    i = tl.load(act, mask=mask).to(tl.float32)
    f = tl.load(act + H, mask=mask).to(tl.float32)
    g = tl.load(act + 2 * H, mask=mask).to(tl.float32)
    o = tl.load(act + 3 * H, mask=mask).to(tl.float32)
    c_prev = tl.load(c_prev_ptr + row * stride_c_prev + offs, mask=mask).to(tl.float32)
    tanh_c = _tanh(tl.load(c_ptr + row * stride_c + offs, mask=mask).to(tl.float32))
    dh = tl.load(dh_ptr + row * stride_dh + offs, mask=mask).to(tl.float32)
    if HAS_DOUT:
        dh += tl.load(dout_ptr + row * stride_dout + offs, mask=mask).to(tl.float32)
    dc = tl.load(dc_ptr + row * stride_dc + offs, mask=mask).to(tl.float32) + dh * o * (1 - tanh_c * tanh_c)
    dgates = dgates_ptr + row * stride_dgates + offs
    ty = dgates_ptr.dtype.element_ty
    tl.store(dgates, (dc * g * i * (1 - i)).to(ty), mask=mask)
    tl.store(dgates + H, (dc * c_prev * f * (1 - f)).to(ty), mask=mask)
    tl.store(dgates + 2 * H, (dc * i * (1 - g * g)).to(ty), mask=mask)
    tl.store(dgates + 3 * H, (dh * tanh_c * o * (1 - o)).to(ty), mask=mask)
    tl.store(dc_prev_ptr + row * stride_dc_prev + offs, (dc * f).to(dc_prev_ptr.dtype.element_ty), mask=mask)


def _grid(batch: int, hidden: int) -> tuple[int, int]:
    return (batch, triton.cdiv(hidden, BLOCK_H))


def lstm_gates_forward(pre, xproj, c_prev, act, c, h) -> None:
    """Write c and h (B, H), and the activations ``act`` (B, 4H) when it is not None."""
    batch, hidden = c_prev.shape
    save = act is not None
    lstm_gates_forward_kernel[_grid(batch, hidden)](
        pre, xproj, c_prev, act if save else c, c, h,
        hidden,
        pre.stride(0), xproj.stride(0), c_prev.stride(0), act.stride(0) if save else 0, c.stride(0), h.stride(0),
        SAVE=save, BLOCK=BLOCK_H,
    )


def lstm_gates_backward(act, c_prev, c, dh, d_out, dc, dgates, dc_prev) -> None:
    """Write ``dgates`` (B, 4H), the pre-activation gradients, and ``dc_prev`` (B, H); ``dh`` is the
    gradient reaching h from the next step, ``d_out`` (or None) the one from the output at this step."""
    batch, hidden = c.shape
    has_dout = d_out is not None
    lstm_gates_backward_kernel[_grid(batch, hidden)](
        act, c_prev, c, dh, d_out if has_dout else dh, dc, dgates, dc_prev,
        hidden,
        act.stride(0), c_prev.stride(0), c.stride(0), dh.stride(0), d_out.stride(0) if has_dout else 0,
        dc.stride(0), dgates.stride(0), dc_prev.stride(0),
        HAS_DOUT=has_dout, BLOCK=BLOCK_H,
    )
