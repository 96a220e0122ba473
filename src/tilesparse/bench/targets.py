"""The performance targets of the suite, checked on its rows.

- ``sweep`` (8192 x 8192, batch 8192, random, fp16/bf16): efficiency = dense_ms * density / ms of at least
  ``EFFICIENCY[block_size]`` at densities 0.5-0.05 and half of that at 0.01;
- ``seed`` (12288 x 12288, batch 32, block 32): speedup over dense of at least 0.8 / density at densities
  >= 0.05 and at least 25 at 0.01;
- ``ba``: a Barabasi-Albert-like layout within 15% of the time of a random one of the same nnz;
- ``tf32`` (fp32 with TF32, blocks >= 32): efficiency of at least 0.5 (half of that at 0.01, as above);
- every case faster than the peer (where the peer runs), and every result within its dtype tolerance.

Efficiency and speedup targets also count the cases whose target lies beyond the run's measured floor
(``beyond floor``: one launch reading the product's fewest bytes, ``limits.stream_floor_ms``), and the cases
that ran the dense path (``dense path``: cuBLAS on the densified weight, ``kernels/linear_dense.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .report import table

EFFICIENCY = {128: 0.90, 64: 0.75, 32: 0.50, 16: 0.30, 8: 0.15}
TF32_EFFICIENCY = 0.50
BA_SLOWDOWN = 1.15
SEED_SPEEDUP_AT_1_PERCENT = 25.0


def efficiency_target(base: float, density: float) -> float | None:
    if density >= 0.05 - 1e-9:
        return base
    if math.isclose(density, 0.01):
        return base / 2
    return None


def seed_target(density: float) -> float | None:
    if density >= 0.05 - 1e-9:
        return 0.8 / density
    if math.isclose(density, 0.01):
        return SEED_SPEEDUP_AT_1_PERCENT
    return None


def _where(row: dict) -> str:
    path = f" ({row['path']} path)" if row.get("path") in ("dense", "grouped") else ""
    return f"{row['dtype']} b{row['block_size']} d={row['density']:g}{path}"


def _margin(got: float, want: float, higher: bool) -> float:
    """How far a value is past its target: >= 1 meets it; a missing value (NaN) is the worst."""
    if not math.isfinite(got):
        return -math.inf
    if higher:
        return got / want if want else math.inf
    return want / got if got else math.inf


def check_target(
    name: str, rows: list[dict], value: Callable, target: Callable, higher: bool = True, bound: Callable | None = None
) -> dict:
    """One target over ``rows``: met if every row with a target meets it; reports the worst row.

    ``bound(row)``, where given, is the best value the run's measured floor allows (``limits``): rows whose
    target lies beyond it are counted in ``beyond_floor`` (no kernel could meet them on this card)."""
    scored = []
    for row in rows:
        want = target(row)
        if want is not None:
            got = value(row)
            scored.append((_margin(got, want, higher), got, want, row))
    if not scored:
        return {"target": name, "met": None, "cases": 0, "worst": "no cases", "beyond_floor": "", "dense_path": ""}
    margin, got, want, row = min(scored, key=lambda s: s[0])
    worst = f"{got:.3g} (needs {'>=' if higher else '<='} {want:.3g}) at {_where(row)}"
    beyond = ""
    if bound is not None:
        limits = [(bound(r), w) for _, _, w, r in scored]
        known = [(b, w) for b, w in limits if math.isfinite(b)]
        if known:
            beyond = f"{sum(_margin(b, w, higher) < 1 for b, w in known)}/{len(known)}"
        if math.isfinite(bound(row)):
            worst += f"; floor allows {bound(row):.3g}"
    dense = sum(r.get("path") == "dense" for *_, r in scored)
    return {"target": name, "met": margin >= 1, "cases": len(scored), "worst": worst, "beyond_floor": beyond,
            "dense_path": f"{dense}/{len(scored)}" if dense else ""}


def check(rows: list[dict]) -> list[dict]:
    """Every target, as dicts with ``target``, ``met`` (True, False or None when no case was run),
    ``cases`` and the ``worst`` case."""
    results = []
    products = list(dict.fromkeys(row["product"] for row in rows))
    for product in products:
        mine = [r for r in rows if r["product"] == product]
        sweep = [r for r in mine if r["family"] == "sweep"]
        for bs in sorted({r["block_size"] for r in sweep}, reverse=True):
            base = EFFICIENCY[bs]
            results.append(
                check_target(
                    f"{product} efficiency b{bs} >= {base:.2f} (half at d=0.01), sweep",
                    [r for r in sweep if r["block_size"] == bs],
                    lambda r: r["efficiency"],
                    lambda r, base=base: efficiency_target(base, r["density"]),
                    bound=lambda r: r.get("bound_efficiency", math.nan),
                )
            )
        results.append(
            check_target(
                f"{product} seed-shape speedup >= 0.8/d (d >= 0.05), >= 25 at d=0.01",
                [r for r in mine if r["family"] == "seed"],
                lambda r: r["speedup"],
                lambda r: seed_target(r["density"]),
                bound=lambda r: r.get("bound_speedup", math.nan),
            )
        )
        results.append(_check_ba(product, mine))
        results.append(
            check_target(
                f"{product} tf32 efficiency >= {TF32_EFFICIENCY:.2f} (half at d=0.01), blocks >= 32",
                [r for r in mine if r["family"] == "tf32" and r["block_size"] >= 32],
                lambda r: r["efficiency"],
                lambda r: efficiency_target(TF32_EFFICIENCY, r["density"]),
                bound=lambda r: r.get("bound_efficiency", math.nan),
            )
        )
        results.append(
            check_target(
                f"{product} faster than the peer (PyTorch sparse) where it runs (time ratio)",
                [r for r in mine if math.isfinite(r["peer_ms"])],
                lambda r: r["ms"] / r["peer_ms"],
                lambda r: 1.0,
                higher=False,
            )
        )
    results.append(tolerance_check(rows))
    return results


def tolerance_check(rows: list[dict]) -> dict:
    """Every row's relative error against float64 within its dtype's tolerance."""
    return check_target(
        "every result within its dtype tolerance (max rel. error vs float64)",
        rows,
        lambda r: r["rel_err"] if not r["error"] else math.nan,
        lambda r: r["tolerance"],
        higher=False,
    )


def _check_ba(product: str, rows: list[dict]) -> dict:
    """Time of each BA-like case over that of the random case of the same shape and density."""
    key = lambda r: (r["dtype"], r["block_size"], r["batch"], r["out_features"], r["in_features"], r["density"])
    random = {key(r): r for r in rows if r["layout"] == "random"}
    pairs = [({**r, "ratio": r["ms"] / random[key(r)]["ms"]}) for r in rows if r["layout"] == "ba" and key(r) in random]
    return check_target(
        f"{product} ba layout within {BA_SLOWDOWN - 1:.0%} of random (time ratio)",
        pairs,
        lambda r: r["ratio"],
        lambda r: BA_SLOWDOWN,
        higher=False,
    )


def summary(results: list[dict]) -> str:
    status = {True: "MET", False: "MISSED", None: "n/a"}
    lines = [{"beyond_floor": "", "dense_path": "", **r, "status": status[r["met"]]} for r in results]
    return table(
        lines,
        [("status", "", ""), ("target", "target", ""), ("cases", "cases", ""),
         ("beyond_floor", "beyond floor", ""), ("dense_path", "dense path", ""), ("worst", "worst", "")],
    )
