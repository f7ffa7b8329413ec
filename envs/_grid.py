"""Flat, padded grid geometry shared by the grid-world scenarios (pursuit, foraging).

Why flat and padded: the hot path (moves, adjacency, egocentric observation patches) runs for
all copies at once with a handful of NumPy calls. Storing every position as one integer index
into a grid padded by `pad` out-of-bounds cells on every side means:

- a move is `pos + offset[action]` and can never index outside the array (pad >= 1);
- two cells are 4-adjacent iff their flat indices differ by 1 or by the padded width
  (the padding column stops left/right neighbours from wrapping across rows);
- an observation patch of radius r <= pad is `pos + patch_offsets`, gathered in one call.

Only NumPy; no scenario logic lives here.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

MOVE_NAMES = ("stay", "up", "down", "left", "right")
"""The first five actions of every grid scenario, in this order."""
MOVE_DELTAS = np.array([[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]], dtype=np.int64)
"""(5, 2) (row, col) change of each move action; row 0 is the top of the grid."""


def parse_wall_map(rows: Sequence[str], scope: str, size: int) -> np.ndarray:
    """Turn a list-of-strings map ('#' = wall, '.' or ' ' = free) into an (H, W) bool array.

    The map must be `size` x `size` so that `grid_size` and `walls` can never disagree.
    Raises ValueError naming `<scope>.walls` on any problem.
    """
    if isinstance(rows, str) or not isinstance(rows, Sequence):
        raise ValueError(f"{scope}.walls must be a list of strings, got {type(rows).__name__}")
    if not all(isinstance(row, str) for row in rows):
        raise ValueError(f"{scope}.walls must be a list of strings")
    if len(rows) != size or any(len(row) != size for row in rows):
        shape = f"{len(rows)} rows of lengths {sorted({len(r) for r in rows})}"
        raise ValueError(f"{scope}.walls must be grid_size x grid_size = {size}x{size}, got "
                         f"{shape}; set grid_size to match the map")
    bad = {ch for row in rows for ch in row} - {"#", ".", " "}
    if bad:
        raise ValueError(f"{scope}.walls may only contain '#', '.' and ' ', got {sorted(bad)}")
    return np.array([[ch == "#" for ch in row] for row in rows], dtype=bool).reshape(size, size)


class PaddedGrid:
    """Geometry of an (H, W) grid padded by `pad` blocked cells, addressed by flat index."""

    def __init__(self, walls: np.ndarray, pad: int) -> None:
        if pad < 1:
            raise ValueError("pad must be >= 1 so moves never leave the array")
        self.height, self.width = (int(s) for s in walls.shape)
        self.pad = int(pad)
        self.padded_width = self.width + 2 * self.pad
        self.padded_height = self.height + 2 * self.pad
        self.size = self.padded_height * self.padded_width
        blocked = np.ones((self.padded_height, self.padded_width), dtype=bool)
        blocked[pad:pad + self.height, pad:pad + self.width] = walls
        self.blocked = blocked.reshape(-1)  # (size,) walls + out-of-bounds
        self.walls = walls.copy()  # (H, W) walls only
        self.move_offsets = MOVE_DELTAS[:, 0] * self.padded_width + MOVE_DELTAS[:, 1]  # (5,)
        self.neighbour_offsets = self.move_offsets[1:]  # (4,) up, down, left, right
        # The pad columns sit between rows, so no in-grid cell ever wraps to the next row.
        self.sentinel = 0  # padded corner: always blocked, never an in-grid cell
        # (size, 2) in-grid (row, col) of every flat index: to_rc is one lookup (snapshots
        # run every env step while a replay is recorded, qmix/replay.py)
        flat = np.arange(self.size, dtype=np.int64)
        self._rc = np.stack([flat // self.padded_width - self.pad,
                             flat % self.padded_width - self.pad], axis=-1)

    def to_flat(self, rc: np.ndarray) -> np.ndarray:
        """(..., 2) in-grid (row, col) -> (...) flat padded index."""
        rc = np.asarray(rc, dtype=np.int64)
        return (rc[..., 0] + self.pad) * self.padded_width + rc[..., 1] + self.pad

    def to_rc(self, flat: np.ndarray) -> np.ndarray:
        """(...) flat padded index -> (..., 2) in-grid (row, col)."""
        return self._rc[np.asarray(flat, dtype=np.int64)]

    def normalised_rc(self, flat: np.ndarray) -> np.ndarray:
        """(...) flat index -> (..., 2) float32 (row/(H-1), col/(W-1)) in [0, 1]."""
        row, col = np.divmod(flat, self.padded_width)
        out = np.empty(flat.shape + (2,), dtype=np.float32)
        out[..., 0] = (row - self.pad) / max(self.height - 1, 1)
        out[..., 1] = (col - self.pad) / max(self.width - 1, 1)
        return out

    def patch_offsets(self, radius: int) -> np.ndarray:
        """(K*K,) flat offsets of a (2r+1)^2 square around a cell, row-major from top-left."""
        if radius > self.pad:
            raise ValueError("patch radius exceeds the padding")
        d = np.arange(-radius, radius + 1, dtype=np.int64)
        return (d[:, None] * self.padded_width + d[None, :]).reshape(-1)

    def free_cells(self) -> np.ndarray:
        """(M,) flat indices of every in-grid non-wall cell, ascending."""
        rows, cols = np.nonzero(~self.walls)
        return (rows + self.pad) * self.padded_width + cols + self.pad

    def open_neighbour_count(self) -> np.ndarray:
        """(size,) number of non-blocked 4-neighbours of every padded cell."""
        open_ = ~self.blocked
        count = np.zeros(self.size, dtype=np.int64)
        inner = np.arange(self.size)
        for off in self.neighbour_offsets:
            nb = inner + off
            valid = (nb >= 0) & (nb < self.size)
            count[valid] += open_[nb[valid]]
        return count


def move_simultaneously(pos: np.ndarray, occupied: np.ndarray, wants: np.ndarray,
                        targets: np.ndarray) -> np.ndarray:
    """Move entities into target cells that were free at the start of the move, in place.

    pos (C, K) flat positions; occupied (C, size) bool, updated in place; wants (C, K) bool;
    targets (C, K). Returns the (C, K) bool mask of entities that moved.

    The rule, chosen because it is deterministic, order-free and cheap to vectorise: a move
    succeeds iff its target cell is not occupied at the start of the move (by a wall, the
    grid edge, an agent, a prey, food -- whatever the caller marked), and no lower-indexed
    entity moves into the same cell. A blocked entity stays. Moving into a cell that another
    entity is leaving in the same step is therefore blocked too, which rules out swaps and
    chains without any special cases.
    """
    rows, lower = _move_constants(pos.shape[0], pos.shape[1])
    ok = wants & ~occupied[rows, targets]  # (C, K)
    if pos.shape[1] > 1:
        clash = (targets[:, :, None] == targets[:, None, :]) & ok[:, :, None] & lower  # (C,K,K)
        ok &= ~clash.any(axis=1)
    new = np.where(ok, targets, pos)  # (C, K)
    occupied[rows, pos] = False
    occupied[rows, new] = True
    pos[...] = new
    return ok


@lru_cache(maxsize=64)
def _move_constants(n_copies: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Cached (C, 1) copy rows and (K, K) "i < j" mask: rebuilding them cost ~15 us a step."""
    rows = np.arange(n_copies)[:, None]
    lower = np.tri(k, k, -1, dtype=bool).T  # [i, j] = i < j
    rows.setflags(write=False)
    lower.setflags(write=False)
    return rows, lower
