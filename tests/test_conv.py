"""tilesparse.conv2d / conv1d and their modules against float64 torch convolutions with the masked dense
weight: forward and every gradient (dX, dW, dbias).

Each op test runs on every backend: the PyTorch reference on CPU, the Triton kernels on CPU tensors through
the interpreter (tiny shapes, a subset of the cases), and the Triton kernels on CUDA (marker gpu).
"""

import copy
import io

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import tilesparse as ts
from backends import INTERPRETING, LOW_PRECISION, random_layout
from tilesparse import Layout
from tilesparse.nn.conv import BlockSparseConv1d, BlockSparseConv2d
from tilesparse.ops.conv import conv1d, conv2d, conv_from_dense, conv_to_dense
from tolerances import assert_close, assert_products_close


def check_conv(layout, dtype, device, x, kernel, stride=1, padding=0, dilation=1, bias=True, tf32=False):
    """Forward + backward of conv2d (4-D x) or conv1d (3-D x) against float64 torch with the masked dense
    weight; compares output, dX, dW and dbias. Returns the output."""
    dims = x.dim() - 2
    out_channels, in_channels = layout.shape
    fan_in = in_channels * torch.Size(kernel).numel()
    x = x.to(device, dtype).detach().requires_grad_()
    blocks = (torch.randn(*layout.packed_shape, *kernel, device=device) / fan_in**0.5).to(dtype).requires_grad_()
    b = torch.randn(out_channels, device=device).to(dtype).requires_grad_() if bias else None

    op = conv1d if dims == 1 else conv2d
    y = op(x, blocks, layout, b, stride, padding, dilation)
    dy = torch.randn_like(y)
    y.backward(dy)

    x64, blocks64 = x.detach().double().requires_grad_(), blocks.detach().double().requires_grad_()
    b64 = b.detach().double().requires_grad_() if bias else None
    dense = F.conv1d if dims == 1 else F.conv2d
    y64 = dense(x64, conv_to_dense(blocks64, layout), b64, stride, padding, dilation)
    y64.backward(dy.double())

    assert y.device == x.device
    grads = [("dX", x, x64), ("dW", blocks, blocks64), ("dbias", b if bias else None, b64)]
    assert_products_close(y, y64, grads, dtype, tf32)
    return y


def image(n, channels, h, w, channels_last=False):
    x = torch.randn(n, channels, h, w)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


# -- conv2d against dense ------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", LOW_PRECISION)
@pytest.mark.parametrize("block_size", ts.SUPPORTED_BLOCK_SIZES)
def test_matches_dense(device, block_size, dtype):
    layout = random_layout(2, 3, block_size)
    check_conv(layout, dtype, device, image(2, layout.shape[1], 5, 6), (3, 3), padding=1)


def test_float64_reference():
    layout = random_layout(3, 2, 8)
    check_conv(layout, torch.float64, "cpu", image(2, 16, 5, 7), (3, 3), stride=2, padding=1, dilation=(1, 2))


GEOMETRIES = [  # kernel, stride, padding, dilation, (H, W)
    pytest.param((1, 1), 1, 0, 1, (5, 6), id="1x1"),
    pytest.param((1, 1), 2, 0, 1, (5, 6), id="1x1-stride2"),  # phases no tap reaches: dX zeros
    pytest.param((3, 3), 2, 1, 1, (7, 5), id="3x3-stride2"),
    pytest.param((3, 3), 1, 2, 2, (5, 6), id="3x3-dilation2"),
    pytest.param((3, 3), (2, 3), (0, 2), (2, 1), (9, 7), id="3x3-mixed"),
    pytest.param((5, 5), 1, "same", 1, (5, 6), id="5x5-same"),
    pytest.param((2, 4), 1, "same", (2, 1), (5, 6), id="2x4-same-asymmetric"),
    pytest.param((3, 1), 3, "valid", 1, (7, 4), id="3x1-stride3-valid"),
]


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")
@pytest.mark.parametrize("kernel, stride, padding, dilation, size", GEOMETRIES)
def test_geometry(device, kernel, stride, padding, dilation, size):
    layout = random_layout(2, 3, 8, empty_row=False)
    check_conv(layout, torch.float32, device, image(2, 24, *size), kernel, stride, padding, dilation)


