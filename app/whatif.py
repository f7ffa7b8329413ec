"""What-if drag in the window: while paused, drag an agent, prey or food item in the picture
to another cell and every number recomputes at once (the engine side is qmix/whatif.py).

- Mouse: press on an agent or a live item, drag (a ghost follows, the target cell is
  outlined), release on a cell. The worker moves it in a one-copy clone of copy 0
  (`WhatIf.move`); the picture and the inspector show the moved state: every agent's Q, the
  greedy joint action, Q_tot, V(s) and credit, computed from the weights that made the
  decision on screen. A refused move (a wall, another agent or item, outside the grid, a
  captured item) is one line in the status bar and the item snaps back. A press and release
  on the same cell is a click (it selects the agent, as before).
- Ctrl+Z takes back the last move; Esc leaves the what-if and the real state is back. Play,
  a step, an update, an evaluation, Reset, Open, Save and manual control all leave the
  what-if first. A what-if never changes the run (tests/app/test_app_whatif.py checks the
  trainer bit for bit).
- Only grid worlds can be dragged in; in other worlds a press says so once.

Worker side: `handlers(worker)` adds WHATIF_MOVE / WHATIF_UNDO / WHATIF_END and wraps the
commands that must leave the what-if first.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from app import scene
from app.commands import Command

LEAVES_WHATIF = (Command.PLAY, Command.STEP_ENV, Command.STEP_EPISODE, Command.STEP_UPDATE,
                 Command.EVALUATE, Command.RESET, Command.LOAD, Command.SAVE,
                 Command.TAKE_OVER, Command.HUMAN_ACTION)
"""Commands that end an active what-if (restoring the real state) before they run."""

NUDGES = {"Up": (-1, 0), "Down": (1, 0), "Left": (0, -1), "Right": (0, 1)}
"""Shift+arrow: the selected agent's what-if move of one cell (row, col change)."""
ITEM_KEYS = (("prey", "prey_alive"), ("food", "food_alive"))
"""A grid world's items in its frame: the positions key (also the world's item name for
`move`) and the alive key."""


# ---- worker side (runs on the training thread) ---------------------------------------------
def handlers(worker: Any) -> dict[Command, Any]:
    """WHATIF_MOVE ((kind, index, (row, col))), WHATIF_UNDO, WHATIF_END for `worker`, and its
    handlers of `LEAVES_WHATIF` wrapped to end a what-if first. The WhatIf lives in
    `worker.whatif` (None: none)."""
    worker.whatif = None

    def emit(wi: Any) -> None:
        snap = wi.snapshot()
        snap.whatif = True
        worker._emit_frame(force=True, snapshot=snap)

    def move(arg: tuple[str, int, tuple[int, int]]) -> None:
        from envs.placement import PlacementError
        from qmix.whatif import WhatIf, WhatIfError

        if worker.commands.playing.is_set():
            worker.notice.emit("Pause first (Space): a what-if is of the step on screen.")
            return
        kind, index, cell = arg
        try:
            if worker.whatif is None:
                worker.whatif = WhatIf.from_trainer(worker.trainer)
            worker.whatif.move(kind, int(index), tuple(cell))
        except (PlacementError, WhatIfError, ValueError) as exc:
            worker.notice.emit(f"Cannot move {kind} {index} there: {exc}")
            if worker.whatif is not None:
                emit(worker.whatif)  # the picture as it was: the item snaps back
            else:
                worker._emit_frame(force=True)
            return
        emit(worker.whatif)

    def undo(_arg: Any = None) -> None:
        wi = worker.whatif
        if wi is None:
            return
        if not wi.can_undo:
            worker.notice.emit("Nothing to undo: this is the real state (Esc leaves).")
            return
        wi.undo()
        emit(wi)

    def end(_arg: Any = None) -> None:
        wi, worker.whatif = worker.whatif, None
        if wi is None:
            return
        wi.restore()
        wi.end()
        worker._emit_frame(force=True)  # the run's own frame again

    def leaving_first(command: Command) -> Any:
        original = worker._handlers[command]

        def run(arg: Any) -> None:
            if worker.whatif is not None:
                end()
            original(arg)

        return run

    out: dict[Command, Any] = {command: leaving_first(command) for command in LEAVES_WHATIF
                               if command in worker._handlers}
    out.update({Command.WHATIF_MOVE: move, Command.WHATIF_UNDO: undo,
                Command.WHATIF_END: end})
    return out


# ---- picture geometry (plain Python) -------------------------------------------------------
def entity_at(frame: dict[str, Any], cell: tuple[int, int]) -> tuple[str, int] | None:
    """("agent", i) or (item name, k) of what stands on `cell` in a grid world's frame."""
    agents = np.asarray(frame.get("agents", np.zeros((0, 2))), np.int64).reshape(-1, 2)
    for i, (r, c) in enumerate(agents):
        if (int(r), int(c)) == tuple(cell):
            return "agent", i
    for key, alive_key in ITEM_KEYS:
        if key not in frame:
            continue
        items = np.asarray(frame[key], np.int64).reshape(-1, 2)
        alive = np.asarray(frame.get(alive_key, np.ones(len(items), bool)), bool)
        for k, (r, c) in enumerate(items):
            if alive[k] and (int(r), int(c)) == tuple(cell):
                return key, k
    return None


