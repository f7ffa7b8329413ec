"""Which run comes next - the toolbar's scenario and algorithm boxes, the run settings panel's
values, and the settings each world last ran with in this session - and what a run is called
(the window's title, the view's header).

The window asks `next_config` for the config of a new run and starts it; a world that is not
built in (pz:/gym:, from the command line or a file) gets an item of its own in the box and
keeps its `--env` settings when the user switches away and back.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QComboBox

import envs
from app.drawing import fmt
from app.settings_panel import RunSettings
from app.study import file_label
from qmix.config import ALGOS, Config, make_config

ALGO_LABELS = {"qmix": "QMIX", "vdn": "VDN", "iql": "IQL"}


def algo_label(algo: str) -> str:
    return ALGO_LABELS.get(algo, algo)


def scenario_label(name: str) -> str:
    """A short human name: 'two step'; for a user's world the part that names it,
    'fake_parallel_env:make_env' for pz:tests.envs.fake_parallel_env:make_env and
    'Foraging-8x8-2p-2f-v3' for gym:lbforaging:Foraging-8x8-2p-2f-v3."""
    prefix, _, rest = name.partition(":")
    if rest and prefix == "gym":
        return rest.split(":")[-1]
    if rest and prefix == "pz":
        module, _, factory = rest.partition(":")
        return f"{module.split('.')[-1]}:{factory}" if factory else rest
    return name.replace("_", " ")


def window_title(config: Config, path: str | None, unsaved: bool) -> str:
    name = file_label(path) if path else "unsaved run"
    star = " *" if unsaved else ""
    return f"QMIX Studio — {config.scenario} · {algo_label(config.algo)} — {name}{star}"


def view_header(scenario: str, algo: str, snap: Any, presentation: bool, good: str) -> str:
    """The view card's header: scenario, algorithm, last greedy evaluation (the picture itself
    shows t and the episode's return); shorter in presentation mode."""
    parts = [algo_label(algo) if presentation
             else f"{scenario_label(scenario)} · {algo_label(algo)}"]
    if snap is not None and snap.last_eval is not None:
        greedy = (f"greedy {fmt(snap.last_eval)}" if presentation
                  else f"greedy return {fmt(snap.last_eval)}")
        if snap.solved:
            greedy += f" <span style='color:{good}'>✓ solved</span>"
        parts.append(greedy)
    return "  ·  ".join(parts)


class RunPicker(QObject):
    """`picked()`: the user chose an item in one of the boxes (maybe the current one)."""

    picked = Signal()

    def __init__(self, config: Config, settings_panel: RunSettings,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings_panel = settings_panel
        # scenario -> the scenario_kwargs it last ran with in this session, so that
        # switching back to a world (a pz:/gym: one above all) rebuilds the same world
        self.world_kwargs: dict[str, dict[str, Any]] = {}
        self.remember(config)
        self.scenario_combo = QComboBox()
        for name in envs.scenario_names():
            self.scenario_combo.addItem(name, name)
        # long names are elided in the box, shown whole in the list and the tooltip
        self.scenario_combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.scenario_combo.setMinimumContentsLength(12)
        self.scenario_combo.setToolTip("Scenario (switching starts a new run)")
        self.algo_combo = QComboBox()
        for algo in ALGOS:
            self.algo_combo.addItem(ALGO_LABELS.get(algo, algo.upper()), algo)
        self.algo_combo.setToolTip("QMIX: monotonic mixing network · VDN: sum of agent "
                                   "values · IQL: independent learners (switching starts a "
                                   "new run)")
        for combo in (self.scenario_combo, self.algo_combo):
            combo.setFocusPolicy(Qt.ClickFocus)
            combo.activated.connect(lambda _index: self.picked.emit())

    def scenario(self) -> str:
        return self.scenario_combo.currentData() or self.scenario_combo.currentText()

    def algo(self, current: Config) -> str:
        return self.algo_combo.currentData() or current.algo

    def remember(self, config: Config) -> None:
        """`config` runs now: its world's settings are the ones to come back to."""
        self.world_kwargs[config.scenario] = dict(config.scenario_kwargs)

    def next_config(self, current: Config, scenario: str | None = None) -> Config:
        """The config of a new run with the chosen algorithm: of `scenario` as it last ran
        in this session, or (None) of the current world with the settings panel's values
        and everything else of `current`. ValueError names a bad field."""
        algo = self.algo(current)
        if scenario is not None and scenario != current.scenario:
            return make_config(scenario, algo=algo, seed=current.seed,
                               scenario_kwargs=self.world_kwargs.get(scenario, {}))
        return self.settings_panel.build_config(current.scenario, algo, base=current)

    def scenario_defaults(self, current: Config) -> Config:
        """The current world's tuned defaults with the chosen algorithm."""
        return make_config(current.scenario, algo=self.algo(current))

    def sync(self, config: Config) -> None:
        """Show `config`'s scenario and algorithm; a world that is not in the scenario list
        (a pz:/gym: one, from the command line or a file) gets an item of its own."""
        combo = self.scenario_combo
        index = combo.findData(config.scenario)
        if index < 0:
            combo.addItem(config.scenario, config.scenario)
            index = combo.count() - 1
            combo.setItemData(index, config.scenario, Qt.ToolTipRole)
            width = combo.fontMetrics().horizontalAdvance(config.scenario) + 48
            combo.view().setMinimumWidth(max(combo.view().minimumWidth(), width))
        combo.setCurrentIndex(index)
        combo.setToolTip(f"Scenario: {config.scenario} (switching starts a new run)")
        index = self.algo_combo.findData(config.algo)
        if index >= 0:
            self.algo_combo.setCurrentIndex(index)
