"""A Gluon kernel that writes the dsd launch order of ``linear_hopper_gluon.hubs_first_position`` (imported by a
GPU test only: Gluon kernels do not run in the interpreter)."""

from triton.experimental import gluon
from triton.experimental.gluon import language as gl

from tilesparse.kernels.linear_hopper_gluon import hubs_first_position


@gluon.jit
def hubs_first_positions_kernel(out_ptr, tiles, segs, hubs, late_tiles):
    pid = gl.program_id(0)
    tile, slot = hubs_first_position(pid, tiles, segs, hubs, late_tiles)
    gl.store(out_ptr + 2 * pid, tile)
    gl.store(out_ptr + 2 * pid + 1, slot)
