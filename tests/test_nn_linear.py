"""tilesparse.nn: BlockSparseLinear against a float64 nn.Linear holding the masked dense weight, its state
dict, conversions, sparsify, the initialisers and the per-block gate.

Tests that run the op take the ``device`` fixture: the PyTorch reference on CPU, the Triton kernels on
CPU tensors through the interpreter (tiny shapes), and the Triton kernels on CUDA (marker gpu).
"""

import copy
import io
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

import tilesparse as ts
from backends import LOW_PRECISION
from tilesparse import Layout, layouts
from tilesparse.nn import BlockSparseLinear, init, sparsify
from tolerances import assert_close, tolerance

SRC = str(Path(__file__).resolve().parents[1] / "src")


def small_layout(block_size=8):
    """3 x 2 blocks: row 0 full, row 1 one block, row 2 empty."""
    return Layout(torch.tensor([[True, True], [False, True], [False, False]]), block_size)


def make_layer(layout, dtype=torch.float32, device="cpu", gate="learned", bias=True):
    out_features, in_features = layout.shape
    layer = BlockSparseLinear(in_features, out_features, layout, bias=bias, device=device, dtype=dtype, gate=gate)
    with torch.no_grad():
        if bias:
            layer.bias.normal_()
        if gate is not None:
            layer.gate.uniform_(0.5, 1.5)
    return layer


def check_layer(layer, x, dtype):
    """Forward + backward of ``layer`` against a float64 nn.Linear holding its masked dense weight; compares
    the output and the gradients of x, weight, bias and gate."""
    layout = layer.layout
    x = x.detach().requires_grad_()
    y = layer(x)
    dy = torch.randn_like(y)
    y.backward(dy)

    dense = nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None, dtype=torch.float64)
    weight64 = layer.weight.detach().double().cpu()
    gate64 = layer.gate.detach().double().cpu() if layer.gate is not None else torch.ones(layout.nnz).double()
    with torch.no_grad():
        dense.weight.copy_(ts.to_dense(layer.effective_weight().detach().double().cpu(), layout))
        if layer.bias is not None:
            dense.bias.copy_(layer.bias.detach())
    x64 = x.detach().double().cpu().requires_grad_()
    y64 = dense(x64)
    y64.backward(dy.double().cpu())
    dense_grad = ts.from_dense(dense.weight.grad, layout)  # d loss / d (weight * gate), packed

    assert y.dtype == dtype and y.shape == (*x.shape[:-1], layer.out_features)
    assert_close(y, y64, dtype, "forward")
    assert_close(x.grad, x64.grad, dtype, "dX")
    assert_close(layer.weight.grad, dense_grad * gate64[:, None, None], dtype, "dW")
    if layer.bias is not None:
        assert_close(layer.bias.grad, dense.bias.grad, dtype, "dbias")
    if isinstance(layer.gate, nn.Parameter):
        assert_sum_close(layer.gate.grad, dense_grad * weight64, dtype, "dgate")


def assert_sum_close(out, terms, dtype, what):
    """``out[k]`` against ``terms[k].sum()``, the error relative to ``terms[k].abs().sum()``: a sum that cancels
    keeps the rounding error of its terms (here the low-precision dW), so that is the scale to judge it by."""
    ref, scale = terms.sum((1, 2)), terms.abs().sum((1, 2)).clamp(min=1e-30)
    err = ((out.detach().double().cpu() - ref).abs() / scale).max().item()
    assert err <= tolerance(dtype), f"{what}: error {err:.3e} of the sum of |terms| > {tolerance(dtype):.1e} ({dtype})"


# -- the layer against masked dense nn.Linear -----------------------------------------------------------------


@pytest.mark.parametrize("gate", [None, "learned"])
@pytest.mark.parametrize("dtype", LOW_PRECISION)
def test_matches_masked_dense(device, dtype, gate):
    layer = make_layer(small_layout(), dtype, device, gate=gate)
    check_layer(layer, torch.randn(2, 3, 16, device=device).to(dtype), dtype)


@pytest.mark.parametrize("bias", [True, False])
def test_float64(bias):
    layer = make_layer(small_layout(16), torch.float64, bias=bias)
    check_layer(layer, torch.randn(5, 32, dtype=torch.float64), torch.float64)


