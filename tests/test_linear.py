"""tilesparse.linear against a float64 dense reference (masked dense weight): forward and every gradient.

Each test runs on every backend: the PyTorch reference on CPU, the Triton kernels on CPU tensors through
the interpreter (small shapes), and the Triton kernels on CUDA (marker gpu).
"""


import pytest
import torch

import tilesparse as ts
from backends import LOW_PRECISION, random_layout
from tilesparse import Layout
from tilesparse.bench.linear import tf32
from tolerances import assert_close, assert_products_close


def check_linear(layout, dtype, device, x_shape=None, x=None, bias=True, feature_axis=-1, tf32=False):
    """Run forward + backward and compare output, dX, dW and dbias with float64 dense math."""
    out_features, in_features = layout.shape
    if x is None:
        x = torch.randn(x_shape, device=device).to(dtype)
    x = x.detach().requires_grad_()
    blocks = (torch.randn(layout.packed_shape, device=device) / in_features**0.5).to(dtype).requires_grad_()
    b = torch.randn(out_features, device=device).to(dtype).requires_grad_() if bias else None

    y = ts.linear(x, blocks, layout, b, feature_axis=feature_axis)
    dy = torch.randn_like(y)
    y.backward(dy)

    x64, blocks64 = x.detach().double().requires_grad_(), blocks.detach().double().requires_grad_()
    b64 = b.detach().double().requires_grad_() if bias else None
    w64 = ts.to_dense(blocks64, layout)
    y64 = w64 @ x64 if feature_axis == 0 else x64 @ w64.T
    if bias:
        y64 = y64 + (b64[:, None] if feature_axis == 0 else b64)
    y64.backward(dy.double())

    assert y.device == x.device
    grads = [("dX", x, x64), ("dW", blocks, blocks64), ("dbias", b if bias else None, b64)]
    assert_products_close(y, y64, grads, dtype, tf32)
    return y


@pytest.mark.parametrize("dtype", LOW_PRECISION)
@pytest.mark.parametrize("block_size", ts.SUPPORTED_BLOCK_SIZES)
def test_matches_dense(device, block_size, dtype):
    layout = random_layout(4, 3, block_size)
    check_linear(layout, dtype, device, x_shape=(5, layout.shape[1]))


def test_float64_reference():
    layout = random_layout(3, 4, 8)
    check_linear(layout, torch.float64, "cpu", x_shape=(7, layout.shape[1]))


def test_batch_one(device):
    layout = random_layout(3, 3, 16)
    y = check_linear(layout, torch.float32, device, x_shape=(1, layout.shape[1]))
    assert y.abs().sum() > 0  # the original returned zeros at minibatch 1


def test_leading_dims(device):
    layout = random_layout(2, 3, 8)
    y = check_linear(layout, torch.float32, device, x_shape=(2, 3, 5, layout.shape[1]))
    assert y.shape == (2, 3, 5, layout.shape[0])


def test_non_contiguous_x(device):
    layout = random_layout(3, 2, 16)
    wide = torch.randn(9, 2 * layout.shape[1], device=device)
    check_linear(layout, torch.float32, device, x=wide[::2, ::2])


def test_transposed_x(device):
    layout = random_layout(3, 2, 16)
    x = torch.randn(layout.shape[1], 6, device=device).t()
    assert not x.is_contiguous()
    check_linear(layout, torch.float32, device, x=x)


def test_feature_major(device):
    layout = random_layout(3, 2, 16)
    y = check_linear(layout, torch.float32, device, x_shape=(layout.shape[1], 6), feature_axis=0)
    assert y.shape == (layout.shape[0], 6)


def test_full_layout(device):
    check_linear(Layout(torch.ones(2, 3, dtype=torch.bool), 16), torch.float16, device, x_shape=(33, 48))


def test_single_block(device):
    mask = torch.zeros(3, 3, dtype=torch.bool)
    mask[1, 2] = True
    check_linear(Layout(mask, 32), torch.float32, device, x_shape=(4, 96))


def test_empty_layout_gives_zeros_and_zero_grads(device):
    layout = Layout(torch.zeros(2, 3, dtype=torch.bool), 8)
    x = torch.randn(4, 24, device=device, requires_grad=True)
    blocks = torch.randn(0, 8, 8, device=device, requires_grad=True)
    bias = torch.randn(16, device=device, requires_grad=True)
    y = ts.linear(x, blocks, layout, bias)
    assert torch.equal(y, bias.detach().expand(4, 16))
    y.sum().backward()
    assert torch.equal(x.grad, torch.zeros_like(x))
    assert blocks.grad.shape == (0, 8, 8)


def test_zero_batch(device):
    layout = random_layout(2, 2, 16)
    x = torch.randn(0, 32, device=device, requires_grad=True)
    blocks = torch.randn(layout.packed_shape, device=device, requires_grad=True)
    y = ts.linear(x, blocks, layout)
    assert y.shape == (0, 32)
    y.sum().backward()
    assert x.grad.shape == (0, 32)
    assert torch.equal(blocks.grad, torch.zeros_like(blocks))


