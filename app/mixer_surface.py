"""The mixer surface view: Q_tot at the current state as a function of two agents' Q-values,
drawn as an image with contour lines and the current point marked (pyqtgraph ImageItem +
IsocurveItem). The numbers come from `qmix/whatif.py` `WhatIf.mixer_surface` (NumPy).

What a viewer should see: for QMIX, colours that only ever get brighter to the right and
upwards (the mixer is monotonic in every agent's Q: more for one agent never lowers Q_tot);
the contours' tilt is the two agents' credit ratio in this state and changes from state to
state (the hypernetworks make the mixing weights state-dependent). For VDN, straight,
evenly spaced contours: Q_tot = sum, a plane of slope 1 along both axes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.theme import DARK, Theme

N_CONTOURS = 9
"""Contour lines at evenly spaced levels strictly inside the surface's range."""

_VIRIDIS = [(68, 1, 84), (59, 81, 139), (33, 144, 141), (92, 200, 99), (253, 231, 37)]


def contour_levels(grid: np.ndarray, n: int = N_CONTOURS) -> np.ndarray:
    """`n` evenly spaced levels strictly between the grid's min and max (none if flat)."""
    lo, hi = float(np.min(grid)), float(np.max(grid))
    if not hi > lo:
        return np.zeros(0)
    return np.linspace(lo, hi, n + 2)[1:-1]


class MixerSurfaceView(QWidget):
    """Image + contours + current point of one mixer surface; `set_surface` redraws it."""

    def __init__(self, theme: Theme = DARK, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.caption = QLabel("Mixer surface: pause and press X")
        self.caption.setWordWrap(True)
        layout.addWidget(self.caption)
        self.canvas = pg.GraphicsLayoutWidget()
        layout.addWidget(self.canvas, 1)
        self.plot = self.canvas.addPlot()
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(False, False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(pg.ColorMap(np.linspace(0, 1, len(_VIRIDIS)),
                                              _VIRIDIS).getLookupTable(nPts=256))
        self.plot.addItem(self.image)
        self.bar = pg.ColorBarItem(colorMap=pg.ColorMap(np.linspace(0, 1, len(_VIRIDIS)),
                                                        _VIRIDIS), interactive=False,
                                   label="Q_tot")
        self.bar.setImageItem(self.image, insert_in=self.plot)
        self.contours: list[pg.IsocurveItem] = []
        self.point = pg.ScatterPlotItem(size=16, symbol="o", pen=pg.mkPen("w", width=2.5),
                                        brush=pg.mkBrush(theme.accent))
        self.plot.addItem(self.point)
        self.surface: dict[str, Any] | None = None
        self.apply_theme(theme)

    def apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.setStyleSheet(f"QLabel {{ color: {theme.text}; background: {theme.panel}; "
                           f"padding: 4px; }}")
        self.canvas.setBackground(theme.panel)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.enableAutoSIPrefix(False)  # Q-values as they are, not "x0.001"
            axis.setPen(pg.mkPen(theme.border))
            axis.setTextPen(pg.mkPen(theme.text_dim))
        self.point.setBrush(pg.mkBrush(theme.accent))

    def set_surface(self, grid: np.ndarray, q_i: np.ndarray, q_j: np.ndarray,
                    point: tuple[float, float, float] | None, i: int, j: int,
                    algo: str = "qmix") -> None:
        """grid (K, K): Q_tot with agent i's Q = q_i[r], agent j's = q_j[c]; `point` the
        current (Q_i, Q_j, Q_tot). Agent i runs along x, agent j along y."""
        grid = np.asarray(grid, dtype=np.float64)
        q_i, q_j = np.asarray(q_i, float), np.asarray(q_j, float)
        self.surface = {"grid": grid, "q_i": q_i, "q_j": q_j, "point": point, "i": i, "j": j,
                        "algo": algo}
        # row-major image[y, x]: y = agent j, x = agent i  ->  grid.T
        self.image.setImage(grid.T, autoLevels=False)
        lo, hi = float(grid.min()), float(grid.max())
        if not hi > lo:
            lo, hi = lo - 0.5, hi + 0.5
        self.image.setLevels((lo, hi))
        self.bar.setLevels((lo, hi))
        k_i, k_j = len(q_i), len(q_j)
        di = (q_i[-1] - q_i[0]) / max(k_i - 1, 1)
        dj = (q_j[-1] - q_j[0]) / max(k_j - 1, 1)
        # pixel centres on the sample points: the image spans half a step beyond each end
        self.image.setRect(pg.QtCore.QRectF(q_i[0] - di / 2, q_j[0] - dj / 2, di * k_i,
                                            dj * k_j))
        for item in self.contours:
            item.setParentItem(None)
            self.plot.removeItem(item)
        self.contours = []
        pen = pg.mkPen(self.theme.text, width=1.4)
        for level in contour_levels(grid):
            iso = pg.IsocurveItem(data=grid.T, level=float(level), pen=pen)
            iso.setParentItem(self.image)  # in the image's pixel coordinates
            self.contours.append(iso)
        if point is not None:
            self.point.setData([point[0]], [point[1]])
        else:
            self.point.setData([], [])
        self.plot.setLabel("bottom", f"Q of agent {i}")
        self.plot.setLabel("left", f"Q of agent {j}")
        # a little room around the image, so a point on its edge (the greedy joint action
        # is the top right corner when both agents act greedily) shows whole
        self.plot.setXRange(q_i[0] - di / 2, q_i[-1] + di / 2, padding=0.04)
        self.plot.setYRange(q_j[0] - dj / 2, q_j[-1] + dj / 2, padding=0.04)
        shape = {"qmix": "monotonic, state-dependent", "vdn": "a plane: Q_tot = sum",
                 "iql": "a plane: IQL's Q_tot = sum"}.get(algo, algo)
        now = "" if point is None else f"; now Q_tot {point[2]:.3g}"
        self.caption.setText(f"Mixer surface ({algo.upper()}, {shape}): Q_tot over agents "
                             f"{i} and {j}'s Q, the others at their chosen actions{now}")

    def show_whatif(self, whatif: Any, i: int, j: int, k: int = 41) -> None:
        """Draw `whatif.mixer_surface(i, j)` (a `qmix.whatif.WhatIf`) with its point."""
        grid, q_i, q_j = whatif.mixer_surface(i, j, k)
        self.set_surface(grid, q_i, q_j, whatif.mixer_point(i, j), i, j, whatif.config.algo)
