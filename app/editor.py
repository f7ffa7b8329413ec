"""The world editor in the window (pursuit and foraging; the document and its rules are
envs/layout.py, switching a run to it qmix/world_edit.py).

- W enters the editor (the run pauses) and leaves it (unapplied edits are dropped).
  The picture shows the layout being edited: walls, agents, prey or food.
- Tools (Ctrl+1..4, or the buttons in the editor's bar): paint walls, erase (a wall, an agent
  or an item), add an agent, add a prey / food item. A click on a cell applies the tool.
  Every edit is checked by the scenario's own limits (counts, grid, foraging has no walls):
  a refused one is one line in the bar and nothing changes.
- Ctrl+Return applies the edited world to the run. If the networks still fit (same agents,
  actions, observation and state sizes) the run keeps training on it: the episodes in flight
  end unstored, a new episode begins there (from the scenario's random placement on the
  edited walls) and the editor closes on it. Otherwise the bar says, in one line, that a new run is needed, and
  offers to start one on the edited world.
- Ctrl+Shift+L saves the layout to a file, Ctrl+L loads one (`./studio --layout FILE` and
  `./studio train --layout FILE` open it too).

Worker side: `handlers(worker)` is the EDITOR_APPLY handler.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QFileDialog, QFrame, QHBoxLayout, QLabel, QPushButton

from app.commands import Command
from app.modal import paused_for

TOOLS = (("wall", "Wall"), ("erase", "Erase"), ("agent", "Add agent"), ("item", "Add item"))
"""The editor's tools: `envs.layout.Layout.edited` ops and their button labels (Ctrl+1..4)."""
APPLIED = "The run keeps training on the edited world"
"""The start of the worker's notice when a layout was applied (the editor listens for it)."""


# ---- worker side (runs on the training thread) ---------------------------------------------
def handlers(worker: Any) -> dict[Command, Any]:
    """EDITOR_APPLY (a Layout): switch the run to it, or one line "a new run is needed"."""

    def apply(layout: Any) -> None:
        from envs.layout import LayoutError
        from qmix.world_edit import apply_layout

        if getattr(worker, "whatif", None) is not None:  # the real state first
            worker._handlers[Command.WHATIF_END](None)
        try:
            apply_layout(worker.trainer, layout)
        except LayoutError as exc:
            worker.notice.emit(str(exc))
            return
        # the new world's first episode now, so that the picture shows it (the next step
        # would begin it anyway, with the same draw from the run's generator)
        worker.trainer._begin_rollout()
        worker.notice.emit(f"{APPLIED} ({layout.size}x{layout.size}, "
                           f"{int(layout.walls.sum())} walls): a new episode has begun there, "
                           "from the scenario's own placement.")
        worker._emit_frame(force=True)

    return {Command.EDITOR_APPLY: apply}


def preview_frame(base: dict[str, Any], layout: Any) -> dict[str, Any]:
    """A frame of the grid world `base` showing `layout` instead (for the picture only)."""
    frame = dict(base)
    n, p = len(layout.agents), len(layout.items)
    frame.update(grid_shape=layout.walls.shape, walls=layout.walls.copy(),
                 agents=layout.agents.copy(), n_agents=n, last_actions=None,
                 terminated=False, truncated=False)
    if layout.scenario == "pursuit":
        frame.update(prey=layout.items.copy(), prey_alive=np.ones(p, bool),
                     captured_now=np.zeros(p, bool), failed_catch=np.zeros(n, bool))
    else:
        levels = np.asarray(base.get("agent_levels", np.ones(0)), np.int64).reshape(-1)
        food = np.asarray(base.get("food_levels", np.ones(0)), np.int64).reshape(-1)
        frame.update(agent_levels=_fit(levels, n), food=layout.items.copy(),
                     food_levels=_fit(food, p), food_alive=np.ones(p, bool),
                     collected_now=np.zeros(p, bool))
    return frame


def _fit(values: np.ndarray, n: int) -> np.ndarray:
    """`values` cut or padded (with 1) to length n: levels of a count that changed."""
    out = np.ones(n, np.int64)
    out[: min(n, len(values))] = values[:n]
    return out