@pytest.mark.parametrize("stride", [1, 2])
def test_channels_last(device, stride):
    layout = random_layout(2, 2, 16)
    x = image(2, 32, 5, 6, channels_last=True)
    y = check_conv(layout, torch.float16, device, x, (3, 3), stride=stride, padding=1)
    assert y.is_contiguous(memory_format=torch.channels_last)


def test_non_contiguous_x(device):
    layout = random_layout(2, 2, 8)
    wide = torch.randn(2, 40, 6, 11)
    check_conv(layout, torch.float32, device, wide[:, 3:19, :, ::2], (3, 3), padding=1)


def test_batch_one(device):
    layout = random_layout(2, 2, 16, empty_row=False)
    y = check_conv(layout, torch.float32, device, image(1, 32, 4, 5), (3, 3))
    assert y.abs().sum() > 0


def test_full_layout(device):
    layout = Layout(torch.ones(2, 2, dtype=torch.bool), 16)
    check_conv(layout, torch.bfloat16, device, image(2, 32, 5, 5), (3, 3), padding=1, bias=False)


def test_single_block(device):
    mask = torch.zeros(3, 3, dtype=torch.bool)
    mask[1, 2] = True
    check_conv(Layout(mask, 8), torch.float32, device, image(2, 24, 4, 6), (3, 3), padding=1)


def test_empty_layout_gives_bias_and_zero_grads(device):
    layout = Layout(torch.zeros(2, 3, dtype=torch.bool), 8)
    x = torch.randn(2, 24, 4, 5, device=device, requires_grad=True)
    blocks = torch.randn(0, 8, 8, 3, 3, device=device, requires_grad=True)
    bias = torch.randn(16, device=device, requires_grad=True)
    y = conv2d(x, blocks, layout, bias, padding=1)
    assert torch.equal(y, bias.detach()[:, None, None].expand(2, 16, 4, 5))
    y.sum().backward()
    assert torch.equal(x.grad, torch.zeros_like(x))
    assert blocks.grad.shape == (0, 8, 8, 3, 3)


def test_zero_batch(device):
    layout = random_layout(2, 2, 8)
    x = torch.randn(0, 16, 5, 5, device=device, requires_grad=True)
    blocks = torch.randn(*layout.packed_shape, 3, 3, device=device, requires_grad=True)
    y = conv2d(x, blocks, layout)
    assert y.shape == (0, 16, 3, 3)
    y.sum().backward()
    assert x.grad.shape == x.shape
    assert torch.equal(blocks.grad, torch.zeros_like(blocks))


def test_gradcheck_float64():
    layout = random_layout(2, 2, 8)
    x = torch.randn(1, 16, 5, 4, dtype=torch.float64, requires_grad=True)
    blocks = torch.randn(*layout.packed_shape, 3, 2, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(16, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda *a: conv2d(*a[:2], layout, a[2], 2, (1, 0), (1, 2)), (x, blocks, bias))
    x1 = torch.randn(2, 16, 6, dtype=torch.float64, requires_grad=True)
    blocks1 = torch.randn(*layout.packed_shape, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: conv1d(a, b, layout, padding="same"), (x1, blocks1))


# -- conv1d --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kernel, stride, padding, dilation",
    [((3,), 1, 1, 1), ((4,), 1, "same", 2), ((3,), 2, 2, 2), ((1,), 1, 0, 1)],
    ids=["k3", "k4-same-dilation2", "k3-stride2-dilation2", "k1"],
)
def test_conv1d(device, kernel, stride, padding, dilation):
    layout = random_layout(3, 2, 8)
    y = check_conv(layout, torch.float32, device, torch.randn(2, 16, 9), kernel, stride, padding, dilation)
    assert y.dim() == 3


