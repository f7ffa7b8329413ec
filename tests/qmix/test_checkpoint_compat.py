"""Files written by earlier versions keep loading, and mean what they meant.

`tests/data/v1_two_step.h5` was written by QMIX Studio before input normalisation and the
per-env-step update schedule existed (format version 1): `main.py train --scenario two_step
--steps 1000 --seed 3 --save v1_two_step.h5 --save-buffer`. The numbers below are what that
version's `main.py inspect v1_two_step.h5 --step` printed for it.
"""

from __future__ import annotations

import os

import h5py
import numpy as np
import pytest

from qmix import checkpoint

FIXTURE = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data", "v1_two_step.h5")
INSPECTED = {  # from the writing version's `inspect --step`
    "agent_qs": [[0.34175071120262146, 0.5788307785987854],
                 [0.48802927136421204, 0.4534783363342285]],
    "q_tot_chosen": 7.8554182052612305, "q_tot_greedy": 7.960263252258301,
    "v_s": 0.5416473150253296, "credit": [3.899153470993042, 3.0345067977905273],
}


def test_a_version_1_file_loads_with_the_settings_it_was_trained_with():
    config = checkpoint.read_config(FIXTURE)
    # it predates these fields: it ran on raw inputs with one update round per rollout
    assert config["normalize_inputs"] is False and config["env_steps_per_update"] == 0
    trainer = checkpoint.trainer_from_checkpoint(FIXTURE)
    assert trainer.env_steps == 1008 and trainer.updates == 118
    assert trainer.buffer.size == 504
    with h5py.File(FIXTURE, "r") as f:
        for key, var in trainer.learner.named_variables().items():
            np.testing.assert_array_equal(var.numpy().reshape(-1),
                                          f["variables"][key][()].reshape(-1), err_msg=key)


def test_a_version_1_file_inspects_as_it_did_when_it_was_written():
    step = checkpoint.summarize(FIXTURE, with_step=True)["step"]["inspection"]
    np.testing.assert_allclose(step["agent_qs"], INSPECTED["agent_qs"], rtol=1e-5)
    for key in ("q_tot_chosen", "q_tot_greedy", "v_s"):
        assert step[key] == pytest.approx(INSPECTED[key], rel=1e-5)
    np.testing.assert_allclose(step["credit"], INSPECTED["credit"], rtol=1e-5)


def test_a_version_1_file_keeps_training():
    trainer = checkpoint.trainer_from_checkpoint(FIXTURE)
    before = trainer.updates
    trainer.train(trainer.env_steps + 200)
    trainer.close()
    assert trainer.updates > before
