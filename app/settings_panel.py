"""The main hyperparameters of the next run, applied on Reset. Tooltips are the docstrings of
`qmix.config.Config` (one source of truth for what a field means)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QPushButton,
                               QSpinBox, QVBoxLayout, QWidget)

from qmix.config import Config, field_docs, make_config

# (field, label, kind, minimum, maximum, step/decimals)
FIELDS: tuple[tuple[str, str, str, float, float, float], ...] = (
    ("lr", "Learning rate", "float", 1e-5, 1.0, 5),
    ("batch_size", "Batch (episodes)", "int", 1, 1024, 8),
    ("eps_anneal_steps", "ε anneal steps", "int", 0, 10_000_000, 1000),
    ("eps_finish", "ε final", "float", 0.0, 1.0, 3),
    ("hidden_dim", "Hidden units", "int", 4, 1024, 8),
    ("n_envs", "Env copies", "int", 1, 64, 1),
    ("updates_per_rollout", "Updates / rollout", "int", 0, 64, 1),
    ("target_update_interval", "Target sync (updates)", "int", 1, 100_000, 10),
    ("gamma", "Discount γ", "float", 0.0, 1.0, 3),
    ("td_lambda", "TD(λ)", "float", 0.0, 1.0, 2),
    ("seed", "Seed", "int", 0, 2**31 - 1, 1),
)
CHOICES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("agent", "Agent network", ("rnn", "ff")),
    ("optimizer", "Optimizer", ("adam", "rmsprop")),
)


class RunSettings(QWidget):
    """Edits a Config's main fields. `pending_changed(bool)`: the form differs from the run."""

    pending_changed = Signal(bool)
    apply_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        docs = field_docs()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 12)
        form = QFormLayout()
        form.setVerticalSpacing(8)
        form.setHorizontalSpacing(12)
        self.editors: dict[str, Any] = {}
        for name, label, kind, lo, hi, step in FIELDS:
            if kind == "int":
                editor = QSpinBox()
                editor.setRange(int(lo), int(hi))
                editor.setSingleStep(int(step))
                editor.setGroupSeparatorShown(True)
                editor.valueChanged.connect(self._edited)
            else:
                editor = QDoubleSpinBox()
                editor.setDecimals(int(step))
                editor.setRange(lo, hi)
                editor.setSingleStep(10 ** -int(step) * (10 if int(step) >= 4 else 1))
                editor.valueChanged.connect(self._edited)
            editor.setToolTip(f"{name}: {docs.get(name, '')}")
            text = QLabel(label)
            text.setObjectName("formLabel")
            text.setToolTip(editor.toolTip())
            form.addRow(text, editor)
            self.editors[name] = editor
        for name, label, options in CHOICES:
            editor = QComboBox()
            editor.addItems(list(options))
            editor.setToolTip(f"{name}: {docs.get(name, '')}")
            editor.currentTextChanged.connect(self._edited)
            text = QLabel(label)
            text.setObjectName("formLabel")
            text.setToolTip(editor.toolTip())
            form.addRow(text, editor)
            self.editors[name] = editor
        layout.addLayout(form)
        self.hint = QLabel("Changes apply when the run is reset.")
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        self.apply_button = QPushButton("Apply && reset run")
        self.apply_button.setObjectName("applyButton")
        self.apply_button.setToolTip("Start a new run with these settings (R)")
        self.apply_button.clicked.connect(self.apply_requested.emit)
        layout.addWidget(self.apply_button)
        self.defaults_button = QPushButton("Scenario defaults")
        self.defaults_button.setToolTip("Fill in the tuned defaults of the chosen scenario")
        layout.addWidget(self.defaults_button)
        layout.addStretch(1)
        self._loading = False
        self._applied: dict[str, Any] = {}

    def load(self, config: Config, applied: bool = True) -> None:
        """Show `config`; with `applied`, it is also what the running run uses."""
        self._loading = True
        try:
            for name, editor in self.editors.items():
                value = getattr(config, name)
                if isinstance(editor, QComboBox):
                    editor.setCurrentText(str(value))
                else:
                    editor.setValue(value)
        finally:
            self._loading = False
        if applied:
            self._applied = self.values()
        self._edited()

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, editor in self.editors.items():
            if isinstance(editor, QComboBox):
                out[name] = editor.currentText()
            elif isinstance(editor, QSpinBox):
                out[name] = int(editor.value())
            else:
                out[name] = float(editor.value())
        return out

    def build_config(self, scenario: str, algo: str, base: Config | None = None) -> Config:
        """The next run's config; raises ValueError naming a bad field.

        With `base` of the same scenario (the current run), the new run keeps everything of
        `base` the form does not show - the world's own settings (`scenario_kwargs`, e.g. a
        pz:/gym: world's factory arguments) and the other fields of a run opened from a
        file - and takes the algorithm and the form's values. Otherwise it starts from the
        scenario's Studio defaults."""
        if base is not None and base.scenario == scenario:
            return base.replace(algo=algo, **self.values())
        return make_config(scenario, algo=algo, **self.values())

    def is_pending(self) -> bool:
        return bool(self._applied) and self.values() != self._applied

    def _edited(self, *_: Any) -> None:
        if self._loading:
            return
        pending = self.is_pending()
        self.apply_button.setProperty("pending", "true" if pending else "false")
        self.apply_button.style().unpolish(self.apply_button)
        self.apply_button.style().polish(self.apply_button)
        self.hint.setText("Changed: press Apply (or R) to start a new run with these settings."
                          if pending else "Changes apply when the run is reset.")
        self.pending_changed.emit(pending)