def test_conv1d_channels_last(device):
    layout = random_layout(2, 2, 16)
    x = torch.randn(2, 7, 32).transpose(1, 2)  # channel dim contiguous
    check_conv(layout, torch.float16, device, x, (3,), padding=1)


# -- the kernels with small tiles: several pixel tiles, a split dW reduction ---------------------------------


@pytest.mark.interpreter
@pytest.mark.skipif(not INTERPRETING, reason="needs TRITON_INTERPRET=1")
@pytest.mark.parametrize(
    "taps_fastest, group_size, transposed", [(True, 4, True), (False, 1, False)], ids=["taps-fastest", "blocks-fastest"]
)
def test_kernels_small_tiles(taps_fastest, group_size, transposed):
    """Both orders of the forward/dX flat loop; dW groups wider than the rows (masked) and of one block, in
    both MMA orientations."""
    from tilesparse.kernels import conv_dsd, conv_sdd
    from tilesparse.layout import row_groups
    from tilesparse.reference import conv as reference

    layout = random_layout(2, 3, 8, density=0.7, empty_row=False)
    t = layout.tables()
    group_first, group_rows = row_groups(t.row_ptr, group_size)
    x, blocks = torch.randn(3, 24, 7, 5), torch.randn(*layout.packed_shape, 3, 3)
    stride, padding, dilation = (2, 1), (1, 1, 0, 0), (1, 2)
    out_size = reference.conv2d_output_size((7, 5), (3, 3), stride, padding, dilation)
    dy = torch.randn(3, 16, *out_size)
    geometry = (stride, (1, 0), dilation)  # the kernels take (top, left) padding
    tiles = conv_dsd.DsdConfig(block_p=16, num_warps=1, num_stages=1, taps_fastest=taps_fastest)
    split = conv_sdd.SddConfig(block_p=16, split=3, num_warps=1, num_stages=1, transposed=transposed)

    y = conv_dsd.conv2d_forward(x, blocks, t.row_ptr, t.row_cols, t.row_blocks, 2, out_size, *geometry, config=tiles)
    dx = conv_dsd.conv2d_backward_input(
        dy, blocks, t.col_ptr, t.col_rows, t.col_blocks, 3, (7, 5), *geometry, config=tiles
    )
    dw = conv_sdd.conv2d_backward_weight(
        dy, x, t.row_ptr, t.block_cols, group_first, group_rows, 8, group_size, (3, 3), *geometry, config=split
    )

    x64, blocks64, dy64 = x.double(), blocks.double(), dy.double()
    geometry64 = (stride, padding, dilation)
    assert_close(y, reference.conv2d_forward(x64, blocks64, t, 2, *geometry64), torch.float32, "forward")
    assert_close(dx, reference.conv2d_backward_input(dy64, blocks64, t, 3, (7, 5), *geometry64), torch.float32, "dX")
    assert_close(dw, reference.conv2d_backward_weight(dy64, x64, t, 8, (3, 3), *geometry64), torch.float32, "dW")


# -- torch.library, torch.compile, autocast ------------------------------------------------------------------


def opcheck_conv(layout, device):
    """torch.library.opcheck of the three conv ops on a 2 x 2-block layout of block 8 (16 channels in and out)."""
    tables = list(layout.tables(device))
    x = torch.randn(2, 16, 5, 4, device=device, requires_grad=True)
    blocks = torch.randn(*layout.packed_shape, 3, 3, device=device, requires_grad=True)
    bias = torch.randn(16, device=device, requires_grad=True)
    geometry = ([2, 1], [1, 1, 0, 0], [1, 1])
    dy = torch.randn(2, 16, 3, 2, device=device)
    ops = torch.ops.tilesparse
    torch.library.opcheck(ops.conv2d_forward.default, (x, blocks, bias, tables, 2, *geometry))
    x_cl = x.detach().to(memory_format=torch.channels_last).requires_grad_()
    torch.library.opcheck(ops.conv2d_forward.default, (x_cl, blocks, None, tables, 2, *geometry))
    torch.library.opcheck(ops.conv2d_backward_input.default, (dy, blocks.detach(), tables, 2, [5, 4], *geometry))
    torch.library.opcheck(ops.conv2d_backward_weight.default, (dy, x.detach(), tables, 8, [3, 3], *geometry))


