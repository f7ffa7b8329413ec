"""Live training curves (pyqtgraph), one plot per curve of `qmix.types.CURVES` (episode return,
greedy evaluation return, TD loss, epsilon, mean Q_tot, gradient norm), against env steps.

Names and titles come from `CURVES`; how a curve is drawn follows from the event that records
it (its `hook`): per-episode and per-update values are noisy and drawn smoothed over a faint
raw line, the evaluation gets markers and the scenario's *solved* line, a probability (ε)
keeps a 0..1 axis. A new curve in `CURVES` gets a plot here with no change to this file.

Points arrive incrementally with each frame and are appended to growing NumPy arrays
(amortised doubling), so a long run never re-sends or re-copies its history. Curves draw
with `clipToView` + automatic peak downsampling: a million-point curve costs what the pixels
cost. Redraws are throttled by the caller (the window refreshes plots at 4 Hz). Measured cost
of one repaint of the plots (offscreen, 8k-20k points each): 47 ms with anti-aliased 2.5 px pens
on every curve and a grid; 25 ms with the noisy raw curves drawn 1 px without anti-aliasing;
10 ms without the grid (grid lines belong to the axes, so every curve change repainted every
axis) and with ranges that only change in steps. At display rate the first would have eaten
a core - and the GIL - that the trainer needs.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.theme import DARK, Theme
from qmix.types import CURVES, Curve

pg.setConfigOptions(antialias=True, useNumba=False)


class StepsAxis(pg.AxisItem):
    """Env-step ticks as 50k / 1.5M: short labels that do not collide at projector sizes."""

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph override
        out = []
        for v in values:
            v = v * scale
            if abs(v) >= 1e6:
                out.append(f"{v / 1e6:g}M")
            elif abs(v) >= 1e3:
                out.append(f"{v / 1e3:g}k")
            else:
                out.append(f"{v:g}")
        return out

NOISY_HOOKS = ("on_episode_end", "on_update")  # one point per episode / update: smoothed
EVAL_HOOK = "on_evaluate"  # the greedy evaluation: markers, the solved line, returns from 0
PROBABILITY_UNITS = ("ε",)  # a 0..1 axis
NAMES = tuple(curve.name for curve in CURVES)
(EVAL,) = (curve.name for curve in CURVES if curve.hook == EVAL_HOOK)
COLUMNS = 3
COMPACT = ("episode_return", "eval_return", "loss", "q_tot")  # presentation mode: 2 x 2
if not set(COMPACT) <= set(NAMES):  # a curve renamed in qmix/types.py
    raise ImportError(f"plots.COMPACT names curves that CURVES lacks: "
                      f"{sorted(set(COMPACT) - set(NAMES))}")


def smoothed(curve: Curve) -> bool:
    return curve.hook in NOISY_HOOKS


def _nice_ceil(value: float) -> float:
    """The smallest of 1, 1.5, 2, 3, 4, 5, 6, 8 x 10^k that is >= value."""
    exp = 10 ** np.floor(np.log10(value))
    for step in (1, 1.5, 2, 3, 4, 5, 6, 8, 10):
        if step * exp >= value:
            return float(step * exp)
    return float(10 * exp)


class Series:
    """Growing x/y arrays plus an exponential moving average for noisy curves."""

    def __init__(self) -> None:
        self.x = np.zeros(256)
        self.y = np.zeros(256)
        self.ema = np.zeros(256)
        self.n = 0
        self.dropped = 0  # non-finite points left out
        self._ema_value: float | None = None

    def extend(self, points: list[tuple[int, float]], alpha: float = 0.05) -> None:
        """Append (env step, value) points; a point with a NaN or infinite coordinate is
        dropped (counted in `dropped`): pyqtgraph cannot range or downsample through one,
        and the run's own error banner already says that training diverged."""
        if not len(points):
            return
        arr = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        keep = np.isfinite(arr).all(axis=1)
        if not keep.all():
            self.dropped += int((~keep).sum())
            arr = arr[keep]
        k = len(arr)
        if not k:
            return
        need = self.n + k
        if need > self.x.size:
            size = max(need, 2 * self.x.size)
            for name in ("x", "y", "ema"):
                grown = np.zeros(size)
                grown[: self.n] = getattr(self, name)[: self.n]
                setattr(self, name, grown)
        self.x[self.n: need] = arr[:, 0]
        self.y[self.n: need] = arr[:, 1]
        value = self._ema_value
        for j in range(k):
            y = arr[j, 1]
            value = y if value is None else (1 - alpha) * value + alpha * y
            self.ema[self.n + j] = value
        self._ema_value = value
        self.n = need

    @property
    def last(self) -> float | None:
        return float(self.y[self.n - 1]) if self.n else None


class PlotsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.canvas = pg.GraphicsLayoutWidget()
        layout.addWidget(self.canvas)
        self.theme: Theme = DARK
        self.scale = 1.0
        self.series: dict[str, Series] = {name: Series() for name in NAMES}
        self.plots: dict[str, pg.PlotItem] = {}
        self.raw: dict[str, pg.PlotDataItem] = {}
        self.smooth: dict[str, pg.PlotDataItem] = {}
        self.solved_line: pg.InfiniteLine | None = None
        self.solved_value: float | None = None
        self._ranges: dict[str, tuple[float, float, float, float]] = {}
        self._probabilities = {c.name for c in CURVES if c.unit in PROBABILITY_UNITS}
        self._dirty = False
        self.compact = False
        for index, curve in enumerate(CURVES):
            key = curve.name
            row, col = divmod(index, COLUMNS)
            plot = self.canvas.addPlot(row=row, col=col, title=curve.title,
                                       axisItems={"bottom": StepsAxis(orientation="bottom")})
            plot.showGrid(x=False, y=False)
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
            plot.getViewBox().setMouseEnabled(x=True, y=False)
            plot.hideButtons()
            plot.getAxis("bottom").setStyle(maxTickLevel=1)
            for axis in ("left", "bottom"):
                # the SI-prefix label re-renders HTML on every range change (measured: 65/s)
                plot.getAxis(axis).enableAutoSIPrefix(False)
            # Ranges are set by hand, in steps (see `_fit`): an axis whose range did not
            # change is not repainted, and axis painting is most of a plot repaint's cost.
            plot.disableAutoRange()
            raw = plot.plot([], [])
            self.raw[key] = raw
            if smoothed(curve):
                self.smooth[key] = plot.plot([], [])
            # Set on the items: PlotItem.setDownsampling(auto=True) alone left these items
            # undownsampled (measured: 8,000 points drawn in a 290 px plot).
            raw.setDownsampling(auto=True, method="peak")
            raw.opts["autoDownsampleFactor"] = 1.0  # ~2 points per pixel
            raw.setClipToView(True)
            if curve.hook == "on_episode_end":
                # one point per episode, n_envs at a time: the raw line is a solid band
                # that hides the trend; the smoothed curve says what matters
                raw.setVisible(False)
            if smoothed(curve):
                raw.curve.opts["antialias"] = False  # faint noisy line: AA costs 3x, shows 0
                smooth = self.smooth[key]
                smooth.setDownsampling(auto=True, method="mean")
                smooth.opts["autoDownsampleFactor"] = 0.5  # a point every 2 px is smooth
                smooth.setClipToView(True)
            self.plots[key] = plot
        self.apply_theme(DARK, 1.0)

    def set_compact(self, compact: bool) -> None:
        """Presentation mode: only the four curves that tell the story, each bigger."""
        if compact == self.compact:
            return
        self.compact = compact
        layout = self.canvas.ci
        for plot in self.plots.values():
            if plot in layout.items:
                layout.removeItem(plot)
        keys = COMPACT if compact else NAMES
        columns = 2 if compact else COLUMNS
        for index, key in enumerate(keys):
            row, col = divmod(index, columns)
            layout.addItem(self.plots[key], row=row, col=col)
        for key, plot in self.plots.items():
            plot.setVisible(key in keys)

    # ---- data ---------------------------------------------------------------------------
    def clear(self) -> None:
        self.series = {name: Series() for name in NAMES}
        self._ranges = {}
        self._dirty = True
        self.redraw()
        for key in self.plots:  # a new run does not keep the old run's axes
            self._empty_range(key)

    def _empty_range(self, key: str) -> None:
        """Axes of a plot without points: 0..1, the greedy return's up to the solved line."""
        lo, hi = 0.0, 1.0
        if key == EVAL and self.solved_value is not None:
            lo, hi = min(lo, 1.1 * self.solved_value), max(hi, 1.1 * self.solved_value)
        self.plots[key].setRange(xRange=(0.0, 1.0), yRange=(lo, hi), padding=0)

    def extend(self, points_by_curve: dict[str, list[tuple[int, float]]]) -> None:
        """Append (env step, value) points, by curve name."""
        for key, points in points_by_curve.items():
            if key in self.series and points:
                self.series[key].extend(points)
                self._dirty = True

    def set_solved_return(self, value: float | None) -> None:
        """The dashed 'solved' line on the greedy-return plot; None (or a non-finite value:
        a world without a known threshold) draws none."""
        if value is not None and not np.isfinite(value):
            value = None
        self.solved_value = None if value is None else float(value)
        value = self.solved_value
        self._ranges.pop(EVAL, None)
        plot = self.plots[EVAL]
        if self.solved_line is not None:
            plot.removeItem(self.solved_line)
            self.solved_line = None
        if value is not None:
            pen = pg.mkPen(self.theme.good, width=1.5, style=pg.QtCore.Qt.DashLine)
            self.solved_line = pg.InfiniteLine(pos=value, angle=0, pen=pen,
                                               label="solved", labelOpts={
                                                   "position": 0.97, "color": self.theme.good,
                                                   "anchors": [(1, 0), (1, 0)]})
            plot.addItem(self.solved_line)
        if self.series[EVAL].n == 0:
            self._empty_range(EVAL)

    def redraw(self) -> bool:
        """Push new points to the curves; False when nothing changed."""
        if not self._dirty:
            return False
        self._dirty = False
        for key, s in self.series.items():
            x, y = s.x[: s.n], s.y[: s.n]
            if key in self.smooth:
                self.raw[key].setData(x, y)
                self.smooth[key].setData(x, s.ema[: s.n])
            else:
                self.raw[key].setData(x, y)
            self._fit(key, x, y)
        return True

    def _fit(self, key: str, x: np.ndarray, y: np.ndarray) -> None:
        """Grow or shrink a plot's range only when the data leave it (or fill under half of
        it): x to the next round number, y with a 10 % margin."""
        finite = y[np.isfinite(y)]
        if finite.size == 0:
            return
        x_hi = float(np.max(x[np.isfinite(x)], initial=1.0)) if x.size else 1.0
        y_lo, y_hi = float(finite.min()), float(finite.max())
        if key == EVAL:  # returns against 0 (and the solved line, if any)
            y_lo = min(y_lo, 0.0)
            if self.solved_value is not None:
                y_hi = max(y_hi, self.solved_value)
        if key in self._probabilities:
            y_lo, y_hi = 0.0, max(1.0, y_hi)
        old = self._ranges.get(key)
        if old is not None:
            ox_hi, oy_lo, oy_hi = old[1], old[2], old[3]
            span = max(oy_hi - oy_lo, 1e-9)
            fits_x = x_hi <= ox_hi and x_hi > 0.5 * ox_hi
            fits_y = (oy_lo <= y_lo and y_hi <= oy_hi
                      and (y_hi - y_lo) > 0.5 * span)
            if fits_x and fits_y:
                return
        new_x = _nice_ceil(max(x_hi * 1.15, 10.0))
        margin = 0.1 * max(y_hi - y_lo, 1e-3 * max(abs(y_hi), 1.0), 1e-6)
        rng = (0.0, new_x, y_lo - margin, y_hi + margin)
        if not all(np.isfinite(rng)):  # e.g. values near the float limit: keep the old range
            return
        self._ranges[key] = rng
        self.plots[key].setRange(xRange=rng[:2], yRange=rng[2:], padding=0)

    # ---- look ---------------------------------------------------------------------------
    def apply_theme(self, theme: Theme, scale: float) -> None:
        self.theme, self.scale = theme, scale
        self.canvas.setBackground(theme.panel)
        size = f"{round(10.5 * scale)}pt"
        for idx, curve in enumerate(CURVES):
            key = curve.name
            plot = self.plots[key]
            colour = theme.plot_colours[idx % len(theme.plot_colours)]
            plot.setTitle(curve.title, color=theme.text, size=size)
            for axis_name in ("left", "bottom"):
                axis = plot.getAxis(axis_name)
                axis.setPen(pg.mkPen(theme.border))
                axis.setTextPen(pg.mkPen(theme.text_dim))
                font = self.font()
                font.setPointSizeF(9.0 * scale)
                axis.setTickFont(font)
            if smoothed(curve):
                faint = pg.mkColor(colour)
                faint.setAlpha(24)
                self.raw[key].setPen(pg.mkPen(faint, width=1))
                self.smooth[key].setPen(pg.mkPen(colour, width=2 * scale))
            elif key == EVAL:
                self.raw[key].setPen(pg.mkPen(colour, width=2.5 * scale))
                self.raw[key].setSymbol("o")
                self.raw[key].setSymbolSize(7 * scale)
                self.raw[key].setSymbolBrush(colour)
                self.raw[key].setSymbolPen(None)
            else:
                self.raw[key].setPen(pg.mkPen(colour, width=2.5 * scale))
        if self.solved_line is not None:
            self.set_solved_return(self.solved_line.value())
