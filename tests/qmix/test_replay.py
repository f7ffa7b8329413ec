"""Episode replays (qmix/replay.py): every recorded step is the Snapshot the window showed for
it, its inspection agrees with an independent compiled recomputation, the newest K episodes
(and evaluation episodes) are kept, and checkpoints keep them exactly."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from replay_helpers import assert_same, assert_same_episodes

from qmix.checkpoint import CheckpointError, save_checkpoint, trainer_from_checkpoint
from qmix.config import make_config
from qmix.replay import decode, encode, read_replays
from qmix.trainer import Trainer

ROOT = Path(__file__).resolve().parents[2]
SMALL = dict(n_envs=2, batch_size=4, learning_starts=4, buffer_size=16, eval_episodes=2,
             eval_interval=10**9, solve_eval_episodes=0)


def small(scenario: str, **kw) -> Trainer:
    return Trainer(make_config(scenario, seed=1, **{**SMALL, **kw}))


def watch_copy0(trainer: Trainer, episodes: int) -> list[list]:
    """Step like the Step key does (env_step, then the frame the window shows), with an
    update between rollouts so every episode acts with new weights; the live snapshots of
    copy 0's episodes, each ending at its terminal frame."""
    finished, current = [], []
    while len(finished) < episodes:
        snap = trainer.snapshot()
        if snap.decision is not None:
            current.append(snap)
        elif current:
            finished.append(current + [snap])
            current = []
        if trainer._rollout is None:
            trainer.update()  # new acting weights for the next rollout
            trainer._begin_rollout()  # what the next env_step would do first: its t = 0 frame
        else:
            trainer.env_step()
    return finished


@pytest.mark.parametrize("scenario", ["two_step", "pursuit"])
def test_recorded_steps_are_the_snapshots_the_window_showed(scenario):
    trainer = small(scenario)
    live = watch_copy0(trainer, 4)
    kept = [e for e in trainer.replays if e.kind == "train"]
    assert len(kept) >= 4
    assert trainer.updates > 0 and len({e.steps[0].decision.weights_updates for e in kept}) > 1
    for episode, shown in zip(kept[: len(live)], live):
        assert [s.t for s in episode.steps] == list(range(len(shown)))
        assert len(episode.rewards) == episode.length == len(shown) - 1
        for t, (recorded, seen) in enumerate(zip(episode.steps, shown)):
            assert_same(recorded, seen, f"{episode.title} t={t}")
        assert episode.steps[-1].decision is None
        assert episode.steps[-1].last_decision is not None
        assert episode.episode_return == pytest.approx(sum(episode.rewards))
        assert episode.decision_at(episode.length)[0].t == episode.length - 1


def test_recorded_inspections_equal_the_compiled_networks_recomputation():
    """Independent of the NumPy inspection: Learner.inspect (TensorFlow) of each recorded
    step's obs, state and recurrent state, through the online networks, which are the
    acting ones while no update ran (raw inputs and rewards, so no scale changed since)."""
    trainer = small("pursuit", async_updates=False, normalize_inputs=False,
                    scale_rewards=False)
    watch_copy0(trainer, 3)
    while trainer._rollout is not None:
        trainer.env_step()  # the last rollout ends; no update after it
    episode = [e for e in trainer.replays if e.kind == "train"][-1]
    assert episode.steps[0].decision.weights_updates == trainer.updates > 0
    n = trainer.info.n_agents
    hidden = np.zeros((1, n, trainer.config.hidden_dim), np.float32)
    last = np.full((1, n), -1, np.int64)
    for snap in episode.steps[:-1]:
        dec, ins = snap.decision, snap.inspection
        ref = trainer.inspect(dec.obs, dec.state, dec.avail_actions, hidden[0], last[0],
                              dec.actions)
        for field in ("agent_qs", "credit", "q_tot_chosen", "q_tot_greedy", "v_s"):
            np.testing.assert_allclose(getattr(ins, field), getattr(ref, field), rtol=2e-5,
                                       atol=2e-6, err_msg=f"t={dec.t} {field}")
        np.testing.assert_array_equal(ins.greedy_actions, ref.greedy_actions)
        q, hidden = trainer.actor.forward(trainer.actor.inputs(dec.obs[None], last), hidden)
        last = dec.actions[None].astype(np.int64)