def test_opcheck(device):
    opcheck_conv(random_layout(2, 2, 8), device)


class _SparseConvNet(nn.Module):
    def __init__(self, device):
        super().__init__()
        self.conv1 = BlockSparseConv2d(16, 32, 3, padding=1, device=device, layout=random_layout(4, 2, 8))
        self.conv2 = BlockSparseConv1d(32, 16, 3, stride=2, device=device, layout=random_layout(2, 4, 8))

    def forward(self, x):
        return self.conv2(torch.tanh(self.conv1(x)).flatten(2)).sum((1, 2))


def test_compile_fullgraph(compiled_device):
    torch._dynamo.reset()
    model = _SparseConvNet(compiled_device)
    x = torch.randn(2, 16, 4, 5, device=compiled_device)
    eager = model(x)
    eager.sum().backward()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad(set_to_none=True)
    compiled = torch.compile(model, fullgraph=True)
    out = compiled(x)
    out.sum().backward()
    assert_close(out, eager, torch.float32, "compiled forward")
    for p, grad in zip(model.parameters(), grads, strict=True):
        assert_close(p.grad, grad, torch.float32, "compiled gradient")


def test_autocast(device):
    layout = random_layout(2, 2, 8)
    x = torch.randn(2, 16, 4, 4, device=device)
    blocks = torch.randn(*layout.packed_shape, 3, 3, device=device, requires_grad=True)
    low = torch.bfloat16
    with torch.autocast(x.device.type, dtype=low):
        y = conv2d(x, blocks, layout, padding=1)
    assert y.dtype == low
    ref = F.conv2d(x.to(low).double(), conv_to_dense(blocks.detach().to(low).double(), layout), padding=1)
    assert_close(y, ref, low, "autocast forward")
    y.float().sum().backward()
    assert blocks.grad.dtype == torch.float32


# -- bad input -----------------------------------------------------------------------------------------------


def _bad(x=None, blocks=None, layout=None, bias=None, stride=1, padding=0, dilation=1, op=conv2d):
    layout = layout or Layout(torch.ones(2, 3, dtype=torch.bool), 8)
    x = torch.randn(2, 24, 5, 5) if x is None else x
    blocks = torch.randn(6, 8, 8, 3, 3) if blocks is None else blocks
    return op(x, blocks, layout, bias, stride, padding, dilation)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(x=torch.randn(2, 20, 5, 5)), ValueError, "expected x with the layout's 24 input channels"),
        (dict(x=torch.randn(24, 5, 5)), ValueError, r"expected x of shape \(N, C, H, W\), got \(24, 5, 5\)"),
        (dict(x=torch.randn(2, 16, 5), op=conv1d, blocks=torch.randn(6, 8, 8, 3)), ValueError, "24 input channels"),
        (dict(x=torch.randn(2, 24, 5, 5), op=conv1d), ValueError, r"expected x of shape \(N, C, L\)"),
        (dict(x=torch.ones(2, 24, 5, 5, dtype=torch.int64)), TypeError, "expected a floating-point x"),
        (dict(blocks=torch.randn(5, 8, 8, 3, 3)), ValueError, r"expected blocks of shape .*, got \(5, 8, 8, 3, 3\)"),
        (dict(blocks=torch.randn(6, 8, 8, 3)), ValueError, r"\(kh, kw\), got \(6, 8, 8, 3\)"),
        (dict(blocks=torch.randn(6, 8, 8, 3, 3, dtype=torch.float16)), TypeError, "expected blocks of x's dtype"),
        (dict(blocks=torch.randn(6, 8, 8, 7, 3)), ValueError, r"expected an input no smaller than the dilated kernel"),
        (dict(dilation=3), ValueError, r"got output size \(-1, -1\)"),
        (dict(stride=0), ValueError, "expected stride >= 1, got 0"),
        (dict(stride=(1, 2, 3)), TypeError, "expected stride to be an int or a tuple of 2 ints"),
        (dict(stride=1.5), TypeError, "expected stride to be an int or a tuple of 2 ints"),
        (dict(padding=-1), ValueError, "expected padding >= 0"),
        (dict(padding="full"), ValueError, "expected padding 'same', 'valid'"),
        (dict(padding="same", stride=2), ValueError, r"expected stride 1 with padding='same', got stride \(2, 2\)"),
        (dict(bias=torch.randn(15)), ValueError, r"expected bias of shape \(16,\), got \(15,\)"),
        (dict(bias=torch.randn(16, dtype=torch.float64)), TypeError, "expected bias of x's dtype"),
        (dict(layout="dense"), TypeError, "expected layout to be a tilesparse.Layout"),
    ],
)
def test_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        _bad(**kwargs)


