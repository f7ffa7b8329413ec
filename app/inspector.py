"""The inspector: what every agent thinks of every action at the step on screen, and how the
mixer turns that into the team value Q_tot.

Everything is painted with QPainter from one `Snapshot` (plain data from the worker):
- a tile row: Q_tot of the chosen joint action, Q_tot of the greedy one, V(s), epsilon;
- one card per agent: Q per action as bars (chosen = filled accent bar, greedy = star,
  unavailable = hatched, exploratory choice = flag), and the mixer's credit dQ_tot/dQ_a;
- for two agents, the learned Q_tot table over joint actions as a heat map with numbers,
  beside the scenario's true joint values where it knows them (the QMIX paper's Table 1 for
  the two-step game, filling in live).

The agent cards are app/agent_bars.py, the joint table app/joint_table.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout,
                               QWidget)

from app.agent_bars import AgentBars
from app.drawing import fmt
from app.joint_table import JointTable
from app.theme import DARK, Theme

__all__ = ["AgentBars", "InspectorPanel", "JointTable", "StatTile", "fmt"]


class StatTile(QFrame):
    """A caption over a big number."""

    def __init__(self, caption: str, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tile")
        self.setToolTip(tooltip)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(0)
        self.caption = QLabel(caption)
        self.caption.setObjectName("tileCaption")
        self.value = QLabel("–")
        self.value.setObjectName("tileValue")
        layout.addWidget(self.caption)
        layout.addWidget(self.value)

    def set_value(self, text: str) -> None:
        if self.value.text() != text:
            self.value.setText(text)


class InspectorPanel(QWidget):
    """Tiles + agent cards + joint table for the snapshot on screen."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme: Theme = DARK
        self.scale = 1.0
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(int(8))
        tiles = QHBoxLayout()
        tiles.setSpacing(8)
        self.tile_q_chosen = StatTile("Q_tot chosen", "Q_tot(s, u) of the joint action the "
                                      "agents are about to take (exploration included)")
        self.tile_q_greedy = StatTile("Q_tot greedy", "Q_tot(s, u*) of the joint action "
                                      "made of every agent's greedy action")
        self.tile_v = StatTile("V(s)", "the mixer's state-dependent bias V(s) "
                               "(0 for VDN and IQL, which have no state input)")
        self.tile_eps = StatTile("ε", "exploration rate: each agent takes a random available "
                                 "action with this probability")
        for tile in (self.tile_q_chosen, self.tile_q_greedy, self.tile_v, self.tile_eps):
            tiles.addWidget(tile)
        layout.addLayout(tiles)
        self.decision_label = QLabel("Waiting for the engine…")
        self.decision_label.setObjectName("decision")
        self.decision_label.setWordWrap(True)
        layout.addWidget(self.decision_label)
        self.bars = AgentBars()
        layout.addWidget(self.bars, 1)
        # The legend sits in the card's header (see MainWindow), saving a row for the bars.
        self.legend = QLabel("")
        self.legend.setObjectName("hint")
        self.legend.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)  # never widens
        self.legend.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.legend.setToolTip("Bars: each agent's Q(o, a) for every action. Filled accent bar: "
                               "the action chosen; ★: the greedy action; hatched: unavailable; "
                               "'explored': the ε coin flip picked a random action.")
        self.table = JointTable()
        self.table.setToolTip("Q_tot over joint actions (rows: agent 0's action, columns: "
                              "agent 1's) for the state on screen, beside the true optimal "
                              "joint values. White frame: the joint action chosen; dashed "
                              "gold: the greedy one; green: the true optimum.")
        layout.addWidget(self.table, 2)  # the heat maps take most of the height left
        self.table.hide()
        self.snapshot: Any = None
        self.snapshot_with_decision: Any = None  # the last snapshot whose numbers are shown
        self.shown: dict[str, str] = {}  # what the tiles display, for tests and the e2e check

    def set_theme(self, theme: Theme, scale: float) -> None:
        self.theme, self.scale = theme, scale
        for widget in (self.bars, self.table):
            widget.theme, widget.scale = theme, scale
            widget.updateGeometry()
            widget.update()
        self.legend.setText(
            f"<b style='color:{theme.accent}'>■</b> chosen &nbsp; "
            f"<b style='color:{theme.greedy}'>★</b> greedy &nbsp; ▨ unavailable")

    def set_selected(self, agent: int | None) -> None:
        self.bars.selected = agent
        self.bars.update()

    def set_snapshot(self, snapshot: Any, action_names: tuple[str, ...]) -> None:
        self.snapshot = snapshot
        # copy 0's own return, as drawn in the picture (Snapshot.episode_return of a terminal
        # frame is the last finished episode of any copy)
        ret = (snapshot.frame or {}).get("episode_return", snapshot.episode_return)
        insp = snapshot.inspection
        dec = snapshot.decision
        eps = dec.epsilon if dec is not None else snapshot.epsilon
        self._show("eps", self.tile_eps, fmt(eps) if not snapshot.evaluating else "0 (greedy)")
        if insp is None and dec is None and self.snapshot_with_decision is not None:
            # A terminal frame: nothing left to decide. Keep the last decision's numbers on
            # screen (no flicker between steps) and say that the episode is over.
            self._set_decision(f"Episode over · return {fmt(ret)} · "
                               "bars show the last decision")
            return
        if insp is None:
            for key, tile in (("q_chosen", self.tile_q_chosen), ("q_greedy", self.tile_q_greedy),
                              ("v", self.tile_v)):
                self._show(key, tile, "–")
            qs = dec.agent_qs if dec is not None else None
            self.bars.set_data(qs, None if dec is None else dec.avail_actions,
                               None if dec is None else dec.actions,
                               None if dec is None else dec.greedy_actions,
                               None if dec is None else dec.explored, None, action_names,
                               snapshot.evaluating)
            end = "Episode over" if dec is None else f"Step t = {snapshot.t}"
            self._set_decision(f"{end} · return so far {fmt(ret)}")
            self.table.set_data(None, None, None, None, action_names, "")
            self.table.hide()
            return
        self.snapshot_with_decision = snapshot
        self._show("q_chosen", self.tile_q_chosen, fmt(insp.q_tot_chosen))
        self._show("q_greedy", self.tile_q_greedy, fmt(insp.q_tot_greedy))
        self._show("v", self.tile_v, fmt(insp.v_s))
        explored = dec.explored if dec is not None else None
        self.bars.set_data(insp.agent_qs, insp.avail_actions, insp.chosen_actions,
                           insp.greedy_actions, explored, insp.credit, action_names,
                           snapshot.evaluating)
        who = [str(i) for i in np.flatnonzero(explored)] if explored is not None else []
        if snapshot.evaluating:
            mode = "Greedy evaluation episode"
        elif who:
            mode = ("agent " if len(who) == 1 else "agents ") + ", ".join(who) + \
                " explored (random action)"
        else:
            mode = "every agent acts greedily"
        frame = snapshot.frame or {}
        t = frame.get("t", snapshot.t)  # copy 0's own step (eval copies may run longer)
        if frame.get("terminated") or frame.get("truncated"):
            self._set_decision(f"Episode over at t = {t} · return "
                               f"{fmt(ret)} · {mode}")
        else:
            self._set_decision(f"Step t = {t} · return so far "
                               f"{fmt(ret)} · {mode}")
        if insp.q_tot_table is not None:
            chosen = tuple(int(a) for a in insp.chosen_actions[:2])
            greedy = tuple(int(a) for a in insp.greedy_actions[:2])
            state = str(snapshot.frame.get("state_name", "")) if snapshot.frame else ""
            self.table.set_data(np.asarray(insp.q_tot_table), snapshot.true_joint_values,
                                chosen, greedy, action_names, state)
            if self.table.isHidden():
                self.table.show()
        else:
            self.table.hide()

    def _set_decision(self, text: str) -> None:
        if self.decision_label.text() != text:
            self.decision_label.setText(text)

    def _show(self, key: str, tile: StatTile, text: str) -> None:
        self.shown[key] = text
        tile.set_value(text)

    def clear(self, message: str) -> None:
        self.snapshot = None
        self.snapshot_with_decision = None
        self.bars.set_data(None, None, None, None, None, None, (), False)
        self.table.hide()
        for key, tile in (("q_chosen", self.tile_q_chosen), ("q_greedy", self.tile_q_greedy),
                          ("v", self.tile_v), ("eps", self.tile_eps)):
            self._show(key, tile, "–")
        self._set_decision(message)
