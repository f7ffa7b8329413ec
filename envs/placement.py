"""What-if placement for grid worlds: read and restore one env copy, move one agent or item
by hand (validated), recompute what the agents see, list the cells an entity could stand on.

Why a separate module: the world rules stay in `envs/grid_world.py` and the scenarios; this
is the one place that edits a running copy from outside its rules (the app's what-if drag,
`qmix/whatif.py`'s value map, the world editor). `GridWorldVecEnv` mixes `GridPlacement` in;
every other world answers each of these calls with `NoWhatIf` ("no what-if for this world").

Copy state: `copy_state(c)` is a dict of deep copies of every per-copy array the world keeps
(the names in `copy_fields`: positions, alive flags, levels, step counter, return, done flags,
last actions and rewards, last-step events, pre-drawn randomness); `set_copy_state(c, s)`
writes them back bit-for-bit. A state can go to a copy of another env of the same scenario
and config (e.g. a one-copy clone, as `qmix/whatif.py` does). The generators are never
touched, so nothing a what-if does shifts the run's randomness.

Only NumPy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

BASE_COPY_FIELDS = ("_t", "_terminated", "_truncated", "_episode_return", "_last_reward",
                    "_last_actions")
"""The per-copy arrays every VecEnv keeps (envs/base.py)."""
GRID_COPY_FIELDS = ("_agent_pos", "_item_pos", "_item_alive")
"""The per-copy arrays every grid world keeps (envs/grid_world.py)."""


class PlacementError(ValueError):
    """A what-if move or layout edit that the world refuses (a wall, an occupied cell, outside
    the grid, a captured item, ...). The message is one line; the world is unchanged."""


class NoWhatIf(ValueError):
    """The world has no what-if placement (two_step, PettingZoo and gymnasium worlds)."""


def no_whatif(env: Any) -> NoWhatIf:
    """The refusal every non-grid world gives."""
    name = getattr(getattr(env, "info", None), "name", type(env).__name__)
    return NoWhatIf(f"no what-if for this world ({name}): only grid worlds (pursuit, "
                    f"foraging) can have agents and items moved by hand")


def supports_whatif(env: Any) -> bool:
    """True for worlds whose agents and items can be moved by hand."""
    return isinstance(env, GridPlacement)


class GridPlacement:
    """What-if placement for `GridWorldVecEnv` (mixed in; uses its grid and arrays)."""

    copy_fields: tuple[str, ...] = BASE_COPY_FIELDS + GRID_COPY_FIELDS
    """Every per-copy array of the world; scenarios add theirs (tests check none is missed)."""
    item_name: str = "item"
    """What the world calls its items in messages and in `move(kind=...)` ("prey", "food")."""

    # ------------------------------------------------------------------ copy state
    def copy_state(self, copy: int = 0) -> dict[str, Any]:
        """Deep copies of one copy's per-copy arrays (see the module docstring)."""
        self._require_reset()
        c = self._check_copy(copy)
        out: dict[str, Any] = {}
        for name in self.copy_fields:
            arr = getattr(self, name)
            out[name] = None if arr is None else np.array(arr[c], copy=True)
        return out

    def set_copy_state(self, copy: int, state: dict[str, Any]) -> None:
        """Write a `copy_state` back into copy `copy`, bit-for-bit; the generators untouched."""
        self._require_reset()
        c = self._check_copy(copy)
        missing = [name for name in self.copy_fields if name not in state]
        if missing:
            raise ValueError(f"copy state lacks {', '.join(missing)}")
        for name in self.copy_fields:
            value = state[name]
            arr = getattr(self, name)
            if value is None:
                if arr is not None:  # "no step yet" in that state: no last actions
                    arr[c] = 0
                continue
            if arr is None:  # this env has not stepped yet: make room for last actions
                arr = np.zeros((self.n_envs,) + np.shape(value), dtype=np.asarray(value).dtype)
                setattr(self, name, arr)
            if np.shape(arr[c]) != np.shape(value):
                raise ValueError(f"copy state's {name} has shape {np.shape(value)}, this world "
                                 f"needs {np.shape(arr[c])}")
            arr[c] = value

    def clone_copy(self, copy: int = 0) -> "GridPlacement":
        """A new one-copy env of the same scenario and config holding copy `copy`'s state
        (bit-for-bit); this env and its generators are untouched. What `qmix/whatif.py`
        moves things in, so that a what-if can never reach the run's own env."""
        state = self.copy_state(copy)
        clone = type(self)(self.config, n_envs=1)
        clone.reset(seed=0)  # the clone's own generators; then the copy's state replaces it
        clone.set_copy_state(0, state)
        return clone

    # ------------------------------------------------------------------ moving
    def move(self, copy: int, kind: str, index: int, cell: Any) -> None:
        """Put agent or item `index` of copy `copy` on `cell` (row, col).

        kind: "agent", or "item" / the world's item name ("prey", "food"). Refused with a
        one-line `PlacementError`, the world unchanged, when the cell is outside the grid, a
        wall or taken by another agent or live item, or the item is gone (captured,
        collected). Moving onto its own cell is allowed (nothing changes).
        """
        self._require_reset()
        c = self._check_copy(copy)
        is_agent, i = self._entity(kind, index)
        if not is_agent and not self._item_alive[c, i]:
            raise PlacementError(f"{self.item_name} {i} is gone from the grid; only items "
                                 f"still there can be moved")
        flat = self._cell_flat(cell)
        row, col = (int(v) for v in cell)
        if self._grid.blocked[flat]:
            raise PlacementError(f"cell ({row}, {col}) is a wall")
        taken = self._taken_by(c, flat, skip=(is_agent, i))
        if taken is not None:
            raise PlacementError(f"cell ({row}, {col}) is taken by {taken}")
        if is_agent:
            self._agent_pos[c, i] = flat
        else:
            self._item_pos[c, i] = flat

    def place(self, copy: int, agents: Any, items: Any) -> None:
        """Put all of copy `copy`'s agents (N, 2) and items (P, 2) at once (every item there
        again), e.g. where a layout file marks them; PlacementError, unchanged, if they do
        not fit (walls, shared cells, outside the grid)."""
        self._require_reset()
        c = self._check_copy(copy)
        a = np.asarray(agents, dtype=np.int64)
        q = np.asarray(items, dtype=np.int64)
        n, p = self._agent_pos.shape[1], self._item_pos.shape[1]
        if a.shape != (n, 2) or q.shape != (p, 2):
            raise PlacementError(f"need {n} agents and {p} {self.item_name} as (row, col), got "
                                 f"{len(a)} and {len(q)}")
        try:
            self._place(c, a, q, np.ones(p, dtype=bool))
        except ValueError as exc:
            raise PlacementError(str(exc)) from None

    def standable_cells(self, copy: int, kind: str, index: int) -> np.ndarray:
        """(K, 2) (row, col) of every cell the entity could be moved to (its own included),
        row-major; the others stay where they are."""
        self._require_reset()
        c = self._check_copy(copy)
        is_agent, i = self._entity(kind, index)
        if not is_agent and not self._item_alive[c, i]:
            return np.zeros((0, 2), dtype=np.int64)
        occupied = np.zeros(self._grid.size, dtype=bool)
        agents = np.delete(self._agent_pos[c], i) if is_agent else self._agent_pos[c]
        live = self._item_pos[c][self._item_alive[c]]
        if not is_agent:
            live = np.delete(self._item_pos[c], i)[np.delete(self._item_alive[c], i)]
        occupied[agents] = True
        occupied[live] = True
        free = self._free_cells[~occupied[self._free_cells]]  # ascending flat = row-major
        return self._grid.to_rc(free)

    def observe(self, copy: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """obs (N, O), state (S,), avail (N, A) of one copy from its current positions
        (fresh arrays; nothing of the world changes)."""
        self._require_reset()
        c = self._check_copy(copy)
        ts = self._timestep(np.zeros(self.n_envs, dtype=np.float32))
        return ts.obs[c], ts.state[c], ts.avail_actions[c]

    def positions(self, copy: int = 0) -> dict[str, np.ndarray]:
        """{"agents": (N, 2), "items": (P, 2) (row, col), "items_alive": (P,)} of one copy."""
        self._require_reset()
        c = self._check_copy(copy)
        return {"agents": self._grid.to_rc(self._agent_pos[c]),
                "items": self._grid.to_rc(self._item_pos[c]),
                "items_alive": self._item_alive[c].copy()}

    # ------------------------------------------------------------------ helpers
    def _require_reset(self) -> None:
        if not self._has_reset:
            raise RuntimeError("call reset() before a what-if")

    def _entity(self, kind: str, index: Any) -> tuple[bool, int]:
        """(is_agent, index) of a validated kind and index."""
        if kind == "agent":
            count, name = self.config.n_agents, "agent"
        elif kind in ("item", self.item_name):
            count, name = self._item_pos.shape[1], self.item_name
        else:
            raise PlacementError(f"kind must be 'agent' or '{self.item_name}', got {kind!r}")
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise PlacementError(f"{name} index must be an int, got {index!r}")
        if not 0 <= index < count:
            raise PlacementError(f"there is no {name} {index} (this world has {count})")
        return kind == "agent", int(index)

    def _cell_flat(self, cell: Any) -> int:
        """Flat index of an in-grid (row, col); PlacementError outside the grid."""
        g = self._grid
        try:
            row, col = (v for v in cell)
        except (TypeError, ValueError):
            raise PlacementError(f"a cell is (row, col), got {cell!r}") from None
        if any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in (row, col)):
            raise PlacementError(f"a cell is two ints (row, col), got {cell!r}")
        if not (0 <= row < g.height and 0 <= col < g.width):
            raise PlacementError(f"cell ({row}, {col}) is outside the {g.height}x{g.width} grid")
        return int(g.to_flat(np.array([row, col])))

    def _taken_by(self, c: int, flat: int, skip: tuple[bool, int]) -> str | None:
        """Who stands on `flat` in copy `c` ("agent 1", "prey 0"), `skip` aside; None."""
        for j, pos in enumerate(self._agent_pos[c]):
            if pos == flat and skip != (True, j):
                return f"agent {j}"
        for j, pos in enumerate(self._item_pos[c]):
            if pos == flat and self._item_alive[c, j] and skip != (False, j):
                return f"{self.item_name} {j}"
        return None
