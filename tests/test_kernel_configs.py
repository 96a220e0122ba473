"""The kernels' default configs fit the GPU they run on: the pipeline depth planned for the H100 is cut to
the shared memory another GPU offers a block (A100 164 KB, consumer cards ~100 KB), instead of failing to
launch there. Pure config arithmetic and a faked device query: runs on CPU."""

import pytest
import triton

from tilesparse import kernels
from tilesparse.kernels import conv_dsd, conv_sdd, linear_dsd, linear_sdd

H100, A100, CONSUMER = 232448, 166912, 101376  # max shared memory a block may opt into, bytes
BLOCK_SIZES = [8, 16, 32, 64, 128]


def budget_of(max_shared_mem):
    return min(kernels.SHARED_MEMORY_BUDGET, max_shared_mem - kernels.SHARED_MEMORY_RESERVE)


class FakeDriver:
    def __init__(self, max_shared_mem):
        self.active = self
        self.utils = self
        self.max_shared_mem = max_shared_mem
        self.asked = []

    def get_device_properties(self, index):
        self.asked.append(index)
        return {"max_shared_mem": self.max_shared_mem}


@pytest.mark.parametrize("offered", [H100, A100, CONSUMER])
def test_budget_follows_the_device(monkeypatch, offered):
    import torch

    fake = FakeDriver(offered)
    monkeypatch.setattr(triton.runtime, "driver", fake)
    kernels._cuda_budget.cache_clear()
    try:
        assert kernels.shared_memory_budget(torch.device("cuda", 1)) == budget_of(offered)
        kernels.shared_memory_budget(torch.device("cuda", 1))
        assert fake.asked == [1]  # asked once per device
    finally:
        kernels._cuda_budget.cache_clear()
    assert budget_of(H100) == kernels.SHARED_MEMORY_BUDGET  # the configs the H100 was tuned with
    assert kernels.shared_memory_budget(torch.device("cpu")) == kernels.SHARED_MEMORY_BUDGET


