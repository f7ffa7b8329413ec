"""The what-if views in the window: the value map on the picture (M on/off, Shift+M: Q_tot ->
V(s) -> the agent's own max Q) and the mixer surface in a window of its own (X), both of the
state on screen while paused (the run's own step, or a what-if drag's moved state).

Worker side (`handlers(worker)`, on the training thread): WHATIF_VIEWS (arg: on/off). While
on and paused, every frame the worker sends carries `frame["whatif_views"]`: every agent's
value maps of all three kinds ({"q_tot" | "v" | "q_max": (N, H, W)}, NaN where it cannot
stand), each agent's real cell, and the mixer surface of each agent with the next one (K x K,
the axes, the current point). Computed by `qmix/whatif.py` (NumPy, 16-65 ms per agent on
pursuit here); nothing of the run changes. While training runs no views are computed (the picture moves on
60 times a second).

GUI side (`WhatIfViews`, slots named in app/actions.py): the mode (app/value_map.py), the
mixer surface window (app/mixer_surface.py) for the selected agent and the next one; the
picture takes the selected agent's map from the frame (`app/value_map.py`
`overlay_from_frame`, called by app/scene.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.commands import Command
from app.mixer_surface import MixerSurfaceView
from app.value_map import ValueMapMode

KEY = "whatif_views"
"""The frame dict's key of the views' data."""
SURFACE_K = 41


# ---- worker side (runs on the training thread) ---------------------------------------------
def compute(whatif: Any) -> dict[str, Any]:
    """The views of `whatif`'s state (a `qmix.whatif.WhatIf`): plain data for the frame."""
    from qmix.whatif import VALUE_KINDS

    n = whatif.info.n_agents
    maps = {kind: [] for kind in VALUE_KINDS}
    for agent in range(n):
        for kind in VALUE_KINDS:
            maps[kind].append(whatif.value_map(agent, kind))
    surfaces = {}
    for a in range(n if n > 1 else 0):  # each agent with the next: what X shows
        i, j = sorted((a, (a + 1) % n))
        if (i, j) not in surfaces:
            grid, q_i, q_j = whatif.mixer_surface(i, j, SURFACE_K)
            surfaces[(i, j)] = {"grid": grid, "q_i": q_i, "q_j": q_j,
                                "point": whatif.mixer_point(i, j)}
    return {"value_maps": {k: np.stack(v) for k, v in maps.items()},
            "cells": [whatif.agent_cell(a) for a in range(n)], "surfaces": surfaces,
            "algo": whatif.config.algo}


def handlers(worker: Any) -> dict[Command, Any]:
    """WHATIF_VIEWS for `worker`; while on, paused frames carry the views (see above)."""
    worker.whatif_views_on = False
    emit_frame = worker._emit_frame
    told: set[str] = set()

    def views_of(snapshot: Any) -> dict[str, Any] | None:
        from envs.placement import NoWhatIf
        from qmix.whatif import WhatIf, WhatIfError

        current = getattr(worker, "whatif", None)  # a what-if drag's moved state, if any
        try:
            wi = current if current is not None and getattr(snapshot, "whatif", False) \
                else WhatIf.from_trainer(worker.trainer)
            return compute(wi)
        except (NoWhatIf, WhatIfError) as exc:
            if str(exc) not in told:  # say why once, not on every frame
                told.add(str(exc))
                worker.notice.emit(f"Value map / mixer surface: {exc}")
            return None

    def emit(force: bool = False, snapshot: Any = None) -> None:
        t = worker.trainer
        if worker.whatif_views_on and t is not None and not worker.commands.playing.is_set() \
                and force:
            if snapshot is None:
                ok, snapshot = worker._attempt("Inspection failed",
                                               lambda: t.snapshot(inspect=True))
                if not ok:
                    return
            if snapshot.frame is not None and "grid_shape" in snapshot.frame:
                ok, views = worker._attempt("What-if views failed", lambda: views_of(snapshot))
                if ok and views is not None:
                    snapshot.frame[KEY] = views
        emit_frame(force=force, snapshot=snapshot)

    def switch(on: Any) -> None:
        worker.whatif_views_on = bool(on)
        told.clear()
        if worker.trainer is not None and not worker.commands.playing.is_set():
            worker._emit_frame(force=True)  # the views of the step on screen, now

    worker._emit_frame = emit
    return {Command.WHATIF_VIEWS: switch}


# ---- GUI side ------------------------------------------------------------------------------
class WhatIfViews(QObject):
    """M, Shift+M and X (slots named in app/actions.py) and the mixer surface window."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.mode = ValueMapMode()
        self.mixer_window: QWidget | None = None
        self.mixer: MixerSurfaceView | None = None

    # ---- slots ----------------------------------------------------------------------------
    def toggle_value_map(self) -> None:
        self.mode.toggle()
        self._changed()

    def cycle_value(self) -> None:
        self.mode.cycle()
        self._changed()

    def toggle_mixer(self) -> None:
        if self.mixer_window is not None and self.mixer_window.isVisible():
            self.mixer_window.hide()
        else:
            self._mixer_window().show()
            self._mixer_window().raise_()
        self._changed()

    @property
    def wanted(self) -> bool:
        return self.mode.on or (self.mixer_window is not None and self.mixer_window.isVisible())

    # ---- frames ---------------------------------------------------------------------------
    def on_frame(self, frame_dict: dict[str, Any] | None) -> None:
        """Called with each new picture frame (the window's on_frame)."""
        if frame_dict is not None:
            frame_dict["value_map_kind"] = self.mode.kind if self.mode.on else None
        self._update_mixer(frame_dict)

    def _changed(self) -> None:
        w = self.window
        view = w.view
        if view.frame is not None:
            view.frame["value_map_kind"] = self.mode.kind if self.mode.on else None
            view.update()
        worker = w.controller.worker
        if worker is not None:
            worker.request(Command.WHATIF_VIEWS, self.wanted)
        w.statusBar().showMessage(self.mode.describe(view.selected_agent), 4000)
        self._update_mixer(view.frame)

    def _mixer_window(self) -> QWidget:
        if self.mixer_window is None:
            box = QWidget(self.window, Qt.WindowType.Window)
            box.setWindowTitle("Mixer surface")
            layout = QVBoxLayout(box)
            layout.setContentsMargins(6, 6, 6, 6)
            self.mixer = MixerSurfaceView(self.window.theme)
            layout.addWidget(self.mixer)
            box.resize(560, 460)
            self.mixer_window = box
        return self.mixer_window

    def _update_mixer(self, frame_dict: dict[str, Any] | None) -> None:
        if self.mixer is None or self.mixer_window is None or not self.mixer_window.isVisible():
            return
        views = None if frame_dict is None else frame_dict.get(KEY)
        if not views:
            self.mixer.caption.setText("Mixer surface: pause on a grid world's step (X)")
            return
        n = len(views["cells"])
        i = self.window.view.selected_agent or 0
        j = (i + 1) % n
        surf = views["surfaces"].get((min(i, j), max(i, j)))
        if surf is None:
            return
        grid, q_i, q_j, point = surf["grid"], surf["q_i"], surf["q_j"], surf["point"]
        if i > j:  # stored for (low, high): swap the axes
            grid, q_i, q_j, point = grid.T, q_j, q_i, (point[1], point[0], point[2])
        self.mixer.set_surface(grid, q_i, q_j, point, i, j, views["algo"])