def test_only_some_grads(device):
    layout = random_layout(2, 2, 16)
    x = torch.randn(3, 32, device=device)
    blocks = torch.randn(layout.packed_shape, device=device, requires_grad=True)
    ts.linear(x, blocks, layout).sum().backward()
    assert blocks.grad is not None and x.grad is None


def test_gradcheck_float64():
    layout = random_layout(3, 4, 8)
    x = torch.randn(3, layout.shape[1], dtype=torch.float64, requires_grad=True)
    blocks = torch.randn(layout.packed_shape, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(layout.shape[0], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda *a: ts.linear(*a[:2], layout, a[2]), (x, blocks, bias))
    xt = torch.randn(layout.shape[1], 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: ts.linear(a, b, layout, feature_axis=0), (xt, blocks))


# -- torch.library, torch.compile, autocast -----------------------------------------------------------------


def _op_args(device):
    layout = random_layout(3, 2, 16)
    tables = list(layout.tables(device))
    x = torch.randn(5, 32, device=device, requires_grad=True)
    blocks = torch.randn(layout.packed_shape, device=device, requires_grad=True)
    bias = torch.randn(48, device=device, requires_grad=True)
    dy = torch.randn(5, 48, device=device)
    return layout, tables, x, blocks, bias, dy


def test_opcheck(device):
    layout, tables, x, blocks, bias, dy = _op_args(device)
    ops = torch.ops.tilesparse
    torch.library.opcheck(ops.linear_forward.default, (x, blocks, bias, tables, 3))
    torch.library.opcheck(ops.linear_forward.default, (x, blocks, None, tables, 3))
    torch.library.opcheck(ops.linear_backward_input.default, (dy, blocks.detach(), tables, 2))
    torch.library.opcheck(ops.linear_backward_weight.default, (dy, x.detach(), tables, 16))


class _SparseMLP(torch.nn.Module):
    def __init__(self, layout, device):
        super().__init__()
        self.layout = layout
        self.blocks = torch.nn.Parameter(torch.randn(layout.packed_shape, device=device) * 0.1)
        self.bias = torch.nn.Parameter(torch.randn(layout.shape[0], device=device))

    def forward(self, x):
        return torch.tanh(ts.linear(x, self.blocks, self.layout, self.bias)).sum(-1)


def test_compile_fullgraph(device):
    torch._dynamo.reset()
    layout = random_layout(3, 2, 16)
    model = _SparseMLP(layout, device)
    x = torch.randn(2, 7, 32, device=device)
    eager = model(x)
    eager.sum().backward()
    grad = model.blocks.grad.clone()
    model.blocks.grad = None
    compiled = torch.compile(model, fullgraph=True)
    out = compiled(x)
    out.sum().backward()
    assert_close(out, eager, torch.float32, "compiled forward")
    assert_close(model.blocks.grad, grad, torch.float32, "compiled dW")


def test_autocast(device):
    layout = random_layout(2, 2, 16)
    x = torch.randn(4, 32, device=device)
    blocks = torch.randn(layout.packed_shape, device=device, requires_grad=True)
    low = torch.bfloat16
    with torch.autocast(x.device.type, dtype=low):
        y = ts.linear(x, blocks, layout)
    assert y.dtype == low
    ref = x.to(low).double() @ ts.to_dense(blocks.detach().to(low).double(), layout).T
    assert_close(y, ref, low, "autocast forward")
    y.float().sum().backward()
    assert blocks.grad.dtype == torch.float32


# -- bad input ---------------------------------------------------------------------------------------------


def _bad(x=None, blocks=None, layout=None, bias=None, feature_axis=-1):
    layout = layout or Layout(torch.ones(2, 3, dtype=torch.bool), 8)
    x = torch.randn(4, 24) if x is None else x
    blocks = torch.randn(6, 8, 8) if blocks is None else blocks
    return ts.linear(x, blocks, layout, bias, feature_axis=feature_axis)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(x=torch.randn(4, 16)), ValueError, "expected x with 24 features on axis -1"),
        (dict(x=torch.randn(16, 4), feature_axis=0), ValueError, "expected x with 24 features on axis 0"),
        (dict(x=torch.randn(2, 24, 3), feature_axis=0), ValueError, r"expected x of shape \(in_features, N\)"),
        (dict(x=torch.tensor(1.0)), ValueError, r"expected x of shape \(\.\.\., in_features\)"),
        (dict(x=torch.ones(4, 24, dtype=torch.int64)), TypeError, "expected a floating-point x"),
        (dict(blocks=torch.randn(5, 8, 8)), ValueError, r"expected blocks of shape .* = \(6, 8, 8\), got \(5, 8, 8\)"),
        (dict(blocks=torch.randn(6, 16, 16)), ValueError, r"got \(6, 16, 16\)"),
        (dict(blocks=torch.randn(6, 8, 8, dtype=torch.float16)), TypeError, "expected blocks of x's dtype"),
        (dict(bias=torch.randn(15)), ValueError, r"expected bias of shape \(16,\), got \(15,\)"),
        (dict(bias=torch.randn(16, dtype=torch.float64)), TypeError, "expected bias of x's dtype"),
        (dict(layout="dense"), TypeError, "expected layout to be a tilesparse.Layout"),
        (dict(feature_axis=1), ValueError, "expected feature_axis -1"),
    ],
)
def test_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        _bad(**kwargs)


