"""Tile images: a copy of a (rows, features) matrix as the shared-memory images of its (rows_tile, block) tiles.

TMA pays per box row: on an H100 a 256-row box of 32-byte rows (an x tile at block 16, fp16) took 311 ns an SM,
while the same 8 KB as 16 rows of 512 bytes took 145 ns (scripts/probe_tma_rate.py,
tuning/h100-2026-11-27n-probe-tma-rate-images.log). The group kernel at block 16 loads such an x tile every step.
Here each tile is stored contiguously, its 16-byte chunks already where the swizzled shared layout
(``NVMMASharedLayout.get_default_for``: 32, 64 or 128 bytes for rows of that many bytes) puts them. TMA then
copies a tile as unswizzled rows of 512 bytes, and the MMA reads the same buffer through the swizzled layout.

The swizzle (Hopper's, as TMA writes and wgmma reads it): in a buffer aligned to 1024 bytes, the 16-byte chunk at
byte offset o moves to chunk (o >> 4) ^ ((o >> 7) & (S / 16 - 1)) of its 128-byte line, S the swizzle width.
Rows of R = S bytes put 128 / R rows in a line, so row r's chunk c lands at c ^ ((r // (128 / R)) & (R / 16 - 1)).
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

IMAGE_ROW_BYTES = 512  # the unswizzled rows TMA copies a tile image in
CHUNK_BYTES = 16


def image_row_swizzle(rows: torch.Tensor, row_bytes: int) -> torch.Tensor:
    """The XOR applied to the chunk index of each tile row in ``rows`` (rows of ``row_bytes``, the swizzle
    width: 32, 64 or 128)."""
    return (rows // (128 // row_bytes)) & (row_bytes // CHUNK_BYTES - 1)


@triton.jit
def tile_image_kernel(src_ptr, dst_ptr, rows, stride_r, col_tiles, BB: tl.constexpr, BS: tl.constexpr,
                      ROW_BYTES: tl.constexpr, CHUNK: tl.constexpr):
    """A program a tile: dst[(t * col_tiles + k)] (BB x BS contiguous) = src[t*BB:, k*BS:] with each row's
    chunks of CHUNK elements swizzled; rows past ``rows`` are zeros."""
    pid = tl.program_id(0)
    t = pid // col_tiles
    k = pid % col_tiles
    r = tl.arange(0, BB)[:, None]
    c = tl.arange(0, BS)[None, :]
    row = t * BB + r
    tile = tl.load(src_ptr + row.to(tl.int64) * stride_r + k * BS + c, mask=row < rows, other=0)
    swizzle = (r // (128 // ROW_BYTES)) & (ROW_BYTES // 16 - 1)
    dst_c = ((c // CHUNK) ^ swizzle) * CHUNK + c % CHUNK
    tl.store(dst_ptr + pid.to(tl.int64) * (BB * BS) + r * BS + dst_c, tile)


def tile_image_shape(rows: int, features: int, batch_tile: int, block: int, element_size: int) -> tuple[int, int]:
    """The image as TMA reads it: (tiles x rows a tile, elements a row), a tile's rows of ``IMAGE_ROW_BYTES``."""
    tiles = triton.cdiv(rows, batch_tile) * (features // block)
    per_row = IMAGE_ROW_BYTES // element_size
    return tiles * batch_tile * block // per_row, per_row


def tile_image(x: torch.Tensor, batch_tile: int, block: int) -> torch.Tensor:
    """``x`` (rows, features; row-major) as the swizzled images of its (batch_tile, block) tiles, batch tiles
    outermost, then the feature blocks; rows past the last are zeros. Returned as ``tile_image_shape``."""
    rows, features = x.shape
    row_bytes = block * x.element_size()
    if row_bytes not in (32, 64, 128) or features % block or x.stride(1) != 1:
        raise ValueError(f"expected row-major x with rows of 32, 64 or 128 bytes a block, got {block} x "
                         f"{x.element_size()} bytes, strides {tuple(x.stride())}")
    image = torch.empty(tile_image_shape(rows, features, batch_tile, block, x.element_size()), dtype=x.dtype,
                        device=x.device)
    col_tiles = features // block
    tiles = triton.cdiv(rows, batch_tile) * col_tiles
    if tiles:
        tile_image_kernel[(tiles,)](x, image, rows, x.stride(0), col_tiles, BB=batch_tile, BS=block,
                                    ROW_BYTES=row_bytes, CHUNK=CHUNK_BYTES // x.element_size())
    return image


def tile_image_reference(x: torch.Tensor, batch_tile: int, block: int) -> torch.Tensor:
    """``tile_image`` in PyTorch ops (the tests' reference)."""
    rows, features = x.shape
    padded = torch.zeros(triton.cdiv(rows, batch_tile) * batch_tile, features, dtype=x.dtype, device=x.device)
    padded[:rows] = x
    chunk = CHUNK_BYTES // x.element_size()
    tiles = padded.view(-1, batch_tile, features // block, block // chunk, chunk).permute(0, 2, 1, 3, 4)
    r = torch.arange(batch_tile, device=x.device)[:, None]
    c = torch.arange(block // chunk, device=x.device)[None, :]
    source = c ^ image_row_swizzle(r, block * x.element_size())  # an involution: where chunk c lands, c came from
    image = tiles[:, :, r, source]
    return image.reshape(tile_image_shape(rows, features, batch_tile, block, x.element_size()))