@pytest.mark.parametrize("offered", [H100, A100, CONSUMER])
@pytest.mark.parametrize("element_size", [2, 4])
@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_linear_configs_fit(block_size, element_size, offered):
    budget = budget_of(offered)
    padded = max(block_size, 16)
    for m in (1, 32, 100, 8192):
        cfg = linear_dsd.dsd_config(m, block_size, element_size, budget)
        stage = (cfg.block_m + padded) * (padded // cfg.k_split) * element_size
        assert cfg.num_stages == 1 or cfg.num_stages * stage <= budget, cfg
        tuned = linear_dsd.dsd_config(m, block_size, element_size)
        assert cfg.num_stages <= tuned.num_stages and cfg.block_m == tuned.block_m
        for group in (1, 4, 8):
            cfg = linear_sdd.sdd_config(m, block_size, group, element_size, budget)
            stage = cfg.block_k * (padded + group // cfg.split_group * block_size) * element_size
            assert cfg.num_stages == 1 or cfg.num_stages * stage <= budget, cfg


@pytest.mark.parametrize("offered", [A100, CONSUMER])
@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_conv_configs_fit(block_size, offered):
    budget = budget_of(offered)
    padded = max(block_size, 16)
    for pixels in (7, 4096, 65536):
        cfg = conv_dsd.dsd_config(pixels, block_size, 2, budget)
        stage = (cfg.block_p * padded + padded * padded) * 2
        assert cfg.num_stages == 1 or cfg.num_stages * stage <= budget, cfg
        cfg = conv_sdd.sdd_config(pixels, block_size, 2, 9, 2, budget)
        stage = cfg.block_p * (padded + 2 * block_size) * 2
        assert cfg.num_stages == 1 or cfg.num_stages * stage <= budget, cfg


def test_a100_sheds_stages_at_block_128():
    """The case that failed to launch before: 256-row tiles of block 128 plan 4 x 48 KB on the H100."""
    tuned = linear_dsd.dsd_config(8192, 128, 2)
    on_a100 = linear_dsd.dsd_config(8192, 128, 2, budget_of(A100))
    assert tuned.num_stages == 4 and on_a100.num_stages == 2


def test_small_batch_dw_reads_the_group_table():
    """Up to 32 rows every dW config reads the group table (one load, not the row_ptr chain); 16-bit blocks of
    32 run 2 warps there, 4 blocks a program (groups of 8 split in two); large batches keep the chain."""
    for block_size in BLOCK_SIZES:
        for element_size in (2, 4):
            assert linear_sdd.sdd_config(32, block_size, 4, element_size).group_table
            assert not linear_sdd.sdd_config(256, block_size, 4, element_size).group_table
    assert linear_sdd.sdd_config(32, 32, 8, 2).num_warps == 2
    assert linear_sdd.sdd_config(8192, 32, 8, 2).num_warps == 8
    assert linear_sdd.sdd_config(32, 32, 8, 2).split_group == 2
    assert linear_sdd.sdd_config(32, 32, 4, 2).split_group == 1
    assert linear_sdd.sdd_config(8192, 32, 8, 2).split_group == 1
    assert linear_sdd.sdd_config(32, 32, 8, 4).split_group == 1


def test_small_batch_dw_runs_persistent_programs():
    """16-bit blocks of 32 up to 32 rows (the seed shape) run 8 persistent programs an SM, 2 warps, 3 stages across
    work items, reading the group table; larger batches and cases not measured keep a program per work item."""
    for group in (4, 8):
        cfg = linear_sdd.sdd_config(32, 32, group, 2)
        assert (cfg.persistent, cfg.num_warps, cfg.num_stages, cfg.group_table) == (8, 2, 3, True)
        assert cfg.block_k >= 32  # one step of the batch: the persistent kernel applies
    assert linear_sdd.sdd_config(64, 32, 8, 2).persistent == 0
    # measured elsewhere too: 16-bit blocks of 16, of 64 in groups of 4, TF32 blocks of 32 in groups of 8
    assert (linear_sdd.sdd_config(32, 16, 4, 2).persistent, linear_sdd.sdd_config(32, 16, 4, 2).num_warps) == (8, 2)
    assert (linear_sdd.sdd_config(32, 64, 4, 2).persistent, linear_sdd.sdd_config(32, 64, 4, 2).num_warps) == (4, 4)
    assert (linear_sdd.sdd_config(32, 32, 8, 4).persistent, linear_sdd.sdd_config(32, 32, 8, 4).num_warps) == (4, 4)
    for args in ((32, 64, 2, 2), (32, 32, 4, 4), (32, 8, 8, 2), (32, 128, 2, 2), (8192, 16, 4, 2)):
        assert linear_sdd.sdd_config(*args).persistent == 0, args


def test_small_batch_dsd_reads_the_launch_table():
    """Up to 32 rows the forward/dX configs read the launch table (one load, not seg_order -> seg_ptr)."""
    for block_size in BLOCK_SIZES:
        for element_size in (2, 4):
            assert linear_dsd.dsd_config(32, block_size, element_size).launch_table
            assert not linear_dsd.dsd_config(64, block_size, element_size).launch_table
            assert not linear_dsd.dsd_config(8192, block_size, element_size).launch_table


def test_large_batch_dsd_launches_late_hubs_first():
    """Above 64 rows (several batch tiles) the last tiles' hubs launch early; with one tile there is no tail."""
    for block_size in BLOCK_SIZES:
        for element_size in (2, 4):
            assert linear_dsd.dsd_config(8192, block_size, element_size).late_hub_tiles == linear_dsd.LATE_HUB_TILES
            assert linear_dsd.dsd_config(65, block_size, element_size).late_hub_tiles == linear_dsd.LATE_HUB_TILES
            assert linear_dsd.dsd_config(64, block_size, element_size).late_hub_tiles == 0