@pytest.mark.gpu
def test_device_mismatch():
    layout = Layout(torch.ones(2, 3, dtype=torch.bool), 8)
    with pytest.raises(ValueError, match="expected blocks on x's device"):
        conv2d(torch.randn(2, 24, 5, 5, device="cuda"), torch.randn(6, 8, 8, 3, 3), layout)
    with pytest.raises(ValueError, match="expected bias on x's device"):
        conv2d(torch.randn(2, 24, 5, 5), torch.randn(6, 8, 8, 3, 3), layout, torch.randn(16, device="cuda"))


# -- modules -------------------------------------------------------------------------------------------------


def make_module(cls, layout, kernel_size, device="cpu", dtype=torch.float32, **kwargs):
    out_channels, in_channels = layout.shape
    module = cls(in_channels, out_channels, kernel_size, device=device, dtype=dtype, layout=layout, **kwargs)
    with torch.no_grad():
        module.bias.normal_()
    return module


@pytest.mark.parametrize(
    "cls, kernel_size, kwargs, x_shape",
    [
        (BlockSparseConv2d, 3, dict(stride=2, padding=1), (2, 16, 5, 6)),
        (BlockSparseConv2d, (1, 3), dict(padding="same", dilation=2), (1, 16, 3, 5)),
        (BlockSparseConv1d, 3, dict(padding=1, dilation=2), (2, 16, 7)),
    ],
    ids=["conv2d", "conv2d-same", "conv1d"],
)
def test_module_matches_masked_dense(device, cls, kernel_size, kwargs, x_shape):
    module = make_module(cls, random_layout(3, 2, 8), kernel_size, device, **kwargs)
    dense = module.to_conv().double()
    assert isinstance(dense, module._dense)
    x = torch.randn(x_shape, device=device)
    y = module(x)
    y64 = dense(x.double())
    assert_close(y, y64, torch.float32, "forward")
    dy = torch.randn_like(y)
    y.backward(dy)
    y64.backward(dy.double())
    assert_close(module.weight.grad, conv_from_dense(dense.weight.grad, module.layout), torch.float32, "dW")
    assert_close(module.bias.grad, dense.bias.grad, torch.float32, "dbias")


def test_module_attributes_and_repr():
    layout = random_layout(4, 2, 8)
    module = BlockSparseConv2d(16, 32, (3, 5), stride=2, padding=(1, 2), bias=False, layout=layout)
    assert module.weight.shape == (layout.nnz, 8, 8, 3, 5)
    assert module.bias is None and module.kernel_size == (3, 5) and module.padding == (1, 2)
    assert module.stride == (2, 2) and module.dilation == (1, 1)
    assert torch.equal(module.layout_mask, layout.mask)
    assert "block_size=8" in repr(module) and f"nnz={layout.nnz}" in repr(module)


