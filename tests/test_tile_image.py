"""Tile images (kernels/tile_image.py): x as the swizzled shared-memory images of its tiles, which the group
kernel's TMA copies as 512-byte rows. The kernel against the PyTorch reference, and the swizzle against chunks
placed by hand."""

import pytest
import torch

from backends import CUDA, INTERPRETER
from tilesparse.kernels.tile_image import tile_image, tile_image_reference


@pytest.mark.parametrize("device", [INTERPRETER, CUDA], indirect=True)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32], ids=["fp16", "bf16", "fp32"])
@pytest.mark.parametrize("block", [16, 32])
def test_tile_image_matches_reference(device, dtype, block):
    """Every tile of a 300-row x (the last batch tile partial: rows past it zeros), at 256 and 128 rows a tile."""
    x = torch.randn(300, 3 * block, device=device).to(dtype)
    for batch_tile in (256, 128):
        image = tile_image(x, batch_tile, block)
        batch_tiles = -(-300 // batch_tile)
        assert image.shape == (batch_tiles * 3 * batch_tile * block * dtype.itemsize // 512, 512 // dtype.itemsize)
        assert torch.equal(image, tile_image_reference(x, batch_tile, block))
        past = image.view(batch_tiles, 3, batch_tile, block)[-1, :, 300 - (batch_tiles - 1) * batch_tile:]
        assert past.numel() and torch.equal(past, torch.zeros_like(past))  # rows past x: zeros, whatever the swizzle


def test_tile_image_swizzle_by_hand():
    """Rows of 32 bytes (fp16 block 16): 4 rows a 128-byte line, the two chunks swapped on odd lines. Rows of 128
    bytes (fp32 block 32): chunk c of row r at c ^ (r % 8)."""
    x = torch.arange(256 * 16, dtype=torch.float32).view(256, 16).half()
    image = tile_image_reference(x, 256, 16).view(256, 16)
    assert torch.equal(image[3], x[3]) and torch.equal(image[8], x[8])
    assert torch.equal(image[4], torch.cat([x[4, 8:], x[4, :8]]))
    y = torch.arange(256 * 32, dtype=torch.float32).view(256, 32)
    image = tile_image_reference(y, 256, 32).view(256, 8, 4)
    for r in (0, 5, 13):
        for c in range(8):
            assert torch.equal(image[r, c ^ (r % 8)], y[r, 4 * c:4 * c + 4])


def test_tile_image_refuses_other_rows():
    with pytest.raises(ValueError, match="expected row-major x with rows of 32, 64 or 128 bytes a block, got 8 x 2"):
        tile_image(torch.zeros(4, 16, dtype=torch.float16), 256, 8)