def test_evaluation_episodes_are_recorded_as_watched():
    trainer = small("two_step")
    watched = []
    trainer.evaluate(watch=watched.append)
    trainer.evaluate()
    evals = [e for e in trainer.replays if e.kind == "eval"]
    assert [e.number for e in evals] == [0, 1]
    first = evals[0]
    assert first.steps[0].evaluating and first.env_steps == trainer.env_steps
    ends = [i for i, s in enumerate(watched) if s.decision is None]
    shown = watched[: ends[0] + 1]  # copy 0's frames, up to its terminal one
    assert len(first.steps) == len(shown) == first.length + 1
    for recorded, seen in zip(first.steps[:-1], shown[:-1]):
        assert_same(recorded, seen)
    terminal = first.steps[-1]
    assert terminal.frame == shown[-1].frame and terminal.decision is None
    assert terminal.last_decision is first.steps[-2].decision  # the one that ended it
    assert first.episode_return == pytest.approx(sum(first.rewards))


def test_the_newest_k_episodes_are_kept_and_zero_keeps_none():
    trainer = small("two_step", replay_episodes=2, replay_eval_episodes=1)
    for _ in range(5):
        trainer.run_episode()
        trainer.evaluate()
    # two copies end together every rollout: 2, 4, ..., 10 episodes; evaluations 0..4
    assert [(e.kind, e.number) for e in trainer.replays] == \
        [("train", 8), ("train", 10), ("eval", 4)]
    assert trainer.replays[-1].env_steps == trainer.env_steps
    none = small("two_step", replay_episodes=0, replay_eval_episodes=0)
    for _ in range(2):
        none.run_episode()
        none.evaluate()
    assert none.replays == [] and "replays" not in none.state_dict()


def test_recording_never_changes_the_run():
    a = small("pursuit", replay_episodes=0, replay_eval_episodes=0, eval_interval=100)
    b = small("pursuit", eval_interval=100)
    for trainer in (a, b):
        while trainer.updates < 4:
            trainer.train_iteration()
        trainer.finish_updates()
    assert len(b.replays) > 2 and any(e.kind == "eval" for e in b.replays)
    assert a.env_steps == b.env_steps and a.rng.bit_generator.state == b.rng.bit_generator.state
    for key, var in a.learner.named_variables().items():
        assert np.array_equal(var.numpy(), b.learner.named_variables()[key].numpy()), key


def test_replays_survive_a_checkpoint_exactly(tmp_path):
    trainer = small("pursuit", eval_interval=100)
    while trainer.updates < 2:
        trainer.train_iteration()
    kept = trainer.replays
    assert {e.kind for e in kept} == {"train", "eval"}
    path = tmp_path / "run.h5"
    save_checkpoint(trainer, path)
    assert_same_episodes(read_replays(str(path)), kept)
    with h5py.File(path, "r") as f:
        assert sorted(f["replays"]) == [f"{i:04d}" for i in range(len(kept))]
        assert {"info", "frames", "rewards"} <= set(f["replays/0000"])
    resumed = trainer_from_checkpoint(path)
    assert_same_episodes(resumed.replays, kept)
    resumed.run_episode()  # and it goes on recording
    assert len([e for e in resumed.replays if e.kind == "train"]) == \
        len([e for e in kept if e.kind == "train"]) + 1


def test_a_two_step_episode_round_trips_through_its_arrays():
    trainer = small("two_step")
    trainer.run_episode()
    episode = trainer.replays[-1]
    assert isinstance(episode.steps[1].frame["first_actions"], tuple)
    assert episode.steps[0].inspection.q_tot_table.shape == (2, 2)
    assert_same(decode(encode(episode)), episode)


def test_files_without_replays_and_damaged_replays(tmp_path):
    old = sorted((ROOT / "tests" / "data").glob("*.h5"))
    assert old, "tests/data should hold a checkpoint from before replays"
    assert read_replays(str(old[0])) == []
    trainer = small("two_step")
    trainer.run_episode()
    path = tmp_path / "run.h5"
    save_checkpoint(trainer, path)
    with h5py.File(path, "r+") as f:
        rewards = f["replays/0000/rewards"]
        rewards[0] = rewards[0] + 1.0  # changed without updating its checksum
    with pytest.raises(CheckpointError, match="replays/0000/rewards"):
        read_replays(str(path))
