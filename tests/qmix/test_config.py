"""The one Config: every field documented, typed and validated once; presets and scenario
defaults mean what their names say."""

from __future__ import annotations

import dataclasses

import pytest

from qmix.config import PRESETS, Config, field_docs, make_config


def test_config_rejects_bad_values_naming_the_field():
    for field, value in [("lr", -1.0), ("batch_size", 0), ("algo", "coma"), ("gamma", 1.5),
                         ("eps_schedule", "cosine"), ("optimizer", "sgd")]:
        with pytest.raises(ValueError, match=field):
            Config.from_dict({field: value})
    with pytest.raises(ValueError, match="unknown config field 'learning_rate'"):
        Config.from_dict({"learning_rate": 0.1})
    with pytest.raises(ValueError, match="buffer_size"):
        Config.from_dict({"batch_size": 64, "buffer_size": 32})


def test_every_field_is_documented_and_typed():
    docs = field_docs()
    for f in dataclasses.fields(Config):
        assert docs.get(f.name), f"config.{f.name} has no docstring"
    with pytest.raises(ValueError, match="config.hidden_dim must be a whole number"):
        Config.from_dict({"hidden_dim": 1.5})
    with pytest.raises(ValueError, match="config.share_params must be true or false"):
        Config.from_dict({"share_params": "maybe"})
    assert Config.from_dict({"hidden_dim": 64.0}).hidden_dim == 64  # JSON's 64.0 is 64
    assert isinstance(Config.from_dict({"lr": 1}).lr, float)


def test_an_unknown_field_suggests_the_nearest_name():
    with pytest.raises(ValueError, match="did you mean 'target_update_interval'"):
        Config.from_dict({"target_update_intervall": 10})


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_presets_keep_their_code_bases_schedule_and_raw_inputs(preset):
    cfg = make_config("pursuit", preset=preset)
    # PyMARL/EPyMARL/pymarl2 take one update per rollout whatever its length, on raw inputs
    assert cfg.env_steps_per_update == 0 and cfg.updates_per_rollout == 1
    assert cfg.normalize_inputs is False


def test_every_world_shares_the_defaults_but_two_step_keeps_the_papers_setup():
    base = make_config("pursuit")
    foreign = make_config("pz:tests.envs.fake_parallel_env:make_env")
    for name in ("lr", "td_lambda", "env_steps_per_update", "normalize_inputs", "n_envs",
                 "eps_anneal_steps", "batch_size", "hidden_dim"):
        assert getattr(foreign, name) == getattr(base, name), name
    two = make_config("two_step")
    assert two.eps_finish == 1.0 and two.td_lambda == 0.0  # uniform data, one-step targets


def test_explicit_overrides_win_over_presets_and_scenario_defaults():
    cfg = make_config("two_step", algo="vdn", preset="epymarl", lr=0.01)
    assert (cfg.algo, cfg.lr, cfg.optimizer) == ("vdn", 0.01, "adam")
