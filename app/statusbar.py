"""The status bar: the worker's phase, the run's counters and their rates, the view's fps.

One label on the left says one thing at a time: the phase, or a message (a notice, "Saved
…", an action's status tip while the pointer is on it) until it times out. Qt's own
temporary message is never painted: it drew its small unstyled text in the same place as
the phase label, and the two were seen on top of each other ("Greedy episode return: 19.8"
over "● Paused"). Whatever calls `QStatusBar.showMessage` lands in that label too. The
left text is never cut: when the bar is too narrow, the least important counters (fps,
steps/s, upd/s, episodes) give way first.
"""

from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
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


GIVE_WAY = ("fps", "steps_s", "updates_s", "episodes")  # hidden first when space runs out
MESSAGE_MS = 6000  # a message shown through QStatusBar.showMessage (its timeout is not told)


class StatusBar(QObject):
    """Fills a window's QStatusBar: the phase (or a message) on the left, counters on the
    right."""

    def __init__(self, bar: QStatusBar) -> None:
        super().__init__(bar)
        self.bar = bar
        bar.setSizeGripEnabled(False)
        self.phase_label = QLabel("● Starting")  # the one left label: phase or message
        self.phase_label.setObjectName("statusPhase")
        self.phase_label.setTextFormat(Qt.RichText)
        bar.addWidget(self.phase_label)
        self.labels: dict[str, QLabel] = {}
        for key, tip in LABELS:
            label = QLabel("")
            label.setToolTip(tip)
            bar.addPermanentWidget(label)
            self.labels[key] = label
        self.rates = RateMeter()
        self.phase_html = self.phase_label.text()
        self.message_text = ""  # the message on show ("" none)
        self.tip_text = ""  # an action's status tip while the pointer is on it
        self._expiry = QTimer(self)
        self._expiry.setSingleShot(True)
        self._expiry.timeout.connect(self.clear_message)
        bar.messageChanged.connect(self._from_qt)
        bar.installEventFilter(self)  # resizes: what fits
        window = bar.parentWidget()
        if window is not None:
            window.installEventFilter(self)  # status tips: into the one label
            self._window = window

    # ---- what the left label says -------------------------------------------------------
    def show_phase(self, phase: Phase, detail: str, theme: Theme) -> None:
        colour = {Phase.RUNNING: theme.good, Phase.ERROR: theme.error,
                  Phase.EVALUATING: theme.greedy}.get(phase, theme.text)
        self.phase_html = (f"<span style='color:{colour}'>●</span> "
                           f"{escape(phase_text(phase, detail))}")
        self._show_left()

    def message(self, text: str, ms: int) -> None:
        """`text` in place of the phase for `ms` ms (0: until replaced or cleared)."""
        self.message_text = text
        if ms > 0:
            self._expiry.start(ms)
        else:
            self._expiry.stop()
        self._show_left()

    def clear_message(self) -> None:
        self._expiry.stop()
        self.message_text = ""
        self._show_left()

    def left_text(self) -> str:
        """What the left label says, as plain text."""
        return self.tip_text or self.message_text or phase_plain(self.phase_html)

    def _show_left(self) -> None:
        text = self.tip_text or self.message_text
        html = escape(text) if text else self.phase_html
        if self.phase_label.text() != html:
            self.phase_label.setText(html)
            self.fit()

    def _from_qt(self, text: str) -> None:
        """QStatusBar.showMessage was called (app/session.py's "Saved …"): the text goes
        to the one label, Qt's own painted message is cleared at once."""
        if text:
            self.bar.clearMessage()  # emits "" back: ignored below
            self.message(text, MESSAGE_MS)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind == QEvent.StatusTip and obj is getattr(self, "_window", None):
            self.tip_text = event.tip()
            self._show_left()
            return True  # QMainWindow would hand it to QStatusBar.showMessage
        if kind == QEvent.Resize and obj is self.bar:
            QTimer.singleShot(0, self.fit)
        return False

    def fit(self) -> None:
        """Hide the least important counters while the left text and the rest do not fit."""
        bar = self.bar
        width = bar.width()
        if width <= 0:
            return
        spacing = 8  # QStatusBar's layout spacing and item margins, about
        need = self.phase_label.sizeHint().width() + 2 * spacing
        shown = dict.fromkeys(self.labels, True)
        for key, label in self.labels.items():
            need += label.sizeHint().width() + spacing
        for key in GIVE_WAY:
            if need <= width:
                break
            shown[key] = False
            need -= self.labels[key].sizeHint().width() + spacing
        for key, label in self.labels.items():
            if label.isVisibleTo(bar) != shown[key]:
                label.setVisible(shown[key])

    def show_counters(self, env_steps: int, episodes: int, updates: int,
                      fps: float | None) -> None:
        """`fps`: None while no frames are coming. The rates, read a few times a second."""
        steps_s, updates_s = self.rates.add(time.perf_counter(), env_steps, updates)
        self._set_texts({
            **self._counts(env_steps, episodes, updates),
            "updates_s": f"{updates_s:,.1f} upd/s", "steps_s": f"{steps_s:,.0f} steps/s",
            "fps": "– fps" if fps is None else f"{fps:.0f} fps",
        })

    def show_counts(self, env_steps: int, episodes: int, updates: int) -> None:
        """The counters of the frame on screen, with every frame: they then agree with the
        inspector's "acting weights, update N" (read 4 times a second, they lagged it by
        up to a quarter of a second: 4-5 updates at full speed)."""
        self._set_texts(self._counts(env_steps, episodes, updates))

    @staticmethod
    def _counts(env_steps: int, episodes: int, updates: int) -> dict[str, str]:
        return {"env_steps": f"env steps {env_steps:,}", "episodes": f"episodes {episodes:,}",
                "updates": f"updates {updates:,}"}

    def _set_texts(self, values: dict[str, str]) -> None:
        changed = False
        for key, text in values.items():
            label = self.labels[key]
            if label.text() != text:
                label.setText(text)
                changed = True
        if changed:
            self.fit()



def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def phase_plain(html: str) -> str:
    """The phase label's text without its markup."""
    import re

    plain = re.sub(r"<[^>]+>", "", html)
    return plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