def test_module_fan_in_init():
    """Each output channel's weights have variance 1 / (3 * real fan-in), real fan-in = row blocks * bs * taps."""
    mask = torch.zeros(2, 8, dtype=torch.bool)
    mask[0, :2] = True
    mask[1, :] = True
    layout = Layout(mask, 16)
    module = BlockSparseConv2d(128, 32, 3, layout=layout)
    rows = layout.tables().block_rows
    for row, count in enumerate([2, 8]):
        fan_in = count * 16 * 9
        assert abs(module.weight[rows == row].var().item() * 3 * fan_in - 1) < 0.1
        assert module.bias[row * 16 : row * 16 + 16].abs().max() <= fan_in**-0.5


def test_module_bad_layout():
    with pytest.raises(ValueError, match="expected in_channels divisible by the layout's block_size 8, got 20"):
        BlockSparseConv2d(20, 16, 3, layout=random_layout(2, 3, 8))
    with pytest.raises(ValueError, match=r"expected a layout of shape \(out_channels, in_channels\)"):
        BlockSparseConv2d(16, 16, 3, layout=random_layout(2, 3, 8))
    with pytest.raises(ValueError, match="expected stride 1 with padding='same'"):
        BlockSparseConv2d(24, 16, 3, stride=2, padding="same", layout=random_layout(2, 3, 8))


def test_from_dense_to_dense():
    conv = nn.Conv2d(32, 16, 3, stride=2, padding=1, dilation=1)
    with torch.no_grad():
        conv.weight[:8, 8:16] *= 10  # block (0, 1) has by far the largest norm
    sparse = BlockSparseConv2d.from_dense(conv, 0.25, block_size=8)
    assert sparse.layout.nnz == 2 and sparse.layout.mask[0, 1]
    assert sparse.stride == (2, 2) and sparse.padding == (1, 1)
    expected = (
        conv.weight.detach() * sparse.layout.mask.repeat_interleave(8, 0).repeat_interleave(8, 1)[..., None, None]
    )
    assert torch.equal(sparse.to_dense(), expected)
    x = torch.randn(2, 32, 6, 6)
    assert_close(sparse(x), F.conv2d(x.double(), expected.double(), conv.bias.double(), 2, 1), torch.float32, "fwd")
    full = BlockSparseConv2d.from_dense(conv, Layout(torch.ones(2, 4, dtype=torch.bool), 8))
    assert torch.equal(full.to_dense(), conv.weight)
    conv1 = nn.Conv1d(16, 8, 5, padding="same", bias=False)
    sparse1 = BlockSparseConv1d.from_dense(conv1, 1.0, block_size=8, norm="max")
    assert torch.equal(sparse1.to_dense(), conv1.weight) and sparse1.bias is None


def test_from_dense_bad_input():
    with pytest.raises(TypeError, match="expected an nn.Conv2d, got Conv1d"):
        BlockSparseConv2d.from_dense(nn.Conv1d(16, 16, 3), 0.5, 8)
    with pytest.raises(ValueError, match="expected groups=1"):
        BlockSparseConv2d.from_dense(nn.Conv2d(16, 16, 3, groups=2), 0.5, 8)
    with pytest.raises(ValueError, match="expected a block_size with a density"):
        BlockSparseConv2d.from_dense(nn.Conv2d(16, 16, 3), 0.5)


