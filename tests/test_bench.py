"""The benchmark package on CPU: tiny shapes through the same code paths the GPU runs take."""

import csv
import json
import math

import pytest
import torch

from tilesparse import Layout
from tilesparse.bench import Plan, Shape, Timing, report, speedup, suite
from tilesparse.bench.__main__ import main
from tilesparse.bench.commands import conv, merge
from tilesparse.bench.conv import Plan as ConvPlan
from tilesparse.bench.linear import Case, ba_mask, fewest_bytes, floor_row, random_mask
from tilesparse.bench.targets import check_target, efficiency_target

FAST = Timing(warmup_ms=1, rep_ms=2)
ROW_FIELDS = {
    "product", "dtype", "block_size", "batch", "in_features", "out_features", "density", "layout", "nnz",
    "ms", "dense_ms", "peer_ms", "peer_impl", "efficiency", "speedup", "rel_err", "device", "gpu", "torch",
    "triton", "date",
}  # fmt: skip


def test_speedup_cpu_writes_records(tmp_path):
    sparsities = (0.0, 0.5, 0.9)
    result = speedup(
        shapes=(Shape(128, 256, 8), Shape(256, 128, 16)), sparsities=sparsities, device="cpu", out_dir=tmp_path,
        timing=FAST,
    )  # fmt: skip
    stems = {p.suffix: p for p in result["paths"]}
    assert {".csv", ".json"} <= set(stems) and all(p.parent == tmp_path and p.exists() for p in stems.values())
    assert stems[".csv"].name.startswith("cpu-") and stems[".csv"].name.endswith("-speedup.csv")

    with open(stems[".csv"]) as f:
        rows = list(csv.DictReader(f))
    record = json.loads(stems[".json"].read_text())
    assert len(rows) == len(record["rows"]) == 2 * len(sparsities)
    assert record["meta"]["device"] == "cpu" and record["meta"]["path"] == "pytorch reference"
    for row, jrow in zip(rows, record["rows"], strict=True):
        assert ROW_FIELDS | {"sparsity", "ideal_speedup"} <= set(row) == set(jrow)
        assert row["device"] == "cpu" and row["product"] == "forward"
        for key in ("speedup", "ms", "dense_ms"):
            assert math.isfinite(float(row[key])) and float(row[key]) > 0, (key, row[key])
            assert jrow[key] > 0
        assert float(row["rel_err"]) <= float(row["tolerance"])
    assert [float(r["sparsity"]) for r in rows[:3]] == list(sparsities)
    assert int(rows[0]["nnz"]) == (128 // 32) * (256 // 32)  # sparsity 0: every block


def test_suite_cpu_smoke(tmp_path):
    result = suite(Plan.tiny(), products=("forward", "dw"), device="cpu", out_dir=tmp_path, timing=FAST, write=True)
    families = {r["family"] for r in result["rows"]}
    assert families == {"sweep", "seed", "ba", "tf32"}
    assert all(not r["error"] and r["ms"] > 0 and r["efficiency"] > 0 for r in result["rows"])
    assert all(r["peer_impl"] or r["peer_error"] or r["layout"] == "ba" for r in result["rows"])
    assert {t["met"] for t in result["targets"]} <= {True, False, None}
    # no floors on a CPU: NaN, and no case is counted beyond one
    assert all(math.isnan(r["floor_ms"]) and math.isnan(r["bound_efficiency"]) for r in result["rows"])
    assert all(math.isnan(v) for v in result["meta"]["limits"].values())
    assert all(t["beyond_floor"] == "" for t in result["targets"])
    record = json.loads(next(p for p in result["paths"] if p.suffix == ".json").read_text())
    assert record["targets"] == result["targets"] and len(record["rows"]) == len(result["rows"])


def test_plan_cases_kept_to_families():
    plan = Plan()
    seed = plan.cases(families=("seed",))
    plain = [d for d in plan.dtypes if d != "tf32"]
    assert len(seed) == 3 * len(plain) * len(plan.seed_densities)  # products x dtypes x densities
    assert {(c.batch, c.block_size, c.family) for c in seed} == {(plan.seed.batch, 32, "seed")}
    both = plan.cases(families=("seed", "ba"))
    assert {c.family for c in both} == {"seed", "ba"} and set(seed) < set(both)
    assert len(plan.cases()) == sum(len(plan.cases(families=(f,))) for f in ("sweep", "seed", "ba", "tf32"))


def test_floor_row_bounds():
    assert floor_row(0.1, 1.0, 0.05) == {"floor_ms": 0.1, "bound_speedup": 10.0, "bound_efficiency": 0.5}
    assert floor_row(0.1, 1.0, 0.5)["bound_efficiency"] == 1.0  # compute, not bytes, is the limit there
    assert math.isnan(floor_row(math.nan, 1.0, 0.5)["bound_efficiency"])


def test_fewest_bytes_counts_used_feature_blocks_and_whole_outputs():
    # 2 x 3 blocks of 32, one nonzero at (0, 1): one used input block, one used output block
    layout = Layout(torch.tensor([[False, True, False], [False, False, False]]), 32)
    case = lambda product: Case(product, "fp16", 4, 64, 96, 32, layout.density)  # noqa: E731
    block = 32 * 32
    assert fewest_bytes(case("forward"), layout) == 2 * (4 * (32 + 64) + block)  # x's used block, all of y
    assert fewest_bytes(case("dx"), layout) == 2 * (4 * (32 + 96) + block)  # dY's used block, all of dX
    assert fewest_bytes(case("dw"), layout) == 2 * (4 * (32 + 32) + block)  # one block of each input
    assert fewest_bytes(Case("dw", "tf32", 4, 64, 96, 32, 1 / 6), layout) == 4 * (4 * 64 + block)


def test_target_counts_cases_beyond_the_floor():
    row = dict(dtype="fp16", block_size=32)
    rows = [
        {**row, "density": 0.01, "efficiency": 0.10, "bound_efficiency": 0.15},  # target 0.25: beyond the floor
        {**row, "density": 0.10, "efficiency": 0.30, "bound_efficiency": 1.00},  # target 0.50: reachable
    ]
    result = check_target("t", rows, lambda r: r["efficiency"], lambda r: efficiency_target(0.5, r["density"]),
                          bound=lambda r: r["bound_efficiency"])
    assert result["met"] is False and result["beyond_floor"] == "1/2"
    assert result["worst"] == "0.1 (needs >= 0.25) at fp16 b32 d=0.01; floor allows 0.15"
    rows[0]["bound_efficiency"] = math.nan  # a row without a floor is not counted either way
    result = check_target("t", rows, lambda r: r["efficiency"], lambda r: efficiency_target(0.5, r["density"]),
                          bound=lambda r: r["bound_efficiency"])
    assert result["beyond_floor"] == "0/1" and "floor" not in result["worst"]


def test_target_counts_cases_on_the_dense_path():
    rows = [dict(dtype="fp16", block_size=8, density=d, efficiency=e, path=p)
            for d, e, p in ((0.5, 0.48, "dense"), (0.05, 0.04, "kernels"))]
    result = check_target("t", rows, lambda r: r["efficiency"], lambda r: efficiency_target(0.15, r["density"]))
    assert result["dense_path"] == "1/2" and result["met"] is False
    assert result["worst"] == "0.04 (needs >= 0.15) at fp16 b8 d=0.05"
    rows[1]["path"] = "dense"
    result = check_target("t", rows, lambda r: r["efficiency"], lambda r: efficiency_target(0.15, r["density"]))
    assert result["dense_path"] == "2/2" and result["worst"].endswith("d=0.05 (dense path)")


def _result_file(directory, stem, rows, date):
    meta = dict(device="cuda", gpu="H100", torch="2.11", triton="3.6.0", date=date, timestamp=date + "T00:00",
                path="triton kernels")
    base = dict(product="forward", dtype="fp16", batch=8192, out_features=8192, in_features=8192, layout="random",
                family="sweep", peer_ms=math.nan, vs_peer=math.nan, rel_err=1e-3, tolerance=1e-2, error="", speedup=1.0)
    full = [{**base, **row} for row in rows]
    return report.write_records(full, meta, directory, stem)[1]  # the JSON


def test_merge_takes_later_rows_and_keeps_sources(tmp_path):
    older = _result_file(tmp_path, "old", [dict(block_size=8, density=0.5, ms=10.0, efficiency=0.05),
                                           dict(block_size=64, density=0.5, ms=1.0, efficiency=0.76)], "2026-11-26")
    newer = _result_file(tmp_path, "new", [dict(block_size=8, density=0.5, ms=1.0, efficiency=0.5, path="dense")],
                         "2026-11-27")
    result = merge([older, newer], tmp_path, "merged", write=True)
    rows = {r["block_size"]: r for r in result["rows"]}
    assert len(rows) == 2 and rows[8]["ms"] == 1.0 and rows[8]["source"] == "new.json"
    assert rows[64]["source"] == "old.json" and math.isnan(rows[64]["peer_ms"])  # null read back as NaN
    assert result["meta"]["sources"] == ["old.json", "new.json"] and result["meta"]["date"] == "2026-11-27"
    b8 = next(t for t in result["targets"] if t["target"].startswith("forward efficiency b8"))
    assert b8["met"] is True and b8["dense_path"] == "1/1"
    assert (tmp_path / "merged.json").exists()
    with pytest.raises(ValueError, match="expected at least one result file"):
        merge([], tmp_path)


def test_rows_name_their_path(monkeypatch):
    """Suite and conv rows say whether the dense path ran: from the same decision the ops make."""
    from tilesparse.bench.conv import Case as ConvCase
    from tilesparse.bench.conv import make_layout as conv_layout
    from tilesparse.bench.conv import path_of as conv_path_of
    from tilesparse.bench.linear import make_layout, path_of

    monkeypatch.setenv("TILESPARSE_DENSE_PATH", "auto")
    case = Case("forward", "fp16", 8192, 256, 256, 8, 0.5)
    assert path_of(case, make_layout(case)) == "dense"
    small = Case("forward", "fp16", 64, 256, 256, 8, 0.5)
    assert path_of(small, make_layout(small)) == "kernels"
    conv_case = ConvCase("dw", "fp16", 64, 128, 32, 16, 0.5)
    assert conv_path_of(conv_case, conv_layout(conv_case)) == "dense"
    diagonal = ConvCase("forward", "fp16", 64, 128, 32, 32, 0.25, "block_diagonal")
    assert conv_path_of(diagonal, conv_layout(diagonal)) == "grouped"
    monkeypatch.setenv("TILESPARSE_DENSE_PATH", "never")
    assert path_of(case, make_layout(case)) == "kernels"
    assert conv_path_of(diagonal, conv_layout(diagonal)) == "kernels"


def test_cli_filters(tmp_path, capsys):
    assert main(["suite", "--device", "cpu", "--products", "dx", "--block-sizes", "16", "--rep", "2"]) == 0
    out = capsys.readouterr().out
    assert "needs CUDA" in out and " dx " in out and " forward " not in out and " b32 " not in out
    with pytest.raises(SystemExit):
        main(["suite", "--block-sizes", "24"])


@pytest.mark.parametrize("make", [random_mask, ba_mask])
def test_layout_generators_exact_and_seeded(make):
    for nnz in (1, 37, 64 * 48):
        mask = make(64, 48, nnz, torch.Generator().manual_seed(3))
        assert mask.shape == (64, 48) and mask.dtype == torch.bool and int(mask.sum()) == nnz
        assert torch.equal(mask, make(64, 48, nnz, torch.Generator().manual_seed(3)))


def test_ba_mask_is_skewed():
    mask = ba_mask(256, 256, 256 * 256 // 10, torch.Generator().manual_seed(0))
    rows, cols = mask.sum(1).float(), mask.sum(0).float()
    assert rows.max() > 4 * rows.mean() and cols.max() > 4 * cols.mean()
    uniform = random_mask(256, 256, 256 * 256 // 10, torch.Generator().manual_seed(0)).sum(1).float()
    assert uniform.max() < 2 * uniform.mean()


def test_conv_cpu_smoke(tmp_path, capsys):
    result = conv(ConvPlan.tiny(), device="cpu", out_dir=tmp_path, timing=FAST, write=True)
    rows = result["rows"]
    assert len(rows) == 3 * 2 * (len(ConvPlan.tiny().densities) + 2)  # products x blocks x (random + 2)
    assert {r["layout"] for r in rows} == {"random", "block_diagonal", "dense"}
    assert all(not r["error"] and r["ms"] > 0 and r["dense_ms"] > 0 for r in rows)
    assert all(r["rel_err"] <= r["tolerance"] for r in rows)
    assert all(math.isfinite(r["peer_ms"]) == (r["layout"] == "block_diagonal") for r in rows)
    assert all(r["density"] == r["block_size"] / r["channels"] for r in rows if r["layout"] == "block_diagonal")
    names = {p.name for p in result["paths"]}
    stem = result["paths"][0].stem
    assert stem.startswith("cpu-") and stem.endswith("-conv")
    assert names == {f"{stem}.{e}" for e in ("csv", "json", "png")}
    record = json.loads((tmp_path / f"{stem}.json").read_text())
    assert record["targets"] == result["targets"] and len(record["rows"]) == len(rows)
    assert "smoke run" in capsys.readouterr().out

    assert main(["conv", "--device", "cpu", "--products", "dw", "--block-sizes", "64", "--rep", "2"]) == 0
    out = capsys.readouterr().out
    assert " dw " in out and " forward " not in out and " b32 " not in out and "grouped" in out


def test_lstm_cpu_smoke():
    """The LSTM throughput command's CPU path: both layers run forward + backward and report tokens/s."""
    from tilesparse.bench.lstm import lstm

    rows = lstm(device="cpu", repeats=1)
    assert [r["model"] for r in rows] == ["dense nn.LSTM", "sparse BlockSparseLSTM"]
    assert all(r["eager_tokens_per_s"] > 0 for r in rows)


@pytest.mark.gpu
def test_limits_measure_the_card():
    from tilesparse.bench import limits

    device = torch.device("cuda")
    copy, l2 = limits.copy_tbs(device), limits.l2_read_tbs(device)
    assert 0.1 < copy < l2  # TB/s; L2 reads outrun device memory on every CUDA card
    small, large = (limits.stream_floor_ms(n, device, FAST) for n in (2**20, 256 * 2**20))
    assert 0 < small < large and 256 * 2**20 / large / 1e9 < 1.2 * copy  # no faster than the card's bandwidth
