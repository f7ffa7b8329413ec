"""World layouts: the world editor's document (walls, agents, prey or food), its text file, the
edits it allows within the scenario's validated limits, and the check whether an edited
world still fits a run's networks. NumPy only.

File format (`.txt`, the format of `assets/layouts/*.txt` extended with marks): one line per
grid row, one character per cell; the grid must be square.

    '#' wall      '.' or ' ' free      'A' an agent      'P' a prey      'F' a food item
    lines starting with ';' are comments; blank lines are ignored

Agents are numbered row by row in reading order (the first 'A' is agent 0), and so are the
items. 'P' marks make it a pursuit layout, 'F' marks a foraging one (never both); a file
with walls only (every built-in layout) is pursuit's and leaves the counts to the scenario.
Foraging has no walls. What a layout sets: `settings()` -> the scenario's `grid_size`,
`walls` (pursuit), `n_agents` when it has 'A' marks and `n_prey` / `n_food` when it has item
marks; its marks are also where `place()` puts copy 0's agents and items (training episodes
still start from the scenario's own random layout on those walls).

Fits a run: a run's networks are sized by n_agents, n_actions, obs_dim and state_dim
(`envs.EnvInfo`); `fit_problem(old, new)` names the first that differs ("... a new run is
needed") or returns None. In pursuit the walls and the grid size change neither (obs is the
agent's view patch, state is positions), the number of prey or agents does.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from envs.placement import PlacementError

ITEM_MARK = {"pursuit": "P", "foraging": "F"}
COUNT_FIELD = {"pursuit": "n_prey", "foraging": "n_food"}
MARKS = {"#", ".", " ", "A", "P", "F"}


class LayoutError(ValueError):
    """A layout file or edit the world refuses (one line)."""


@dataclass
class Layout:
    """Walls (H, W) bool, agents (N, 2) and items (P, 2) as (row, col), of one scenario."""

    scenario: str
    walls: np.ndarray
    agents: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))
    items: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))

    def __post_init__(self) -> None:
        if self.scenario not in ITEM_MARK:
            raise LayoutError(f"layouts are for pursuit and foraging, not {self.scenario!r}")
        self.walls = np.array(self.walls, dtype=bool)
        self.agents = np.array(self.agents, dtype=np.int64).reshape(-1, 2)
        self.items = np.array(self.items, dtype=np.int64).reshape(-1, 2)

    @property
    def size(self) -> int:
        return int(self.walls.shape[0])

    @property
    def item_name(self) -> str:
        return "prey" if self.scenario == "pursuit" else "food"

    # ------------------------------------------------------------------ text
    def to_text(self) -> str:
        grid = np.where(self.walls, "#", ".").astype("<U1")
        for r, c in self.agents:
            grid[r, c] = "A"
        for r, c in self.items:
            grid[r, c] = ITEM_MARK[self.scenario]
        header = (f"; QMIX Studio layout ({self.scenario}): '#' wall, '.' free, 'A' agent, "
                  f"'{ITEM_MARK[self.scenario]}' {self.item_name}; numbered row by row\n")
        return header + "".join("".join(row) + "\n" for row in grid)

    @classmethod
    def from_text(cls, text: str, scenario: str | None = None, name: str = "layout") -> "Layout":
        """Parse a layout file's text; `scenario` given: it must be that scenario's."""
        rows = [line.rstrip("\n").rstrip("\r") for line in text.splitlines()]
        rows = [r.strip() for r in rows if r.strip() and not r.strip().startswith(";")]
        if not rows:
            raise LayoutError(f"{name} has no grid rows")
        bad = sorted({ch for row in rows for ch in row} - MARKS)
        if bad:
            raise LayoutError(f"{name} may only contain '#', '.', 'A', 'P', 'F', got {bad}")
        size = len(rows)
        if any(len(row) != size for row in rows):
            raise LayoutError(f"{name} must be square: {size} rows of lengths "
                              f"{sorted({len(r) for r in rows})}")
        chars = np.array([list(row) for row in rows])
        has = {m: bool((chars == m).any()) for m in "PF"}
        if has["P"] and has["F"]:
            raise LayoutError(f"{name} mixes prey ('P') and food ('F'); a layout is one world's")
        found = "foraging" if has["F"] else "pursuit" if has["P"] else None
        if scenario is not None and found is not None and found != scenario:
            raise LayoutError(f"{name} is a {found} layout, not a {scenario} one")
        world = scenario or found or "pursuit"
        if world not in ITEM_MARK:
            raise LayoutError(f"layouts are for pursuit and foraging, not {world!r}")
        walls = chars == "#"
        if world == "foraging" and walls.any():
            raise LayoutError(f"{name}: foraging has no walls; remove the '#' marks")
        return cls(world, walls, np.argwhere(chars == "A"),
                   np.argwhere(chars == ITEM_MARK[world]))

    @classmethod
    def read(cls, path: str | os.PathLike[str], scenario: str | None = None) -> "Layout":
        name = os.path.basename(os.fspath(path))
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise LayoutError(f"cannot read layout {name}: {exc.__class__.__name__}: "
                              f"{getattr(exc, 'strerror', None) or exc}") from None
        return cls.from_text(text, scenario, name)

    def write(self, path: str | os.PathLike[str]) -> None:
        tmp = f"{os.fspath(path)}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(self.to_text())
        os.replace(tmp, path)

    @classmethod
    def of_env(cls, env: Any, copy: int = 0) -> "Layout":
        """The layout of a running grid world's copy (see `of_frame`)."""
        if env.info.name not in ITEM_MARK:
            raise LayoutError(f"no layout editor for this world ({env.info.name}): only "
                              f"pursuit and foraging")
        return cls.of_frame(env.snapshot(copy))

    @classmethod
    def of_frame(cls, frame: dict[str, Any]) -> "Layout":
        """The layout of a grid world's snapshot (`VecEnv.snapshot`, the picture's frame).

        Every item counts, gone ones too: the world has n_prey / n_food of them whatever this
        episode captured, and a layout with fewer would no longer fit the run's networks. A
        gone item goes on its last cell when that is free, else on the first free cell (row
        by row)."""
        scenario = frame.get("scenario")
        if scenario not in ITEM_MARK or "grid_shape" not in frame:
            raise LayoutError(f"no layout editor for this world ({scenario}): only pursuit "
                              f"and foraging")
        key = "prey" if scenario == "pursuit" else "food"
        walls = np.asarray(frame["walls"], dtype=bool)
        agents = np.asarray(frame["agents"], dtype=np.int64).reshape(-1, 2)
        items = np.asarray(frame[key], dtype=np.int64).reshape(-1, 2).copy()
        alive = np.asarray(frame.get(f"{key}_alive", np.ones(len(items), bool)), dtype=bool)
        taken = walls.copy()
        taken[agents[:, 0], agents[:, 1]] = True
        taken[items[alive, 0], items[alive, 1]] = True
        for k in np.flatnonzero(~alive):
            r, c = items[k]
            if taken[r, c]:
                free = np.argwhere(~taken)
                if not len(free):
                    raise LayoutError("no free cell left for every item")
                r, c = free[0]
            items[k] = (r, c)
            taken[r, c] = True
        return cls(scenario, walls, agents, items)

    # ------------------------------------------------------------------ settings
    def settings(self, base: dict[str, Any] | None = None) -> dict[str, Any]:
        """The scenario kwargs this layout selects, over `base` (e.g. the run's others)."""
        out = dict(base or {})
        out["grid_size"] = self.size
        if self.scenario == "pursuit":
            out["walls"] = ["".join("#" if w else "." for w in row) for row in self.walls]
        if len(self.agents):
            out["n_agents"] = int(len(self.agents))
        if len(self.items):
            out[COUNT_FIELD[self.scenario]] = int(len(self.items))
        return out

    def check(self, base: dict[str, Any] | None = None) -> Any:
        """Validate the layout as the scenario would (one-line LayoutError); its config."""
        import envs  # the registry imports every world; here only on demand

        config = envs.default_config(self.scenario)
        kwargs = self.settings(base)
        try:
            config = dataclasses.replace(config, **kwargs)
            config.validate()
        except (TypeError, ValueError) as exc:
            raise LayoutError(_first_line(exc)) from None
        marks = np.concatenate([self.agents, self.items])
        if len(marks):
            if ((marks < 0) | (marks >= self.size)).any():
                raise LayoutError("a mark lies outside the grid")
            if self.walls[marks[:, 0], marks[:, 1]].any():
                raise LayoutError("an agent or item stands on a wall")
            if len({tuple(m) for m in marks}) != len(marks):
                raise LayoutError("two marks share a cell")
        return config

    # ------------------------------------------------------------------ edits
    def edited(self, op: str, cell: Any, base: dict[str, Any] | None = None) -> "Layout":
        """A new, validated layout after one edit at `cell` (row, col); this one unchanged.

        op: "wall" (paint), "erase" (a wall, an agent or an item off the cell), "agent" (add),
        "item" (add a prey / food). Counts stay within the scenario's validated limits (its
        config's checks); a refused edit raises LayoutError naming why.
        """
        r, c = _cell(cell, self.size)
        walls, agents, items = self.walls.copy(), self.agents.copy(), self.items.copy()
        here_a = np.flatnonzero((agents == (r, c)).all(axis=1))
        here_i = np.flatnonzero((items == (r, c)).all(axis=1))
        taken = len(here_a) or len(here_i)
        if op == "wall":
            if self.scenario == "foraging":
                raise LayoutError("foraging has no walls")
            if taken:
                raise LayoutError(f"cell ({r}, {c}) is taken; erase what stands there first")
            walls[r, c] = True
        elif op == "erase":
            if len(here_a):
                agents = np.delete(agents, here_a, axis=0)
            elif len(here_i):
                items = np.delete(items, here_i, axis=0)
            else:
                walls[r, c] = False
        elif op in ("agent", "item"):
            if walls[r, c] or taken:
                raise LayoutError(f"cell ({r}, {c}) is not free")
            if op == "agent":
                agents = np.concatenate([agents, [[r, c]]])
            else:
                items = np.concatenate([items, [[r, c]]])
        else:
            raise LayoutError(f"an edit is wall, erase, agent or item, got {op!r}")
        out = Layout(self.scenario, walls, _row_major(agents), _row_major(items))
        if op == "erase" and len(here_a) and not len(out.agents):
            raise LayoutError("a world needs at least one agent")
        if op == "erase" and len(here_i) and not len(out.items):
            raise LayoutError(f"a world needs at least one {self.item_name}")
        out.check(base)
        return out

    def place(self, env: Any, copy: int = 0) -> None:
        """Put copy `copy`'s agents and items where this layout marks them (the counts must
        be the env's); items beyond the marks' count stay as they are."""
        pos = env.positions(copy)
        if len(self.agents) != len(pos["agents"]) or len(self.items) != len(pos["items"]):
            raise PlacementError(f"the layout has {len(self.agents)} agents and "
                                 f"{len(self.items)} {self.item_name}, the world "
                                 f"{len(pos['agents'])} and {len(pos['items'])}")
        env.place(copy, self.agents, self.items)


def fit_problem(old: Any, new: Any) -> str | None:
    """Why a run built for EnvInfo `old` cannot go on in world `new` (one line), or None."""
    for attr, what in (("n_agents", "agents"), ("n_actions", "actions"),
                       ("obs_dim", "observation size"), ("state_dim", "state size"),
                       ("episode_limit", "episode limit")):
        a, b = getattr(old, attr), getattr(new, attr)
        if a != b:
            return (f"a new run is needed: the networks were built for {what} {a}, the edited "
                    f"world has {b}")
    return None


def _cell(cell: Any, size: int) -> tuple[int, int]:
    try:
        r, c = (int(v) for v in cell)
    except (TypeError, ValueError):
        raise LayoutError(f"a cell is (row, col), got {cell!r}") from None
    if not (0 <= r < size and 0 <= c < size):
        raise LayoutError(f"cell ({r}, {c}) is outside the {size}x{size} grid")
    return r, c


def _row_major(cells: np.ndarray) -> np.ndarray:
    cells = np.asarray(cells, np.int64).reshape(-1, 2)
    return cells[np.lexsort((cells[:, 1], cells[:, 0]))]


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