def test_fixed_gate_is_a_buffer(device):
    layer = make_layer(small_layout(), device=device, gate="fixed")
    assert "gate" in dict(layer.named_buffers()) and "gate" not in dict(layer.named_parameters())
    check_layer(layer, torch.randn(4, 16, device=device), torch.float32)
    assert layer.gate.grad is None


def test_gate_tensor_values_and_kind():
    layout = small_layout()
    values = torch.tensor([0.5, 2.0, 0.0])
    fixed = BlockSparseLinear(16, 24, layout, gate=values)
    learned = BlockSparseLinear(16, 24, layout, gate=nn.Parameter(values.clone()))
    assert fixed.gate_mode == "fixed" and learned.gate_mode == "learned"
    assert torch.equal(fixed.gate, values) and torch.equal(learned.gate.detach(), values)
    # A zero gate drops its block from the dense weight.
    dense = fixed.to_dense()
    assert torch.equal(dense[8:16, 8:16], torch.zeros(8, 8))
    assert torch.equal(dense[:8, :8], 0.5 * fixed.weight.detach()[0])


def test_zero_gate_still_learns(device):
    layer = make_layer(small_layout(), device=device)
    with torch.no_grad():
        layer.gate.zero_()
    layer(torch.randn(4, 16, device=device)).square().sum().backward()
    assert layer.gate.grad.abs().sum() > 0
    assert torch.equal(layer.weight.grad, torch.zeros_like(layer.weight))


def test_autocast(device):
    layer = make_layer(small_layout(16), device=device)
    x = torch.randn(4, 32, device=device)
    with torch.autocast(x.device.type, dtype=torch.bfloat16):
        y = layer(x)
    assert y.dtype == torch.bfloat16
    ref = layer.to_linear().double()(x.to(torch.bfloat16).double())
    assert_close(y, ref, torch.bfloat16, "autocast forward")
    y.float().sum().backward()
    assert layer.weight.grad.dtype == layer.gate.grad.dtype == torch.float32


def test_to_dtype_keeps_the_mask():
    layer = make_layer(small_layout()).to(torch.float64)
    assert layer.weight.dtype == layer.gate.dtype == layer.bias.dtype == torch.float64
    assert layer.layout_mask.dtype == torch.bool
    check_layer(layer, torch.randn(3, 16, dtype=torch.float64), torch.float64)


def test_optimizer_step():
    layer = make_layer(small_layout())
    before = {name: p.detach().clone() for name, p in layer.named_parameters()}
    optimizer = torch.optim.AdamW(layer.parameters(), lr=1e-2)
    layer(torch.randn(8, 16)).square().mean().backward()
    optimizer.step()
    for name, p in layer.named_parameters():
        assert not torch.equal(p, before[name]), f"{name} did not change"
    assert layer.weight.shape == layer.layout.packed_shape


def test_compile_fullgraph(device):
    torch._dynamo.reset()
    layer = make_layer(small_layout(), device=device)
    x = torch.randn(2, 5, 16, device=device)
    eager = layer(x)
    eager.sum().backward()
    grads = [p.grad.clone() for p in layer.parameters()]
    layer.zero_grad()
    compiled = torch.compile(layer, fullgraph=True)
    out = compiled(x)
    out.sum().backward()
    assert_close(out, eager, torch.float32, "compiled forward")
    for (name, p), grad in zip(layer.named_parameters(), grads, strict=True):
        assert_close(p.grad, grad, torch.float32, f"compiled d{name}")
    # Loading another layout into the module recompiles instead of reusing the old graph.
    layer.load_state_dict(make_layer(Layout(torch.ones(3, 2, dtype=torch.bool), 8), device=device).state_dict())
    with torch.no_grad():
        assert_close(compiled(x), layer(x), torch.float32, "compiled forward after a new layout")


