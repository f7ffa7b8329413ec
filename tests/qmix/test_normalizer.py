"""Input normalisation: what the statistics are, where they are used, and that they belong to
the run (checkpointed, restored, bit-for-bit resume)."""

from __future__ import annotations

import numpy as np
import pytest

from qmix import checkpoint
from qmix.config import make_config
from qmix.normalizer import CLIP, RunningRange
from qmix.trainer import Trainer

FAKE = "pz:tests.envs.fake_parallel_env:make_corridor"


def test_the_range_is_the_smallest_and_largest_value_seen_over_all_batches():
    rng = np.random.default_rng(0)
    batches = [rng.normal(size=(m, 4)) * [1, 10, 100, 0] + [0, 5, -3, 2] for m in (3, 50, 7)]
    norm = RunningRange(4)
    for b in batches:
        norm.update(b)
    seen = np.concatenate(batches)
    np.testing.assert_array_equal(norm.lo, seen.min(0))
    np.testing.assert_array_equal(norm.hi, seen.max(0))
    out = norm(seen)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out[:, :3].min(0), 0.0, atol=1e-6)
    np.testing.assert_allclose(out[:, :3].max(0), 1.0, atol=1e-6)
    assert (out[:, 3] == 0).all()  # a feature that never varied carries no information


def test_zero_one_features_pass_unchanged_and_outliers_are_clipped():
    norm = RunningRange(2)
    norm.update(np.array([[0.0, 0.0], [1.0, 1e-3]]))
    x = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, -1.0]], np.float32)
    out = norm(x)
    np.testing.assert_array_equal(out[:, 0], x[:, 0])  # sparse 0/1 features: identity
    assert out[1, 1] == CLIP and out[2, 1] == -CLIP


def test_before_any_statistics_inputs_pass_through():
    x = np.array([[3.0, -7.0]], np.float32)
    np.testing.assert_array_equal(RunningRange(2)(x), x)


def test_bad_saved_statistics_are_refused():
    norm = RunningRange(2)
    with pytest.raises(ValueError, match="shape"):
        norm.load_state_dict({"lo": np.zeros(3), "hi": np.ones(3), "count": 1.0})
    with pytest.raises(ValueError, match="lo > hi"):
        norm.load_state_dict({"lo": np.ones(2), "hi": np.zeros(2), "count": 1.0})


def _trainer(**overrides) -> Trainer:
    cfg = make_config(FAKE, n_envs=2, batch_size=4, learning_starts=4, buffer_size=32,
                      hidden_dim=8, env_steps_per_update=4,
                      scenario_kwargs={"kwargs": {"max_cycles": 6}, "episode_limit": 8},
                      **overrides)
    return Trainer(cfg)


def test_the_trainer_learns_the_range_of_what_its_agents_saw():
    trainer = _trainer()
    trainer.run_episode()
    # CorridorEnv's observation is (t, agent index, 1): t runs 0..6 over an episode
    np.testing.assert_array_equal(trainer.obs_norm.lo, [0, 0, 1])
    np.testing.assert_array_equal(trainer.obs_norm.hi, [6, 2, 1])
    # the reset observations start the ranges (so the very first decisions are normalised
    # too: 2 copies x 3 agents), then the rollout's 2 copies x 7 slots x 3 active agents
    assert trainer.obs_norm.count == 2 * 3 + 2 * 7 * 3
    # every network input is normalised the same way: actor, batches, inspection
    batch = trainer.prepare_batch(trainer.buffer.sample(2, np.random.default_rng(0)))
    assert batch["obs"][..., 0].max() == 1.0 and batch["obs"][..., 2].max() == 0.0
    trainer.env_step()  # a new rollout: the decision on screen is for t = 1
    snap = trainer.snapshot()
    raw = snap.decision.obs
    assert raw[0, 0] == 1.0 and raw[0, 2] == 1.0  # the GUI still sees the world's values
    ro = trainer._rollout
    direct = trainer.learner.inspect(trainer.obs_norm(raw), trainer.state_norm(
        snap.decision.state), snap.decision.avail_actions, ro.hidden[0], ro.last_actions[0],
        snap.decision.actions)
    # shown in the world's reward units (scale_rewards), the same numbers otherwise
    np.testing.assert_allclose(snap.inspection.agent_qs,
                               direct.agent_qs * trainer.reward_scale, rtol=1e-6)
    # the actor's Q for the decision (NumPy) equals the inspection's (TensorFlow)
    np.testing.assert_allclose(snap.decision.agent_qs, snap.inspection.agent_qs, atol=1e-5)


def test_the_first_decision_of_a_run_already_sees_normalised_inputs():
    trainer = _trainer()
    np.testing.assert_array_equal(trainer.obs_norm.lo, [0, 0, 1])  # from the reset alone
    np.testing.assert_array_equal(trainer.obs_norm.hi, [0, 2, 1])
    assert trainer.snapshot().inspection is not None


