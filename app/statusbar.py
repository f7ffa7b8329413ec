"""The status bar: the worker's phase, the run's counters and their rates, the view's fps."""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtWidgets import QLabel, QStatusBar

from app.theme import Theme
from app.worker import Phase

PHASE_TEXT = {
    Phase.STARTING: "Starting", Phase.PAUSED: "Paused", Phase.RUNNING: "Training",
    Phase.STEPPING: "Stepping", Phase.EVALUATING: "Greedy evaluation", Phase.SAVING: "Saving",
    Phase.LOADING: "Opening", Phase.ERROR: "Stopped by an error", Phase.STOPPED: "Stopped",
}
WITH_DETAIL = (Phase.PAUSED, Phase.STEPPING, Phase.EVALUATING, Phase.SAVING, Phase.LOADING)
LABELS = (("env_steps", "environment steps taken (all copies)"),
          ("episodes", "episodes finished"),
          ("updates", "gradient updates"),
          ("updates_s", "gradient updates per second"),
          ("steps_s", "env steps per second"),
          ("fps", "frames drawn per second"))


def phase_text(phase: Phase, detail: str) -> str:
    """'Paused · stepped one env step'; while starting, the detail alone."""
    text = PHASE_TEXT[phase]
    if phase is Phase.STARTING and detail:
        return detail
    if detail and phase in WITH_DETAIL:
        return f"{text} · {detail}"
    return text


class RateMeter:
    """Env steps/s and updates/s over the last ~2 s of counter readings."""

    def __init__(self, span_s: float = 2.0) -> None:
        self.span_s = span_s
        self._window: deque[tuple[float, int, int]] = deque(maxlen=64)

    def add(self, now: float, env_steps: int, updates: int) -> tuple[float, float]:
        """Take a reading; (env steps/s, updates/s), 0 until 0.2 s of readings exist or
        after the counters went back (a new run)."""
        window = self._window
        window.append((now, env_steps, updates))
        while len(window) > 2 and now - window[0][0] > self.span_s:
            window.popleft()
        t0, s0, u0 = window[0]
        dt = now - t0
        steps_s = (env_steps - s0) / dt if dt > 0.2 and env_steps >= s0 else 0.0
        updates_s = (updates - u0) / dt if dt > 0.2 and updates >= u0 else 0.0
        return steps_s, updates_s


class StatusBar:
    """Fills a window's QStatusBar: the phase on the left, counters on the right."""

    def __init__(self, bar: QStatusBar) -> None:
        self.bar = bar
        bar.setSizeGripEnabled(False)
        self.phase_label = QLabel("● Starting")
        self.phase_label.setObjectName("statusPhase")
        bar.addWidget(self.phase_label)
        self.labels: dict[str, QLabel] = {}
        for key, tip in LABELS:
            label = QLabel("")
            label.setToolTip(tip)
            bar.addPermanentWidget(label)
            self.labels[key] = label
        self.rates = RateMeter()

    def show_phase(self, phase: Phase, detail: str, theme: Theme) -> None:
        colour = {Phase.RUNNING: theme.good, Phase.ERROR: theme.error,
                  Phase.EVALUATING: theme.greedy}.get(phase, theme.text)
        self.phase_label.setText(f"<span style='color:{colour}'>●</span> "
                                 f"{phase_text(phase, detail)}")

    def show_counters(self, env_steps: int, episodes: int, updates: int,
                      fps: float | None) -> None:
        """`fps`: None while no frames are coming."""
        steps_s, updates_s = self.rates.add(time.perf_counter(), env_steps, updates)
        values = {
            "env_steps": f"env steps {env_steps:,}", "episodes": f"episodes {episodes:,}",
            "updates": f"updates {updates:,}", "updates_s": f"{updates_s:,.1f} upd/s",
            "steps_s": f"{steps_s:,.0f} steps/s",
            "fps": "– fps" if fps is None else f"{fps:.0f} fps",
        }
        for key, text in values.items():
            label = self.labels[key]
            if label.text() != text:
                label.setText(text)

    def message(self, text: str, ms: int) -> None:
        self.bar.showMessage(text, ms)
