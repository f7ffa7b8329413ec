"""Manual control in the window: take over one agent of env copy 0 and play it from the
keyboard while the others act with their policy (the engine side is qmix/manual.py).

- T takes over the selected agent (A or a click on it in the picture selects; none selected:
  agent 0) and releases it; selecting another agent while in control moves control to it.
- Arrow keys are the agent's moves, 1-9 its action by number (the scenario's action list).
  Paused (taking over pauses): every key is one env step of every copy with that action -
  turn by turn, like a board game. Playing: the key is the agent's action at its next step,
  at the chosen speed; without a key it stays (the scenario's "stay", else the policy's
  action). While in control the Right arrow is a move, not Step (N still steps).
- G: the other agents act greedily (else ε-greedy, as in training). B: the episodes you
  played go into the replay buffer (by default copy 0's episode is kept out; the other
  copies' episodes go in as always).
- The banner above the cards says who you control, what your last step's joint action was
  worth (Q_tot of the joint action taken, yours included, against the greedy one's) and what
  the agent would have chosen, and whether your steps reach the buffer.

Worker side: `handlers(worker)` are the worker's handlers of the three commands.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QLabel

from app.commands import Command
from app.drawing import fmt
from qmix.manual import action_for_key

MOVE_KEYS = {"Up": "up", "Down": "down", "Left": "left", "Right": "right"}


# ---- worker side (runs on the training thread) ---------------------------------------------
def handlers(worker: Any) -> dict[Command, Any]:
    """The worker's handlers of TAKE_OVER (agent or None), HUMAN_OPTIONS (dict) and
    HUMAN_ACTION (action index): a refusal is a one-line notice, the run goes on."""

    def refuse(message: str) -> None:
        worker.notice.emit(message)

    def take_over(agent: int | None) -> None:
        if worker._attempt("Cannot take over", lambda: worker.trainer.take_over(agent),
                           on_error=refuse)[0]:
            worker._emit_frame(force=True)

    def options(arg: dict[str, bool]) -> None:
        if worker._attempt("Cannot change manual control",
                           lambda: worker.trainer.set_human_options(**arg), on_error=refuse)[0]:
            worker._emit_frame(force=True)

    def act(action: int) -> None:
        ok = worker._attempt("", lambda: worker.trainer.human_act(action),
                             on_error=lambda m: refuse(m.split(": ", 2)[-1]))[0]
        if not ok:
            return
        if worker.commands.playing.is_set():
            worker._emit_frame(force=True)  # taken at the next step of the running loop
        else:
            worker._step_env()  # paused: your key is the step

    return {Command.TAKE_OVER: take_over, Command.HUMAN_OPTIONS: options,
            Command.HUMAN_ACTION: act}


# ---- GUI side ------------------------------------------------------------------------------
class ManualControl(QObject):
    """The window's manual-control state and keys (slots named in app/actions.py)."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.agent: int | None = None  # the agent under your control (GUI's view)
        self.others_greedy = False
        self.to_buffer = False
        self.banner = QLabel("")
        self.banner.setObjectName("manualBanner")
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.RichText)
        self.banner.hide()
        self.last_refusal = ""

    def attach(self) -> None:
        """After the window built its actions: the keys of a move start disabled."""
        self._sync_actions()

    # ---- slots (keys) -----------------------------------------------------------------------
    def toggle(self) -> None:
        w = self.window
        if self.agent is not None:
            self.release()
            return
        if w.info is None:
            w.status.message("The engine is still starting.", 4000)
            self._sync_actions()
            return
        if w.controller.wants_play():
            w.pause()  # turn by turn: each key is one step (Play runs at the chosen speed)
        agent = w.selected_agent if w.selected_agent is not None else 0
        if w.selected_agent is None:
            w.select_agent(agent)
        self._control(agent)

    def release(self) -> None:
        if self.agent is None:
            return
        self.agent = None
        self.window.controller.worker.request(Command.TAKE_OVER, None)
        self._sync_actions()
        self.banner.hide()
        self.window.status.message("Released: every agent acts with its policy again.", 4000)

    def selection_changed(self, agent: int | None) -> None:
        """The selected agent changed (A, a click, a new run): control follows it."""
        if self.agent is None or agent == self.agent:
            return
        if agent is None:
            self.release()
        else:
            self._control(agent)

    def move_key(self, key: str) -> None:
        self._act_key(MOVE_KEYS.get(key, key.lower()), key)

    def number_key(self, key: str) -> None:
        self._act_key(key, key)

    def toggle_others_greedy(self) -> None:
        self.others_greedy = not self.others_greedy
        self.window.controller.worker.request(Command.HUMAN_OPTIONS,
                                              {"others_greedy": self.others_greedy})
        self._sync_actions()
        self.window.status.message("The other agents act " + (
            "greedily." if self.others_greedy else "ε-greedily, as in training."), 4000)

    def toggle_to_buffer(self) -> None:
        self.to_buffer = not self.to_buffer
        self.window.controller.worker.request(Command.HUMAN_OPTIONS,
                                              {"to_buffer": self.to_buffer})
        self._sync_actions()
        self.window.status.message(
            "Your episodes now go into the replay buffer." if self.to_buffer else
            "Your episodes are kept out of the replay buffer.", 5000)
        self._show_banner(None)

    # ---- frames -----------------------------------------------------------------------------
    def on_snapshot(self, snap: Any) -> None:
        if self.agent is not None and not snap.evaluating:
            self._show_banner(snap)

    def new_run(self) -> None:
        """A new run (Reset, Open) starts with nobody under manual control."""
        self.agent = None
        self.banner.hide()
        self._sync_actions()
        if self.others_greedy or self.to_buffer:  # the new trainer gets the same options
            self.window.controller.worker.request(
                Command.HUMAN_OPTIONS, {"others_greedy": self.others_greedy,
                                        "to_buffer": self.to_buffer})

    # ---- inside ------------------------------------------------------------------------------
    def _control(self, agent: int) -> None:
        self.agent = agent
        self.window.controller.worker.request(Command.TAKE_OVER, agent)
        self._sync_actions()
        self._show_banner(None)
        self.window.status.message(
            f"You control agent {agent}: arrows / 1-9 act (one step each while paused); "
            "T releases.", 6000)

    def _act_key(self, key: str, shown: str) -> None:
        w = self.window
        if self.agent is None or w.info is None:
            return
        names = tuple(w.info.action_names)
        action = action_for_key(key, names)
        if action is None:
            self.last_refusal = (f"{w.info.name} has no action for {shown} "
                                 f"(its actions: {', '.join(names)})")
            w.status.message(self.last_refusal, 5000)
            return
        if w.phase.value in ("stepping", "evaluating"):
            w.controller.pause()
        w.controller.worker.request(Command.HUMAN_ACTION, action)

    def _sync_actions(self) -> None:
        acts = getattr(self.window, "acts", None)
        if acts is None:
            return
        on = self.agent is not None
        acts["take_over"].setChecked(on)
        acts["take_over"].setText("Release agent" if on else "Take over agent")
        for name in ("human_move", "human_action"):
            acts.set_enabled(name, on)
        acts["human_others_greedy"].setChecked(self.others_greedy)
        acts["human_to_buffer"].setChecked(self.to_buffer)
        # Right is Step's key too: while you control an agent it is a move (N still steps)
        acts["step_env"].setShortcuts(["N"] if on else ["N", "Right"])

    def _show_banner(self, snap: Any) -> None:
        if self.agent is None:
            self.banner.hide()
            return
        w = self.window
        where = ("your episodes go into the replay buffer" if self.to_buffer
                 else "your episodes are kept out of the replay buffer")
        others = "greedy" if self.others_greedy else "ε-greedy"
        parts = [f"<b>You control agent {self.agent}</b> · the others act {others} · {where}"]
        step = getattr(snap, "human_step", None) if snap is not None else None
        names = tuple(w.info.action_names) if w.info is not None else ()
        if step is not None and snap.human_agent == self.agent:
            mine = int(step.chosen_actions[self.agent])
            would = int(step.greedy_actions[self.agent])
            parts.append(
                f"your last step: <b>{_name(names, mine)}</b> (the agent's greedy choice: "
                f"{_name(names, would)}) · Q_tot of the joint action taken "
                f"<b>{fmt(step.q_tot_chosen)}</b>, of the greedy one {fmt(step.q_tot_greedy)}")
        else:
            parts.append("arrows / 1-9: its action · T releases · G others greedy · "
                         "B buffer")
        self.banner.setText(" · ".join(parts))
        self.banner.setStyleSheet(
            f"QLabel#manualBanner {{ background: {w.theme.accent}; color: #111111; "
            "border-radius: 8px; padding: 6px 12px; font-weight: 500; }")
        self.banner.show()


def _name(names: tuple[str, ...], action: int) -> str:
    return names[action] if 0 <= action < len(names) else str(action)
