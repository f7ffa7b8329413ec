"""The episode buffer: preallocated, wraps around, samples without replacement."""

from __future__ import annotations

import os

import numpy as np
import pytest

from envs.base import EnvInfo
from qmix import buffer
from qmix.buffer import EpisodeBuffer

INFO = EnvInfo(name="tiny", n_agents=3, n_actions=4, obs_dim=2, state_dim=2, episode_limit=3,
               action_names=("a", "b", "c", "d"), solved_return=1.0, optimal_return=None)


def _episodes(start: int, count: int) -> dict[str, np.ndarray]:
    buf = EpisodeBuffer(1, INFO)
    out = {}
    for key, arr in buf.data.items():
        shape = (count, *arr.shape[1:])
        out[key] = (np.arange(start, start + count).reshape(-1, *[1] * (len(shape) - 1))
                    * np.ones(shape)).astype(arr.dtype)
    return out


def test_buffer_wraps_around_overwriting_the_oldest():
    buf = EpisodeBuffer(5, INFO)
    before = buf.nbytes
    buf.insert(_episodes(1, 3))
    assert (buf.size, buf.pos) == (3, 3)
    buf.insert(_episodes(4, 3))  # episodes 4, 5, 6: 6 overwrites slot 0 (episode 1)
    assert (buf.size, buf.pos) == (5, 1)
    np.testing.assert_array_equal(buf.data["reward"][:, 0], [6, 2, 3, 4, 5])
    assert buf.nbytes == before  # preallocated: memory never grows


def test_buffer_samples_stored_episodes_without_replacement():
    buf = EpisodeBuffer(10, INFO)
    buf.insert(_episodes(1, 6))
    rng = np.random.default_rng(0)
    assert not buf.can_sample(7)
    with pytest.raises(ValueError):
        buf.sample(7, rng)
    batch = buf.sample(6, rng)
    ids = sorted(batch["reward"][:, 0].tolist())
    assert ids == [1, 2, 3, 4, 5, 6]
    # the sample is a copy: changing it leaves the buffer alone
    batch["reward"][:] = -1
    assert (buf.data["reward"][:6] > 0).all()


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_the_buffer_is_resident_when_made_not_as_it_fills():
    big = EnvInfo(name="big", n_agents=3, n_actions=4, obs_dim=500, state_dim=20,
                  episode_limit=49, action_names=("a", "b", "c", "d"), solved_return=1.0,
                  optimal_return=None)
    before = _rss_bytes()
    buf = EpisodeBuffer(200, big)  # ~60 MB
    grown = _rss_bytes() - before
    assert buf.nbytes > 50 * 2**20
    assert grown >= 0.9 * buf.nbytes


def test_a_buffer_that_cannot_fit_in_memory_is_refused_when_made(monkeypatch):
    monkeypatch.setattr(buffer, "available_memory", lambda: 10_000)
    with pytest.raises(ValueError, match=r"replay buffer needs .* lower buffer_size"):
        EpisodeBuffer(1000, INFO)
    monkeypatch.setattr(buffer, "available_memory", lambda: None)  # unknown: no refusal
    assert EpisodeBuffer(1000, INFO).capacity == 1000
