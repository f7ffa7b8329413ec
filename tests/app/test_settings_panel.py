"""The run settings panel (app/settings_panel.py): shows a config, says when it differs from
the run, builds the next config keeping the world's own settings."""

from __future__ import annotations

import pytest

from app.settings_panel import RunSettings
from qmix.config import make_config


def test_pending_changes_and_the_next_config(qapp):
    panel = RunSettings()
    run = make_config("pursuit", scenario_kwargs={"grid_size": 7})
    panel.load(run)
    assert not panel.is_pending() and panel.values()["hidden_dim"] == run.hidden_dim
    panel.editors["hidden_dim"].setValue(24)
    assert panel.is_pending() and panel.apply_button.property("pending") == "true"
    nxt = panel.build_config("pursuit", "vdn", base=run)
    assert nxt.hidden_dim == 24 and nxt.algo == "vdn"
    assert nxt.scenario_kwargs == {"grid_size": 7}
    other = panel.build_config("two_step", "qmix", base=run)  # another world: its defaults
    assert other.scenario == "two_step" and other.scenario_kwargs == {}
    panel.editors["batch_size"].setValue(1024)  # two_step's buffer holds 512 episodes
    with pytest.raises(ValueError, match="buffer_size"):
        panel.build_config("two_step", "qmix")
    for name, editor in panel.editors.items():
        assert editor.toolTip().startswith(f"{name}: "), name  # Config's own docs
