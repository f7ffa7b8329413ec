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

__all__ = ["AgentBars", "HEADING_TOOLTIP", "InspectorPanel", "JointTable", "StatTile", "fmt"]

HEADING_TOOLTIP = (
    "The decision of env copy 0 in the picture (same step t), with its own numbers: every "
    "frame carries the inspection of exactly the decision it shows.\n"
    "Whose weights: the ones that made the decision - the NumPy actor's agent network that "
    "chose the actions, and the mixer copied from the learner at the same moment. Both are "
    "refreshed when the run takes in a round of updates (a rollout's end, or U); with "
    "async_updates that is one round behind the online networks, which the next round is "
    "changing on the update thread meanwhile. 'acting weights, update N' names them; after "
    "U the decision on screen keeps the weights it was made with and the next one uses the "
    "new ones.\n"
    "At an episode's end: the decision that ended it, or 'no decision yet'.")


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
        self.decision_label.setToolTip(HEADING_TOOLTIP)
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
        """Show the snapshot on screen: its decision and that decision's own inspection
        (same env copy, same step), never another step's numbers. At a terminal frame: the
        decision that ended the episode, said so; with none, "no decision yet"."""
        self.snapshot = snapshot
        frame = snapshot.frame or {}
        # copy 0's own return and step, as drawn in the picture (Snapshot.episode_return of a
        # terminal frame is the last finished episode of any copy; eval copies may run longer)
        ret = frame.get("episode_return", snapshot.episode_return)
        t = frame.get("t", snapshot.t)
        dec, insp = snapshot.decision, snapshot.inspection
        eps = dec.epsilon if dec is not None else snapshot.epsilon
        self._show("eps", self.tile_eps, fmt(eps) if not snapshot.evaluating else "0 (greedy)")
        if dec is None:
            self._show_no_decision(snapshot, t, ret, action_names)
            return
        if insp is None or insp.t not in (-1, dec.t) or insp.env_copy != dec.env_copy:
            # a decision without its own inspection: its Q from the actor, no mixer numbers
            self.snapshot_with_decision = None
            self._show_tiles(None)
            self.bars.set_data(dec.agent_qs, dec.avail_actions, dec.actions,
                               dec.greedy_actions, dec.explored, None, action_names,
                               snapshot.evaluating)
            self._set_decision(f"Step t = {dec.t} · return so far {fmt(ret)} · "
                               f"{self._mode(snapshot, dec)} · no inspection for this step")
            self._show_table(snapshot, None, action_names)
            return
        self.snapshot_with_decision = snapshot
        self._show_decision(snapshot, dec, insp, action_names)
        self._set_decision(f"Step t = {dec.t} · return so far {fmt(ret)} · "
                           f"{self._mode(snapshot, dec)}{self._weights(snapshot, insp)}")

    def _show_no_decision(self, snapshot: Any, t: int, ret: float,
                          action_names: tuple[str, ...]) -> None:
        frame = snapshot.frame or {}
        over = bool(frame.get("terminated") or frame.get("truncated"))
        waiting = int(getattr(snapshot, "copies_running", 0))
        if not over:  # a run just opened: it resumes at the start of an episode
            text = "No decision yet · the run goes on with a new episode at the next step"
        else:
            text = f"Episode over at t = {t} · return {fmt(ret)}"
            if snapshot.evaluating:
                text += " · greedy evaluation"
            elif waiting:
                text += (f" · waiting for {waiting} other env "
                         f"cop{'y' if waiting == 1 else 'ies'}: N steps them, a new episode "
                         "starts when all have ended")
            else:
                text += " · no decision yet: the next step starts the next episode"
        last = getattr(snapshot, "last_decision", None)
        last_insp = getattr(snapshot, "last_inspection", None)
        if over and last is not None and last_insp is not None and \
                last_insp.t in (-1, last.t):
            # the decision that led to this very frame, and its own inspection
            self.snapshot_with_decision = snapshot
            self._show_decision(snapshot, last, last_insp, action_names)
            self._set_decision(f"{text} · bars: the decision at t = {last.t} that ended it"
                               f"{self._weights(snapshot, last_insp)}")
            return
        self.snapshot_with_decision = None
        self._show_tiles(None)
        self.bars.set_data(None, None, None, None, None, None, action_names,
                           snapshot.evaluating)
        self._show_table(snapshot, None, action_names)
        self._set_decision(text)

    def _show_decision(self, snapshot: Any, dec: Any, insp: Any,
                       action_names: tuple[str, ...]) -> None:
        self._show_tiles(insp)
        self.bars.set_data(insp.agent_qs, insp.avail_actions, insp.chosen_actions,
                           insp.greedy_actions, dec.explored, insp.credit, action_names,
                           snapshot.evaluating)
        self._show_table(snapshot, insp, action_names)

    def _show_tiles(self, insp: Any) -> None:
        self._show("q_chosen", self.tile_q_chosen, "–" if insp is None else fmt(insp.q_tot_chosen))
        self._show("q_greedy", self.tile_q_greedy, "–" if insp is None else fmt(insp.q_tot_greedy))
        self._show("v", self.tile_v, "–" if insp is None else fmt(insp.v_s))

    def _show_table(self, snapshot: Any, insp: Any, action_names: tuple[str, ...]) -> None:
        if insp is None or insp.q_tot_table is None:
            self.table.set_data(None, None, None, None, action_names, "")
            self.table.hide()
            return
        chosen = tuple(int(a) for a in insp.chosen_actions[:2])
        greedy = tuple(int(a) for a in insp.greedy_actions[:2])
        state = str(snapshot.frame.get("state_name", "")) if snapshot.frame else ""
        self.table.set_data(np.asarray(insp.q_tot_table), snapshot.true_joint_values,
                            chosen, greedy, action_names, state)
        if self.table.isHidden():
            self.table.show()

    @staticmethod
    def _mode(snapshot: Any, dec: Any) -> str:
        if snapshot.evaluating:
            return "Greedy evaluation episode"
        who = [str(i) for i in np.flatnonzero(dec.explored)]
        if who:
            return ("agent " if len(who) == 1 else "agents ") + ", ".join(who) + \
                " explored (random action)"
        return "every agent acts greedily"

    @staticmethod
    def _weights(snapshot: Any, insp: Any) -> str:
        """Whose weights the numbers are: the acting ones, and how far the online run is."""
        done = int(getattr(insp, "weights_updates", -1))
        if getattr(insp, "weights", "online") != "acting" or done < 0:
            return ""
        since = int(snapshot.updates) - done
        return f" · acting weights, update {done}" + (
            f" ({since} update{'s' if since != 1 else ''} since: the next decision uses them)"
            if since > 0 else "")

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
