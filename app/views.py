"""The what-if views in the window: the value map on the picture (M, Shift+M) and the mixer
surface beside it (X). The views themselves are app/value_map.py (mode, overlay) and
app/mixer_surface.py (the pyqtgraph view); their numbers are qmix/whatif.py's.

- M shows / hides the value map of the selected agent (none selected: agent 0): every cell it
  could stand on coloured by what the team's value would be if it stood there, the others
  and its memory unchanged, its real cell outlined. Shift+M cycles the value: Q_tot of the
  greedy joint action -> V(s) -> the agent's own max Q.
- X shows / hides the mixer surface: Q_tot at the state on screen as a function of the
  selected agent's Q and the next agent's, the others at their chosen actions, with its
  contours and the current point.
- Both are of the state on screen while paused: the real one, or the what-if's after a drag
  (they recompute with every move, undo and step). While the run plays the value map is off
  the picture (it would cost a what-if per cell per frame) and the surface keeps the last
  paused state, said so in its caption.

Worker side: `handlers(worker)` is the VIEWS handler: it computes what the GUI asked for on
the worker thread (it owns the trainer) and hands it out with a frame, in `Snapshot.views`.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt

from app.commands import Command
from app.mixer_surface import MixerSurfaceView
from app.value_map import ValueMapMode


# ---- worker side (runs on the training thread) ---------------------------------------------
def handlers(worker: Any) -> dict[Command, Any]:
    """VIEWS ({"value_map": (agent, kind) | None, "mixer": (i, j) | None}): the views of the
    state on screen (the active what-if's, else a what-if of the real decision, which changes
    nothing), emitted with its frame."""

    def views(arg: dict[str, Any]) -> None:
        from qmix.whatif import WhatIf, WhatIfError

        if worker.commands.playing.is_set():
            return
        active = getattr(worker, "whatif", None)
        try:
            wi = active if active is not None else WhatIf.from_trainer(worker.trainer, fixed_ok=True)
            out: dict[str, Any] = {}
            if arg.get("value_map") is not None:
                agent, kind = arg["value_map"]
                mode = ValueMapMode()
                mode.on, mode.kind = True, kind
                out["value_map"] = mode.overlay(wi, agent)
            if arg.get("mixer") is not None:
                i, j = arg["mixer"]
                grid, q_i, q_j = wi.mixer_surface(i, j)
                out["mixer"] = dict(grid=grid, q_i=q_i, q_j=q_j, point=wi.mixer_point(i, j),
                                    i=i, j=j, algo=worker.trainer.config.algo)
            snap = wi.snapshot() if active is not None else worker.trainer.snapshot()
            snap.whatif = active is not None
        except (WhatIfError, ValueError) as exc:
            worker.notice.emit(f"No what-if view here: {exc}")
            snap, out = worker.trainer.snapshot(), {"error": str(exc)}  # answered, with none
        snap.views = out
        worker._emit_frame(force=True, snapshot=snap)

    return {Command.VIEWS: views}


# ---- GUI side ------------------------------------------------------------------------------
class WhatIfViews(QObject):
    """The value-map and mixer-surface toggles (slots named in app/actions.py)."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.value_map = ValueMapMode()
        self.mixer_view = MixerSurfaceView()
        self.mixer_dock: Any = None
        self.pending = False  # asked the worker; waiting for the frame with the views
        self.asked: dict[str, Any] | None = None

    def attach(self) -> None:
        from app.widgets import dock

        w = self.window
        self.mixer_dock = dock(w, "Mixer surface", "mixerDock", self.mixer_view)
        w.addDockWidget(Qt.RightDockWidgetArea, self.mixer_dock)
        self.mixer_dock.visibilityChanged.connect(lambda on: self._changed())
        self._sync_actions()

    # ---- slots ------------------------------------------------------------------------------
    def toggle_value_map(self) -> None:
        self.value_map.toggle()
        self._changed()

    def cycle_value_map(self) -> None:
        self.value_map.cycle()
        self._changed()

    def toggle_mixer(self) -> None:
        show = not self.mixer_dock.isVisible()
        self.mixer_dock.setVisible(show)
        if show:  # a column beside the inspector, not half the window
            self.window.resizeDocks([self.mixer_dock], [460], Qt.Horizontal)
        self._changed()

    def selection_changed(self) -> None:
        if self.value_map.on or self._mixer_on():
            self._changed()

    # ---- frames -------------------------------------------------------------------------------
    def on_snapshot(self, snap: Any) -> None:
        views = getattr(snap, "views", None) or {}
        view = self.window.view
        editor = getattr(self.window, "editor", None)
        if editor is not None and editor.active:  # the picture is the layout being edited
            view.value_overlay = None
            return
        if views:  # the answer to a request (or why there is none: "error")
            self.pending = False
            view.value_overlay = views.get("value_map") if self.value_map.on else None
            view.set_frame(view.frame, view.actions)  # redraw with the overlay
            surface = views.get("mixer")
            if surface is not None:
                self.mixer_view.set_surface(**surface)
            return
        view.value_overlay = None
        if self._paused() and (self.value_map.on or self._mixer_on()) and not self.pending:
            self._request()  # a new state on screen: its views follow
        elif not self._paused() and self._mixer_on():
            text = self.mixer_view.caption.text()
            if self.mixer_view.surface is not None and "(last paused state)" not in text:
                self.mixer_view.caption.setText(f"{text} (last paused state)")

    def new_run(self) -> None:
        self.pending = False
        self.window.view.value_overlay = None
        self._sync_actions()

    # ---- inside -------------------------------------------------------------------------------
    def _mixer_on(self) -> bool:
        return self.mixer_dock is not None and self.mixer_dock.isVisible()

    def _paused(self) -> bool:
        w = self.window
        return not w.controller.wants_play() and w.phase.value == "paused"

    def _wanted(self) -> dict[str, Any]:
        w = self.window
        n = int(getattr(w.info, "n_agents", 0) or 0)
        agent = w.selected_agent if w.selected_agent is not None else 0
        mixer = (agent, (agent + 1) % n) if self._mixer_on() and n >= 2 else None
        return {"value_map": (agent, self.value_map.kind) if self.value_map.on else None,
                "mixer": mixer}

    def _request(self) -> None:
        self.asked = self._wanted()
        self.pending = True
        self.window.controller.worker.request(Command.VIEWS, self.asked)

    def _changed(self) -> None:
        w = self.window
        self._sync_actions()
        frame = w.view.frame or {}
        if self.value_map.on and "grid_shape" not in frame:
            w.status.message("No value map for this world: only grid worlds (pursuit, "
                             "foraging).", 5000)
        elif self.value_map.on or self._mixer_on():
            w.status.message(self.value_map.describe(w.selected_agent) + (
                "" if self._paused() else " · shown while paused (Space)"), 5000)
        if not self.value_map.on:
            w.view.value_overlay = None
            w.view.set_frame(w.view.frame, w.view.actions)
        if w.info is not None and self._paused() and (self.value_map.on or self._mixer_on()):
            self._request()

    def _sync_actions(self) -> None:
        acts = getattr(self.window, "acts", None)
        if acts is None:
            return
        acts["value_map"].setChecked(self.value_map.on)
        acts["mixer_surface"].setChecked(self._mixer_on())
