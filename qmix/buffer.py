"""Episode replay buffer: preallocated NumPy arrays `[capacity, T1, ...]`, uniform sampling.

Memory is fixed at construction (capacity x T1 slots) and never grows during a run: the
arrays are written once when made, so their pages are resident from the start. `np.zeros`
alone maps pages lazily and the process grew by ~25 KB per pursuit episode as the buffer
filled (+127 MB over a run; it also made every RSS measurement of the app depend on how full
the current run's buffer happened to be). Written up front, a buffer that cannot fit is one
clear error when the run is made, not the kernel's OOM killer twenty minutes into it. A rollout
of C env copies is inserted as C episodes at once, wrapping around at the end.
"""

from __future__ import annotations

import numpy as np

from envs.base import EnvInfo


def episode_spec(info: EnvInfo) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """Per-episode array shapes (without the leading episode axis) and dtypes."""
    t1, n, a = info.episode_limit + 1, info.n_agents, info.n_actions
    return {
        "obs": ((t1, n, info.obs_dim), np.dtype(np.float32)),
        "state": ((t1, info.state_dim), np.dtype(np.float32)),
        "avail_actions": ((t1, n, a), np.dtype(bool)),
        "actions": ((t1, n), np.dtype(np.int32)),
        "reward": ((t1,), np.dtype(np.float32)),
        "terminated": ((t1,), np.dtype(np.float32)),
        "filled": ((t1,), np.dtype(np.float32)),
        "active": ((t1, n), np.dtype(np.float32)),
    }


def allocate(spec: dict[str, tuple[tuple[int, ...], np.dtype]], count: int
             ) -> dict[str, np.ndarray]:
    return {k: np.zeros((count, *shape), dtype=dtype) for k, (shape, dtype) in spec.items()}


def available_memory() -> int | None:
    """Bytes the kernel says a new allocation can get without swapping (Linux's
    MemAvailable), or None where that is not known."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def episode_bytes(spec: dict[str, tuple[tuple[int, ...], np.dtype]]) -> int:
    return sum(int(np.prod(shape)) * dtype.itemsize for shape, dtype in spec.values())


class EpisodeBuffer:
    def __init__(self, capacity: int, info: EnvInfo) -> None:
        self.capacity = capacity
        self.spec = episode_spec(info)
        need, free = capacity * episode_bytes(self.spec), available_memory()
        if free is not None and need > free:
            raise ValueError(
                f"the replay buffer needs {need / 2**30:.2f} GB (buffer_size={capacity} "
                f"episodes of {info.episode_limit + 1} steps) but {free / 2**30:.2f} GB of "
                "memory is available: lower buffer_size")
        self.data = allocate(self.spec, capacity)
        for arr in self.data.values():
            arr.fill(0)  # resident now, not page by page as the buffer fills (see above)
        self.size = 0  # episodes stored
        self.pos = 0  # next slot to write

    def insert(self, episodes: dict[str, np.ndarray]) -> None:
        """Copy C episodes (arrays with a leading C axis) in, overwriting the oldest."""
        count = next(iter(episodes.values())).shape[0]
        idx = (self.pos + np.arange(count)) % self.capacity
        for key, arr in self.data.items():
            arr[idx] = episodes[key]
        self.pos = int((self.pos + count) % self.capacity)
        self.size = int(min(self.size + count, self.capacity))

    def can_sample(self, batch_size: int) -> bool:
        return self.size >= batch_size

    def sample(self, batch_size: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Uniform over stored episodes, without replacement within a batch (as PyMARL)."""
        if not self.can_sample(batch_size):
            raise ValueError(f"buffer holds {self.size} episodes, need {batch_size}")
        idx = rng.choice(self.size, size=batch_size, replace=False)
        return {k: v[idx] for k, v in self.data.items()}

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.data.values())

    def state_dict(self) -> dict:
        return {"size": self.size, "pos": self.pos,
                "data": {k: v[: self.size].copy() for k, v in self.data.items()}}

    def load_state_dict(self, state: dict) -> None:
        size = int(state["size"])
        if size > self.capacity:
            raise ValueError(f"saved buffer holds {size} episodes; capacity is {self.capacity}")
        for key, arr in self.data.items():
            arr[...] = 0
            arr[:size] = state["data"][key]
        self.size, self.pos = size, int(state["pos"]) % self.capacity