def test_normalisation_can_be_turned_off():
    trainer = _trainer(normalize_inputs=False)
    trainer.run_episode()
    batch = trainer.prepare_batch(trainer.buffer.sample(2, np.random.default_rng(0)))
    assert batch["obs"][..., 0].max() == 6.0
    assert "normalizer" not in trainer.state_dict()


def test_statistics_round_trip_through_a_checkpoint_and_resume_exactly(tmp_path):
    path = tmp_path / "run.h5"
    a = _trainer(async_updates=True)
    a.train(200)
    checkpoint.save_checkpoint(a, path, include_buffer=True)
    b = _trainer(async_updates=True)
    checkpoint.load_into(b, path)
    for name in ("obs_norm", "state_norm"):
        for stat in ("lo", "hi"):
            np.testing.assert_array_equal(getattr(getattr(b, name), stat),
                                          getattr(getattr(a, name), stat))
        assert getattr(b, name).count == getattr(a, name).count
    a.train(500)
    b.train(500)
    a.finish_updates()
    b.finish_updates()
    np.testing.assert_array_equal(a.obs_norm.hi, b.obs_norm.hi)
    for key, var in a.learner.named_variables().items():
        np.testing.assert_array_equal(var.numpy(), b.learner.named_variables()[key].numpy(),
                                      err_msg=key)


def test_a_checkpoint_without_statistics_does_not_load_into_a_normalising_run(tmp_path):
    path = tmp_path / "raw.h5"
    checkpoint.save_checkpoint(_trainer(normalize_inputs=False), path)
    live = _trainer()
    before = live.obs_norm.state_dict()
    state = checkpoint.read_checkpoint(path)
    state["config"]["normalize_inputs"] = True  # a file that claims to normalise, without stats
    with pytest.raises(checkpoint.CheckpointError, match="normalizer/obs"):
        checkpoint.check_compatible(live, state, "raw.h5")
    np.testing.assert_array_equal(live.obs_norm.state_dict()["lo"], before["lo"])


# ---- rewards: scaled by their running root mean square, shown in the world's units ----------
def test_a_constant_reward_keeps_its_scale():
    trainer = _trainer()  # CorridorEnv pays every agent 1 per step
    trainer.run_episode()
    assert trainer.reward_scale == pytest.approx(1.0, rel=1e-3)


def test_sparse_rewards_are_scaled_by_their_rms_but_never_beyond_ten():
    trainer = _trainer()
    rewards = np.zeros(10_000)
    rewards[0] = 0.5  # one reward after many zeros: the bare RMS would make it worth 100
    trainer._update_reward_stats(rewards)
    assert trainer.reward_scale == pytest.approx(0.05)  # |r|max / 10
    trainer._update_reward_stats(np.tile([0.5, 0.0, 0.0, 0.0], 5_000))  # now 1 in 4 pays
    rms = np.sqrt(np.mean(np.concatenate([rewards, np.tile([0.5, 0, 0, 0], 5_000)]) ** 2))
    assert trainer.reward_scale == pytest.approx(rms, rel=1e-3)


def test_the_learner_sees_scaled_rewards_and_the_inspector_the_worlds_units():
    trainer = _trainer()
    trainer._update_reward_stats(np.array([4.0, 0.0, 0.0, 0.0]))  # rms 2
    sigma = trainer.reward_scale
    assert sigma == pytest.approx(2.0, rel=1e-3)
    trainer.run_episode()
    sigma = trainer.reward_scale
    episode = trainer.buffer.sample(1, np.random.default_rng(0))
    learned = trainer.prepare_batch(episode)["reward"]  # padding after the episode is cut
    np.testing.assert_allclose(learned, episode["reward"][:, : learned.shape[1]] / sigma,
                               rtol=1e-6)
    trainer.env_step()
    snap = trainer.snapshot()
    ro = trainer._rollout
    raw = trainer.learner.inspect(trainer.obs_norm(snap.decision.obs),
                                  trainer.state_norm(snap.decision.state),
                                  snap.decision.avail_actions, ro.hidden[0],
                                  ro.last_actions[0], snap.decision.actions)
    assert snap.inspection.q_tot_chosen == pytest.approx(raw.q_tot_chosen * sigma, rel=1e-5)
    np.testing.assert_allclose(snap.inspection.credit, raw.credit, rtol=1e-6)  # unit-free
    np.testing.assert_allclose(snap.decision.agent_qs, snap.inspection.agent_qs, atol=1e-4)


def test_reward_scaling_can_be_turned_off():
    trainer = _trainer(scale_rewards=False)
    trainer._update_reward_stats(np.array([4.0, 0.0]))
    assert trainer.reward_scale == 1.0