# Run in a fresh interpreter that leaves by os._exit: when the DDP module (its reducer holds the gloo process group)
# is freed in the test's own process, the group's destructor joins gloo's run-loop thread while holding the GIL,
# and that thread, freeing its last work item, waits for the GIL: about one run in ten hung there (gdb: the main
# thread in ~ProcessGroupGloo -> std::thread::join, pt_gloo_runloop in take_gil).
DDP_SCRIPT = """
import os, sys, torch
from torch.nn.parallel import DistributedDataParallel
from tilesparse import Layout
from tilesparse.nn import BlockSparseLinear

torch.distributed.init_process_group("gloo", init_method="file://" + sys.argv[1], rank=0, world_size=1)
layout = Layout(torch.tensor([[True, True], [False, True], [False, False]]), 8)
layer = BlockSparseLinear(16, 24, layout)
model = DistributedDataParallel(layer)
model(torch.randn(4, 16)).sum().backward()
missing = [name for name, p in layer.named_parameters() if p.grad is None]
print("no gradient for", missing if missing else "none", flush=True)
os._exit(1 if missing else 0)
"""


@pytest.mark.skipif(not torch.distributed.is_available(), reason="needs torch.distributed")
def test_ddp(tmp_path):
    """BlockSparseLinear under DistributedDataParallel (gloo, one process): every parameter gets a gradient."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")]))}
    run = subprocess.run([sys.executable, "-c", DDP_SCRIPT, str(tmp_path / "store")], env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, f"expected every parameter to get a gradient, got: {run.stdout}{run.stderr}"
    assert "no gradient for none" in run.stdout


def test_extra_repr():
    text = repr(BlockSparseLinear(16, 24, small_layout(), bias=False, gate="fixed"))
    for part in ("in_features=16", "out_features=24", "block_size=8", "density=0.5000", "nnz=3", "bias=False"):
        assert part in text
    assert "gate=fixed" in text


# -- state dict ------------------------------------------------------------------------------------------------


def test_state_dict_round_trip():
    layer = make_layer(layouts.random(32, 48, 16, 0.5, seed=1))
    state = layer.state_dict()
    assert state["layout_mask"].dtype == torch.bool and torch.equal(state["layout_mask"], layer.layout.mask)
    assert state["_extra_state"] == {"block_size": 16}
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    other = make_layer(layer.layout)
    other.load_state_dict(torch.load(buffer))
    x = torch.randn(3, 48)
    assert torch.equal(other(x), layer(x))


def test_state_dict_restores_another_layout():
    saved = make_layer(layouts.random(32, 48, 16, 0.5, seed=1))
    target = make_layer(layouts.random(32, 48, 8, 0.25, seed=2))
    weight, gate = target.weight, target.gate
    target(torch.randn(2, 48)).sum().backward()
    target.load_state_dict(saved.state_dict())
    assert target.layout == saved.layout and target.block_size == 16
    assert target.weight is weight and target.gate is gate  # same Parameters: optimizers keep them
    assert target.weight.grad is None
    assert torch.equal(target.weight, saved.weight) and torch.equal(target.layout_mask, saved.layout_mask)
    x = torch.randn(3, 48)
    assert torch.equal(target(x), saved(x))
    assert "block_size=16" in repr(target)


def test_state_dict_wrong_features():
    saved = make_layer(layouts.random(32, 48, 16, 0.5, seed=1))
    target = make_layer(layouts.random(32, 64, 16, 0.5, seed=1))
    with pytest.raises(RuntimeError, match=r"expected a layout of shape \(out_features, in_features\) = \(32, 64\)"):
        target.load_state_dict(saved.state_dict())


def test_deepcopy_and_pickle():
    layer = make_layer(small_layout())
    buffer = io.BytesIO()
    torch.save(layer, buffer)
    buffer.seek(0)
    x = torch.randn(2, 16)
    for other in (copy.deepcopy(layer), torch.load(buffer, weights_only=False)):
        assert other.layout == layer.layout
        assert torch.equal(other(x), layer(x))


# -- conversions -----------------------------------------------------------------------------------------------


def test_from_dense_to_dense_to_linear():
    linear = nn.Linear(48, 32)
    layer = BlockSparseLinear.from_dense(linear, 0.5, block_size=16)
    assert layer.layout == layouts.from_weight(linear.weight, 16, 0.5)
    mask = layer.layout.mask.repeat_interleave(16, 0).repeat_interleave(16, 1)
    pruned = linear.weight.detach() * mask
    assert torch.equal(layer.to_dense(), pruned)
    assert torch.equal(layer.bias, linear.bias)
    back = layer.to_linear()
    assert isinstance(back, nn.Linear) and torch.equal(back.weight, pruned) and torch.equal(back.bias, linear.bias)
    x = torch.randn(4, 48)
    assert_close(layer(x), back(x), torch.float32, "to_linear forward")
    again = BlockSparseLinear.from_dense(back, layer.layout)
    assert torch.equal(again.weight, layer.weight)


def test_from_dense_follows_the_linear():
    linear = nn.Linear(32, 16, bias=False, dtype=torch.float64).eval().requires_grad_(False)
    layer = BlockSparseLinear.from_dense(linear, 0.5, 8, norm="max", gate="learned")
    assert layer.weight.dtype == torch.float64 and layer.bias is None and not layer.training
    assert not layer.weight.requires_grad and layer.gate.requires_grad
    assert layer.layout == layouts.from_weight(linear.weight, 8, 0.5, norm="max")


def test_to_dense_is_differentiable():
    layer = make_layer(small_layout())
    layer.to_dense().sum().backward()
    assert torch.equal(layer.weight.grad, layer.gate.detach()[:, None, None].expand_as(layer.weight))


# -- sparsify --------------------------------------------------------------------------------------------------


def mlp():
    return nn.Sequential(
        nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 48), nn.ReLU(), nn.Linear(48, 10), nn.ReLU(), nn.Linear(10, 16)
    )


def test_sparsify_mlp():
    model = mlp()
    reference = copy.deepcopy(model)
    for i in (0, 2):  # prune the reference's divisible layers by hand
        layer = reference[i]
        keep = layouts.from_weight(layer.weight, 16, 0.25).mask.repeat_interleave(16, 0).repeat_interleave(16, 1)
        with torch.no_grad():
            layer.weight.mul_(keep)
    assert sparsify(model, 0.25, 16) is model
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["BlockSparseLinear", "ReLU", "BlockSparseLinear", "ReLU", "Linear", "ReLU", "Linear"]
    assert model[0].density == 0.25 and model[2].nnz == 3
    x = torch.randn(5, 32)
    assert_close(model(x), reference(x), torch.float32, "sparsified MLP")


def test_sparsify_filter_nested_and_shared():
    shared = nn.Linear(16, 16)
    model = nn.ModuleDict({"a": nn.Sequential(shared, nn.Linear(16, 32)), "b": shared})
    sparsify(model, 0.5, 8, filter=lambda name, module: module.out_features == 16)
    assert isinstance(model["a"][0], BlockSparseLinear) and model["b"] is model["a"][0]
    assert type(model["a"][1]) is nn.Linear


def test_sparsify_top_level_linear():
    layer = sparsify(nn.Linear(16, 32), 0.5, 8)
    assert isinstance(layer, BlockSparseLinear) and layer.layout.shape == (32, 16)


def test_sparsify_transformer_encoder():
    layer = nn.TransformerEncoderLayer(32, 2, 64, batch_first=True)
    model = nn.TransformerEncoder(layer, 2, enable_nested_tensor=True).eval()
    sparsify(model, 0.5, 16)
    for block in model.layers:
        assert isinstance(block.linear1, BlockSparseLinear) and isinstance(block.linear2, BlockSparseLinear)
        assert type(block.self_attn.out_proj) is not BlockSparseLinear  # MultiheadAttention reads it dense
    # Eval under no_grad would take the fused path (dense weights) and nested tensors; both are off.
    x = torch.randn(2, 3, 32)
    padding = torch.tensor([[False, False, True], [False, False, False]])
    with torch.no_grad():
        out = model(x, src_key_padding_mask=padding)
        torch.backends.mha.set_fastpath_enabled(False)
        try:
            slow = model(x, src_key_padding_mask=padding)
        finally:
            torch.backends.mha.set_fastpath_enabled(True)
    assert torch.equal(out, slow)


def test_sparsify_chosen_layer_that_cannot_be_converted():
    model = mlp()
    before = [type(m) for m in model]
    with pytest.raises(ValueError, match=r"layer '4' .* divisible by block_size 16, got \(48, 10\)"):
        sparsify(model, 0.5, 16, filter=lambda name, module: True)
    assert [type(m) for m in model] == before  # nothing was replaced
    attention = nn.TransformerEncoderLayer(32, 2, 64)
    with pytest.raises(ValueError, match="expected a layer outside nn.MultiheadAttention"):
        sparsify(attention, 0.5, 16, filter=lambda name, module: "out_proj" in name)


# -- initialisers ----------------------------------------------------------------------------------------------


def test_fan_in_uniform_statistics():
    bs = 16
    mask = torch.zeros(5, 8, dtype=torch.bool)
    for row, count in enumerate([1, 2, 4, 8, 0]):
        mask[row, :count] = True
    layout = Layout(mask, bs)
    layer = BlockSparseLinear(128, 80, layout)
    weight, bias = layer.weight.detach(), layer.bias.detach()
    fan_in = init.fan_in(layout)
    assert torch.equal(fan_in, torch.tensor([16, 32, 64, 128, 0]).repeat_interleave(bs))
    rows = layout.tables().block_rows
    for row, count in enumerate([1, 2, 4, 8]):
        values = weight[rows == row]  # count * bs * bs samples
        expected = 1 / math.sqrt(3 * count * bs)  # nn.Linear's std at the real fan-in
        assert 0.85 < values.std().item() / expected < 1.15, f"row {row}"
        assert values.abs().max() <= math.sqrt(3) * expected
        assert bias[row * bs : (row + 1) * bs].abs().max() <= 1 / math.sqrt(count * bs)
    assert torch.equal(bias[4 * bs :], torch.zeros(bs))  # no inputs: bias zero, as nn.Linear for fan_in 0


def test_fan_in_uniform_keeps_the_output_scale_of_dense():
    sparse = BlockSparseLinear(512, 512, layouts.random(512, 512, 8, 0.03, seed=0), bias=False)
    dense = nn.Linear(512, 512, bias=False)
    x = torch.randn(64, 512)
    live = init.fan_in(sparse.layout) > 0
    ratio = sparse(x).detach()[:, live].std() / dense(x).detach().std()
    assert 0.8 < ratio < 1.25  # at the dense fan-in it would be about sqrt(0.03) = 0.17


def test_fan_in_uniform_gain_and_full_layout():
    layout = layouts.dense(32, 64, 16)
    weight = torch.empty(layout.packed_shape)
    init.fan_in_uniform_(weight, layout, gain=nn.init.calculate_gain("relu"))
    assert 0.9 < weight.std().item() / math.sqrt(2 / 64) < 1.1  # He init
    init.fan_in_uniform_(weight, layout)
    assert weight.abs().max() <= 1 / math.sqrt(64)  # nn.Linear's bound


def test_identity():
    mask = torch.tensor([[True, True, False], [False, False, True], [True, False, True]])
    layout = Layout(mask, 8)
    weight = init.identity_(torch.randn(layout.packed_shape), layout)
    expected = torch.zeros(24, 24)
    for r in (0, 2):  # diagonal blocks present: (0, 0) and (2, 2)
        expected[8 * r : 8 * r + 8, 8 * r : 8 * r + 8] = torch.eye(8)
    assert torch.equal(ts.to_dense(weight, layout), expected)
    layer = BlockSparseLinear(24, 24, layout, bias=False)
    init.identity_(layer.weight, layout)
    x = torch.randn(3, 24)
    y = layer(x).detach()
    assert torch.equal(y[:, :8], x[:, :8]) and torch.equal(y[:, 16:], x[:, 16:])
    assert torch.equal(y[:, 8:16], torch.zeros(3, 8))  # block row 1 has no diagonal block


def test_orthogonal():
    weight = init.orthogonal_(torch.empty(5, 16, 16), gain=2.0)
    eye = torch.eye(16).expand(5, 16, 16)
    assert_close(weight @ weight.transpose(1, 2), 4 * eye, torch.float32, "W W^T")
    assert init.orthogonal_(torch.empty(0, 8, 8)).shape == (0, 8, 8)


def test_weight_norm():
    layout = small_layout()
    weight = torch.randn(layout.packed_shape, dtype=torch.float64)
    dense_norms = ts.to_dense(weight, layout).norm(dim=1)
    assert_close(init.row_norms(weight, layout), dense_norms, torch.float64, "row norms")
    init.weight_norm_(weight, layout)
    expected = torch.tensor([1.0] * 16 + [0.0] * 8, dtype=torch.float64)  # block row 2 is empty
    assert_close(ts.to_dense(weight, layout).norm(dim=1), expected, torch.float64, "unit rows")
    gain = torch.rand(24, dtype=torch.float64) + 0.5
    init.weight_norm_(weight, layout, gain)
    assert_close(init.row_norms(weight, layout), gain * (expected > 0), torch.float64, "rows at gain")


# -- bad arguments ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, kwargs, error, message",
    [
        ((20, 24, small_layout()), {}, ValueError, "expected in_features divisible by the layout's block_size 8, got"),
        ((16, 28, small_layout()), {}, ValueError, "expected out_features divisible by the layout's block_size 8"),
        ((32, 24, small_layout()), {}, ValueError, r"expected a layout of shape .* = \(24, 32\), got \(24, 16\)"),
        ((16, 24, torch.ones(3, 2, dtype=torch.bool)), {}, TypeError, "expected layout to be a tilesparse.Layout"),
        ((0, 24, small_layout()), {}, ValueError, "expected in_features > 0, got 0"),
        ((16.0, 24, small_layout()), {}, TypeError, "expected in_features to be an int, got float"),
        ((16, 24, small_layout()), dict(gate="yes"), ValueError, "expected gate in"),
        ((16, 24, small_layout()), dict(gate=torch.ones(4)), ValueError, r"expected a gate tensor of shape .* \(3,\)"),
    ],
)
def test_bad_constructor_arguments(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        BlockSparseLinear(*args, **kwargs)


@pytest.mark.parametrize("density", [0, 0.0, -0.5, 1.5])
def test_bad_density(density):
    with pytest.raises(ValueError, match=r"expected density in \(0, 1\], got"):
        BlockSparseLinear.from_dense(nn.Linear(16, 16), density, 8)
    model = mlp()
    with pytest.raises(ValueError, match=r"expected density in \(0, 1\], got"):
        sparsify(model, density, 16)
    assert type(model[0]) is nn.Linear


def test_bad_from_dense_arguments():
    with pytest.raises(TypeError, match="expected an nn.Linear, got Conv1d"):
        BlockSparseLinear.from_dense(nn.Conv1d(16, 16, 1), 0.5, 8)
    with pytest.raises(ValueError, match="expected a block_size with a density, got None"):
        BlockSparseLinear.from_dense(nn.Linear(16, 16), 0.5)
    with pytest.raises(ValueError, match="expected in_features divisible by block_size 16, got 24"):
        BlockSparseLinear.from_dense(nn.Linear(24, 16), 0.5, 16)
    with pytest.raises(ValueError, match="expected block_size None or the layout's 8, got 16"):
        BlockSparseLinear.from_dense(nn.Linear(16, 24), small_layout(), 16)
    with pytest.raises(ValueError, match=r"expected a layout of shape .* = \(16, 16\), got \(24, 16\)"):
        BlockSparseLinear.from_dense(nn.Linear(16, 16), small_layout())
    with pytest.raises(ValueError, match="expected block_size in"):
        sparsify(mlp(), 0.5, 12)


def test_bad_init_arguments():
    layout = small_layout()
    with pytest.raises(ValueError, match=r"expected weight of shape .* = \(3, 8, 8\), got \(4, 8, 8\)"):
        init.fan_in_uniform_(torch.empty(4, 8, 8), layout)
    with pytest.raises(ValueError, match=r"expected bias of shape \(24,\), got \(16,\)"):
        init.fan_in_uniform_(torch.empty(3, 8, 8), layout, torch.empty(16))
    with pytest.raises(ValueError, match=r"expected gain to be a float or of shape \(24,\), got \(16,\)"):
        init.weight_norm_(torch.randn(3, 8, 8), layout, torch.ones(16))
    with pytest.raises(ValueError, match="expected packed blocks"):
        init.orthogonal_(torch.empty(8, 8))
