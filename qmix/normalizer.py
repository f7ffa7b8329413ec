"""Input normalisation by the range each feature has shown so far: the statistics of one run.

Why: worlds arrive at any scale. Level-Based Foraging hands agents raw coordinates and levels
up to 7; fed in raw, QMIX's hypernetworks turned them into mixing weights that inflated Q_tot
to 12-31 where the best return is 1.0, and the greedy team never loaded food (greedy return
0.00 after 150k steps). Dividing by the grid size fixed it, but only because someone knew the
grid size. Here every feature is mapped by the smallest and largest value seen so far:

    x' = clip((x - lo) / (hi - lo), -CLIP, CLIP)      (a feature that never varied -> 0)

Why the range and not a running mean/variance (SB3's VecNormalize), both measured on LBF
8x8-2p-2f (150k steps, QMIX): both lift the greedy return from 0.00 to 0.2-0.35 there; the
difference is what they do to everything else.
- A running mean and variance keep moving as long as the policy changes what the agents see;
  the networks' inputs drift under a value function that is being bootstrapped from itself.
  The range stops changing once the world has shown its extent (in LBF after the first
  rollout), so the mapping is fixed for the rest of the run.
- Grid worlds are made of sparse 0/1 features (is there a prey in this cell?). Divided by their
  standard deviation, a feature that is 1 in 2% of the observations becomes 7: rare events
  dominate the first layer. The range leaves a 0/1 feature exactly as it is -- so worlds that
  already come normalised (all three built-in scenarios) are trained exactly as before.
- Declared space bounds would give the range without looking, but many PettingZoo/gymnasium
  spaces declare (-inf, inf); the data always has a range.
Its weakness: one huge outlier squeezes that feature's other values together; the clip keeps
a value beyond the range seen so far (possible between two statistics updates) bounded.

Where it is applied: the trainer updates the statistics at the end of each rollout from the
observations that rollout really saw (live copies, active agents), and normalises in NumPy
wherever a network is fed -- the NumPy actor, replay batches as they are sampled, greedy
evaluation, inspection. The replay buffer keeps raw observations, so a batch is always
normalised with the statistics of the moment it is learned from, and the learner never sees
a raw input. The statistics are part of the run: checkpoints store them
(`/normalizer/<obs|state>/{lo, hi, count}`), and a resumed run continues with them, bit-for-bit.
"""

from __future__ import annotations

import numpy as np

CLIP = 10.0
"""Normalised inputs are clipped to [-CLIP, CLIP]: a value far beyond the range seen so far
cannot blow up the networks before the next statistics update takes it in."""
STATS = ("lo", "hi", "count")
"""The statistics of one normaliser, as stored in checkpoints."""


class RunningRange:
    """Per-feature running minimum and maximum; maps each feature's range onto [0, 1]."""

    def __init__(self, dim: int) -> None:
        self.lo = np.full(dim, np.inf)  # float64: nothing seen yet
        self.hi = np.full(dim, -np.inf)
        self.count = 0.0  # rows seen
        self._refresh()

    @property
    def dim(self) -> int:
        return self.lo.size

    def update(self, x: np.ndarray) -> None:
        """Take in a batch of rows x (M, dim); an empty batch changes nothing."""
        x = np.asarray(x, np.float64).reshape(-1, self.dim)
        if x.shape[0] == 0:
            return
        self.lo = np.minimum(self.lo, x.min(axis=0))
        self.hi = np.maximum(self.hi, x.max(axis=0))
        self.count += x.shape[0]
        self._refresh()

    def _refresh(self) -> None:
        # float32 shift and scale, computed once per update: normalising is then two ops.
        # A feature not seen yet, or never varied, gets shift = its value and scale 0 -> 0.
        width = self.hi - self.lo
        varied = np.isfinite(width) & (width > 0)
        self._shift = np.where(np.isfinite(self.lo), self.lo, 0.0).astype(np.float32)
        self._scale = np.where(varied, 1.0 / np.where(varied, width, 1.0), 0.0).astype(
            np.float32)
        if self.count == 0:  # before any statistics: pass inputs through unchanged
            self._shift[:], self._scale[:] = 0.0, 1.0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """x (..., dim) -> normalised float32 of the same shape (a new array)."""
        out = (np.asarray(x, np.float32) - self._shift) * self._scale
        return np.clip(out, -CLIP, CLIP, out=out)

    def state_dict(self) -> dict[str, np.ndarray]:
        return {"lo": self.lo.copy(), "hi": self.hi.copy(),
                "count": np.array(self.count, np.float64)}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        lo = np.asarray(state["lo"], np.float64)
        hi = np.asarray(state["hi"], np.float64)
        count = float(np.asarray(state["count"]))
        if lo.shape != (self.dim,) or hi.shape != (self.dim,):
            raise ValueError(f"normalizer statistics have shape {lo.shape}, but this run's "
                             f"inputs have {self.dim} features")
        if np.isnan(lo).any() or np.isnan(hi).any() or not count >= 0:
            raise ValueError("normalizer statistics are not numbers")
        if count > 0 and not (np.isfinite(lo).all() and np.isfinite(hi).all()
                              and (lo <= hi).all()):
            raise ValueError("normalizer statistics are inconsistent (lo > hi)")
        self.lo, self.hi, self.count = lo.copy(), hi.copy(), count
        self._refresh()


class Identity:
    """The stand-in when `normalize_inputs` is off: same interface, no statistics."""

    def update(self, x: np.ndarray) -> None:
        pass

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, np.float32)