# ---- GUI side ------------------------------------------------------------------------------
class WorldEditor(QObject):
    """The editor mode of the window (slots named in app/actions.py)."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.active = False
        self.layout: Any = None  # envs.layout.Layout being edited
        self.base_frame: dict[str, Any] | None = None
        self.tool = "wall"
        self.needs_new_run = False
        self.bar = QFrame()
        self.bar.setObjectName("editorBar")
        row = QHBoxLayout(self.bar)
        row.setContentsMargins(12, 6, 8, 6)
        self.label = QLabel("")
        self.label.setWordWrap(True)
        row.addWidget(self.label, 1)
        self.tool_buttons: dict[str, QPushButton] = {}
        for i, (op, text) in enumerate(TOOLS, 1):
            button = QPushButton(f"{text} (Ctrl+{i})")
            button.setCheckable(True)
            button.setFocusPolicy(Qt.NoFocus)
            button.clicked.connect(lambda _=False, o=op: self.set_tool(o))
            row.addWidget(button)
            self.tool_buttons[op] = button
        for text, slot in (("Apply (Ctrl+Enter)", self.apply), ("Save…", self.save),
                           ("Load…", self.load), ("Close (W)", self.toggle)):
            button = QPushButton(text)
            button.setFocusPolicy(Qt.NoFocus)
            button.clicked.connect(slot)
            row.addWidget(button)
        self.new_run_button = QPushButton("Start a new run on this world")
        self.new_run_button.setFocusPolicy(Qt.NoFocus)
        self.new_run_button.clicked.connect(self.start_new_run)
        row.addWidget(self.new_run_button)
        self.new_run_button.hide()
        self.bar.hide()
        self.message = ""

    def attach(self) -> None:
        self.window.controller.worker.notice.connect(self._on_notice)
        self._sync_actions()

    # ---- slots ------------------------------------------------------------------------------
    def toggle(self) -> None:
        if self.active:
            self.leave()
        else:
            self.enter()

    def enter(self) -> bool:
        from envs.layout import ITEM_MARK, Layout, LayoutError

        w = self.window
        frame = w.view.frame
        if w.info is None or frame is None:
            w.status.message("The engine is still starting.", 4000)
            return False
        if frame.get("scenario") not in ITEM_MARK or "grid_shape" not in frame:
            w.status.message(f"No world editor for {frame.get('scenario')}: only pursuit and "
                             "foraging have layouts.", 5000)
            return False
        w.pause()
        if getattr(w, "manual", None) is not None:
            w.manual.release()
        if getattr(w, "whatif", None) is not None and w.whatif.active:
            w.whatif.leave()
        try:  # every item, captured ones too: the world has that many (envs/layout.py)
            self.layout = Layout.of_frame(frame)
        except LayoutError as exc:
            w.status.message(str(exc), 5000)
            return False
        self.base_frame = dict(frame)
        self.active = True
        self.needs_new_run = False
        self.set_tool(self.tool)
        self._say("Editing the world: click a cell to apply the tool; Ctrl+Enter applies it "
                  "to the run.")
        self.bar.show()
        self._show()
        self._sync_actions()
        return True

    def leave(self) -> None:
        if not self.active:
            return
        self.active = False
        self.bar.hide()
        self._sync_actions()
        w = self.window
        last = w.last_frame.snapshot if w.last_frame is not None else None
        w.view.badge = "" if last is None else w._badge(last)
        if last is not None:  # the run's own picture again
            w.view.set_frame(last.frame, None if last.decision is None else
                             last.decision.actions)
        w.status.message("Left the world editor.", 3000)

    def set_tool(self, op: str) -> None:
        self.tool = op
        for name, button in self.tool_buttons.items():
            button.setChecked(name == op)

    def tool_key(self, key: str) -> None:
        """Ctrl+1..4: the tool of that number."""
        index = int(key.split("+")[-1]) - 1
        if self.active and 0 <= index < len(TOOLS):
            self.set_tool(TOOLS[index][0])

    def click(self, cell: tuple[int, int]) -> None:
        """Apply the tool at `cell` (a refusal is one line; the layout is unchanged)."""
        from envs.layout import LayoutError

        try:
            self.layout = self.layout.edited(self.tool, cell, self._base())
        except LayoutError as exc:
            self._say(f"Refused: {exc}")
            return
        self.needs_new_run = False
        self.new_run_button.hide()
        self._say(self._summary())
        self._show()

    def apply(self) -> None:
        if not self.active:
            return
        self.window.controller.worker.request(Command.EDITOR_APPLY, self.layout)
        self._say("Applying…")

    def save(self) -> None:
        from envs.layout import LayoutError

        if not self.active:
            return
        with paused_for(self.window):
            path, _ = QFileDialog.getSaveFileName(self.window, "Save layout",
                                                  f"{self.layout.scenario}-layout.txt",
                                                  "Layouts (*.txt)")
        if not path:
            return
        try:
            self.layout.write(path)
        except (OSError, LayoutError) as exc:
            self._say(f"Could not save the layout: {exc}")
            return
        self._say(f"Saved the layout to {path}.")

    def load(self, path: str | None = None) -> None:
        from envs.layout import Layout, LayoutError

        if not self.active and not self.enter():
            return
        if not path:
            with paused_for(self.window):
                path, _ = QFileDialog.getOpenFileName(self.window, "Load layout", "",
                                                      "Layouts (*.txt);;All files (*)")
            if not path:
                return
        try:
            layout = Layout.read(path, self.layout.scenario)
            layout.check(self._base())
        except LayoutError as exc:
            self._say(f"Could not load the layout: {exc}")
            return
        self.layout = layout
        self._say(f"Loaded {path}: {self._summary()}")
        self._show()

    def start_new_run(self) -> None:
        """The edited world does not fit the networks: a new run on it (asks about unsaved
        progress, as Reset does)."""
        w = self.window
        settings = self.layout.settings(self._base())
        w.config = dataclasses.replace(w.config, scenario_kwargs=settings)
        self.leave()
        w.reset_run()

    # ---- inside -------------------------------------------------------------------------------
    def _base(self) -> dict[str, Any]:
        return dict(self.window.config.scenario_kwargs)

    def _summary(self) -> str:
        name = self.layout.item_name
        return (f"{self.layout.size}x{self.layout.size} grid, {int(self.layout.walls.sum())} "
                f"walls, {len(self.layout.agents)} agents, {len(self.layout.items)} {name}")

    def _show(self) -> None:
        if self.active and self.layout is not None and self.base_frame is not None:
            self.window.view.badge = "WORLD EDITOR"
            self.window.view.set_frame(preview_frame(self.base_frame, self.layout))

    def _say(self, text: str) -> None:
        self.message = text
        self.label.setText(f"<b>World editor</b> · {text}")
        self.bar.setStyleSheet(f"QFrame#editorBar {{ background: {self.window.theme.panel}; "
                               f"border: 2px solid {self.window.theme.greedy}; "
                               "border-radius: 8px; } QFrame#editorBar QPushButton:checked "
                               f"{{ background: {self.window.theme.greedy}; color: #111111; }}")

    def on_snapshot(self, _snap: Any) -> None:
        """A frame of the run arrived while editing: keep showing the layout (Play leaves
        the editor: the run's own picture again)."""
        if self.active and self.window.controller.wants_play():
            self.leave()
        elif self.active:
            self._show()

    def _on_notice(self, text: str) -> None:
        if not self.active:
            return
        if text.startswith(APPLIED):
            w = self.window
            w.config = dataclasses.replace(w.config,
                                           scenario_kwargs=self.layout.settings(self._base()))
            self._say(text)
            self.needs_new_run = False
            self.new_run_button.hide()
            self.leave()  # the picture: the run's new episode on the edited world
            w.status.message(text, 8000)
        elif text.startswith("a new run is needed"):
            self._say(text[0].upper() + text[1:])
            self.needs_new_run = True
            self.new_run_button.show()

    def new_run(self) -> None:
        """A new run (Reset, Open) leaves the editor."""
        if self.active:
            self.active = False
            self.bar.hide()
        self._sync_actions()

    def _sync_actions(self) -> None:
        acts = getattr(self.window, "acts", None)
        if acts is None:
            return
        acts["editor"].setChecked(self.active)
        for name in ("editor_tool", "editor_apply", "editor_save", "editor_load"):
            acts.set_enabled(name, self.active or name == "editor_load")