def test_bad_backend(monkeypatch):
    monkeypatch.setenv("TILESPARSE_BACKEND", "cuda")
    with pytest.raises(ValueError, match="expected TILESPARSE_BACKEND in"):
        _bad()


@pytest.mark.gpu
def test_device_mismatch():
    layout = Layout(torch.ones(2, 3, dtype=torch.bool), 8)
    with pytest.raises(ValueError, match="expected blocks on x's device"):
        ts.linear(torch.randn(4, 24, device="cuda"), torch.randn(layout.packed_shape), layout)
    with pytest.raises(ValueError, match="expected bias on x's device"):
        ts.linear(torch.randn(4, 24), torch.randn(layout.packed_shape), layout, torch.randn(16, device="cuda"))


# -- GPU: larger shapes -----------------------------------------------------------------------------------------


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", LOW_PRECISION)
@pytest.mark.parametrize("block_size", ts.SUPPORTED_BLOCK_SIZES)
@pytest.mark.parametrize("batch", [1, 37, 300])
def test_gpu_large(block_size, dtype, batch):
    layout = random_layout(1024 // block_size, 2048 // block_size, block_size, density=0.3)
    torch.backends.cuda.matmul.allow_tf32 = False
    check_linear(layout, dtype, "cuda", x_shape=(batch, layout.shape[1]))


@pytest.mark.gpu
@pytest.mark.parametrize("batch", [256, 32])  # 32 rows: small-batch configs (TF32 blocks of 32: persistent dW)
@pytest.mark.parametrize("block_size", [32, 64])
def test_gpu_tf32(block_size, batch):
    layout = random_layout(1024 // block_size, 1024 // block_size, block_size, density=0.6)
    with tf32(True):
        check_linear(layout, torch.float32, "cuda", x_shape=(batch, 1024), tf32=True)
    with tf32(False):
        check_linear(layout, torch.float32, "cuda", x_shape=(batch, 1024))


def hopper_launches(monkeypatch, launcher, layout, dtype, x_shape):
    """``check_linear`` with TF32 allowed, recording each call of ``linear_hopper.<launcher>`` (its blocks'
    orientation, True: the forward's); also whether this GPU runs the Hopper kernels."""
    from tilesparse.kernels import linear_hopper as hopper

    runs, real = [], getattr(hopper, launcher)
    monkeypatch.setattr(hopper, launcher, lambda *a, **kw: runs.append(a[5]) or real(*a, **kw))
    with tf32(True):
        check_linear(layout, dtype, "cuda", x_shape=x_shape, tf32=dtype == torch.float32)
    return runs, torch.cuda.get_device_capability() == (9, 0) and hopper.gluon_available()


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32], ids=["fp16", "bf16", "tf32"])
@pytest.mark.parametrize("block_size", [16, 32])
def test_gpu_segment_groups(monkeypatch, dtype, block_size):
    """Blocks 32 and 16 at a batch of 300 on a layout of density 0.7: forward and dX take segment groups (on a
    Hopper GPU), from the layout's cached group tables; dX on turned blocks."""
    layout = random_layout(13, 11, block_size, density=0.7)
    runs, hopper_gpu = hopper_launches(monkeypatch, "linear_dsd_hopper_groups", layout, dtype,
                                       (300, 11 * block_size))
    assert runs == ([True, False] if hopper_gpu else [])


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32], ids=["fp16", "bf16", "tf32"])
def test_gpu_segment_pairs(monkeypatch, dtype):
    """Block 64 at a batch of 300 with segments of ~22 blocks: forward and dX take the segment-pair shape (on a
    Hopper GPU), from the layout's cached pair tables."""
    layout = random_layout(32, 32, 64, density=0.7)
    runs, hopper_gpu = hopper_launches(monkeypatch, "linear_dsd_hopper_pairs", layout, dtype, (300, 2048))
    dx_turned = dtype == torch.float32  # TF32 dX multiplies turned blocks, the forward's orientation
    assert runs == ([True, dx_turned] if hopper_gpu else [])


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_gpu_seed_shape(dtype):
    """The original's benchmark shape: weight 12288x12288, block 32, batch 32, 10% density."""
    layout = random_layout(384, 384, 32, density=0.1, empty_row=False, empty_col=False)
    check_linear(layout, dtype, "cuda", x_shape=(32, 12288))