def test_state_dict_round_trip():
    module = make_module(BlockSparseConv2d, random_layout(3, 2, 8), 3, padding=1)
    state = module.state_dict()
    assert state["layout_mask"].dtype == torch.bool and state["_extra_state"] == {"block_size": 8}
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    other = BlockSparseConv2d(16, 24, 3, padding=1, layout=Layout(torch.ones(3, 2, dtype=torch.bool), 8))
    other.load_state_dict(torch.load(buffer))
    assert other.layout == module.layout and other.weight.shape == module.weight.shape
    x = torch.randn(1, 16, 4, 4)
    assert torch.equal(other(x), module(x))
    clone = copy.deepcopy(module)
    assert clone.layout == module.layout and torch.equal(clone.weight, module.weight)


def test_state_dict_wrong_channels():
    module = make_module(BlockSparseConv2d, random_layout(3, 2, 8), 3)
    other = BlockSparseConv2d(16, 32, 3, layout=random_layout(4, 2, 8))
    with pytest.raises(RuntimeError, match="expected a layout of shape"):
        other.load_state_dict(module.state_dict())


# -- GPU: larger shapes --------------------------------------------------------------------------------------


@pytest.mark.gpu
@pytest.mark.parametrize("channels_last", [False, True], ids=["nchw", "channels-last"])
@pytest.mark.parametrize("dtype", LOW_PRECISION)
@pytest.mark.parametrize("block_size", ts.SUPPORTED_BLOCK_SIZES)
def test_gpu_large(block_size, dtype, channels_last):
    torch.backends.cuda.matmul.allow_tf32 = False
    layout = random_layout(128 // block_size, max(64 // block_size, 1), block_size, density=0.5)
    x = image(8, layout.shape[1], 16, 16, channels_last)
    check_conv(layout, dtype, "cuda", x, (3, 3), padding=1)


@pytest.mark.gpu
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")
@pytest.mark.parametrize("kernel, stride, padding, dilation, size", GEOMETRIES)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_gpu_geometry(dtype, kernel, stride, padding, dilation, size):
    layout = random_layout(128 // 32, 96 // 32, 32, density=0.5)
    x = image(8, 96, 3 * size[0], 3 * size[1], channels_last=True)
    check_conv(layout, dtype, "cuda", x, kernel, stride, padding, dilation)


@pytest.mark.gpu
def test_gpu_tf32():
    layout = random_layout(4, 4, 32, density=0.5)
    previous = torch.backends.cuda.matmul.allow_tf32
    try:
        torch.backends.cuda.matmul.allow_tf32 = True
        check_conv(layout, torch.float32, "cuda", image(8, 128, 16, 16, True), (3, 3), padding=1, tf32=True)
    finally:
        torch.backends.cuda.matmul.allow_tf32 = previous


@pytest.mark.gpu
def test_gpu_split_weight_gradient():
    """Few (block, tap) pairs and many pixels: the dW reduction is split across programs."""
    layout = random_layout(2, 2, 64, density=1.0, empty_row=False, empty_col=False)
    check_conv(layout, torch.float16, "cuda", image(16, 128, 64, 64, True), (1, 1))


def test_module_to_channels_last_and_dtype():
    """Module.to(memory_format=channels_last) converts 4-D/5-D tensors; the packed 5-D weight must survive it
    (with its gradient), and dtype conversion still reaches it."""
    layout = random_layout(2, 2, 8)
    model = nn.Sequential(nn.Conv2d(3, 16, 3), BlockSparseConv2d(16, 16, 3, layout=layout))
    x = torch.randn(2, 3, 9, 9)
    model(x).sum().backward()
    weight, grad = model[1].weight.detach().clone(), model[1].weight.grad.clone()
    model.to(memory_format=torch.channels_last)
    assert model[1].weight.shape == weight.shape and torch.equal(model[1].weight, weight)
    assert torch.equal(model[1].weight.grad, grad)
    assert model[0].weight.is_contiguous(memory_format=torch.channels_last)
    model.to(torch.float64)
    assert model[1].weight.dtype == torch.float64 and model[1].weight.shape == weight.shape
    assert model(x.double()).shape == (2, 16, 5, 5)