# ---- GUI side ------------------------------------------------------------------------------
class WhatIfControl(QObject):
    """The drag in the picture, Ctrl+Z and Esc (slots named in app/actions.py)."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.active = False  # the picture shows a what-if state
        self.dragging: tuple[str, int, tuple[int, int]] | None = None  # kind, index, from
        self.drag_pos: QPointF | None = None
        self.told_no_grid = False

    def attach(self, view: Any) -> None:
        view.drag_handler = self
        self._sync_actions()

    # ---- mouse (from EnvView) ---------------------------------------------------------------
    def _cell(self, view: Any, pos: QPointF) -> tuple[int, int] | None:
        point = view.widget_to_surface(pos)
        if point is None or view.frame is None:
            return None
        ratio = view.devicePixelRatioF()
        w = int(view._image_rect.width() * ratio)
        h = int(view._image_rect.height() * ratio)
        return scene.cell_at(view.frame, point[0], point[1], w, h, *view.label_size())

    def press(self, view: Any, pos: QPointF) -> bool:
        """A press in the picture: True if it starts a drag (on an agent or a live item)."""
        frame = view.frame
        if frame is None or "grid_shape" not in frame:
            return False
        cell = self._cell(view, pos)
        editor = getattr(self.window, "editor", None)
        if editor is not None and editor.active:  # the world editor takes the clicks
            if cell is not None:
                editor.click(cell)
            return True
        hit = None if cell is None else entity_at(frame, cell)
        if hit is None:
            return False
        self.dragging = (hit[0], hit[1], cell)
        self.drag_pos = QPointF(pos)
        return True

    def moved(self, view: Any, pos: QPointF) -> None:
        if self.dragging is not None:
            self.drag_pos = QPointF(pos)
            view.update()

    def released(self, view: Any, pos: QPointF) -> None:
        if self.dragging is None:
            return
        kind, index, start = self.dragging
        self.dragging, self.drag_pos = None, None
        view.update()
        cell = self._cell(view, pos)
        if cell == start:  # a click: select the agent under it, as without a drag
            view.agent_clicked.emit(index if kind == "agent" else -1)
            return
        w = self.window
        if w.controller.wants_play() or w.phase.value != "paused":
            w.status.message("Pause first (Space) to ask 'what if': the item snaps back.",
                             5000)
            return
        if cell is None:
            w.status.message(f"Cannot move {kind} {index} there: outside the grid.", 5000)
            return
        if getattr(w, "manual", None) is not None and w.manual.agent is not None:
            w.manual.release()  # a what-if is of the policy's decision, not a person's
        w.controller.worker.request(Command.WHATIF_MOVE, (kind, index, cell))

    def paint(self, view: Any, painter: QPainter) -> None:
        """While dragging: the target cell outlined and a ghost under the pointer."""
        if self.dragging is None or self.drag_pos is None or view.frame is None:
            return
        cell = self._cell(view, self.drag_pos)
        ratio = view.devicePixelRatioF()
        w = int(view._image_rect.width() * ratio)
        h = int(view._image_rect.height() * ratio)
        size = scene.cell_size(view.frame, w, h, *view.label_size()) / ratio
        colour = QColor(view.theme.accent)
        if cell is not None:
            x, y = scene.cell_origin(view.frame, cell, w, h, *view.label_size())
            rect = QRectF(view._image_rect.left() + x / ratio,
                          view._image_rect.top() + y / ratio, size, size)
            painter.setPen(QPen(colour, max(2.0, size * 0.06)))
            painter.setBrush(Qt.NoBrush)
            painter.drawRect(rect)
        colour.setAlpha(140)
        painter.setPen(Qt.NoPen)
        painter.setBrush(colour)
        painter.drawEllipse(self.drag_pos, size * 0.35, size * 0.35)

    # ---- keys ---------------------------------------------------------------------------------
    def nudge(self, key: str) -> None:
        """Shift+arrow: what if the selected agent (none: agent 0) stood one cell over."""
        w = self.window
        frame = w.view.frame
        if frame is None or "grid_shape" not in frame:
            w.status.message("No what-if for this world: only grid worlds (pursuit, "
                             "foraging) can have agents moved by hand.", 5000)
            return
        if w.controller.wants_play() or w.phase.value != "paused":
            w.status.message("Pause first (Space) to ask 'what if'.", 5000)
            return
        agent = w.selected_agent if w.selected_agent is not None else 0
        dr, dc = NUDGES[key.split("+")[-1]]
        row, col = (int(v) for v in np.asarray(frame["agents"]).reshape(-1, 2)[agent])
        if getattr(w, "manual", None) is not None and w.manual.agent is not None:
            w.manual.release()
        w.controller.worker.request(Command.WHATIF_MOVE, ("agent", agent, (row + dr, col + dc)))

    def undo(self) -> None:
        if self.active:
            self.window.controller.worker.request(Command.WHATIF_UNDO)

    def leave(self) -> None:
        if self.active:
            self.window.controller.worker.request(Command.WHATIF_END)

    # ---- frames -------------------------------------------------------------------------------
    def on_snapshot(self, snap: Any) -> None:
        was = self.active
        self.active = bool(getattr(snap, "whatif", False))
        if self.active:
            self.window.view.badge = "WHAT-IF · Ctrl+Z undo · Esc back to the real state"
            self.window.view.update()
        if was != self.active:
            self._sync_actions()
            self.window.status.message(
                "What-if: the numbers are of the moved state; the run is untouched." if
                self.active else "Back to the real state.", 5000)

    def new_run(self) -> None:
        self.active = False
        self.dragging = None
        self._sync_actions()

    def sync_keys(self) -> None:
        self._sync_actions()

    def _sync_actions(self) -> None:
        acts = getattr(self.window, "acts", None)
        if acts is None:
            return
        acts["whatif_undo"].setEnabled(self.active)
        acts["whatif_leave"].setEnabled(self.active)
        # Esc is also "leave presentation": while in a what-if it leaves the what-if
        acts["leave_presentation"].setEnabled(self.window.presentation and not self.active)
