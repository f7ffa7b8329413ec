"""Episode replays: finished episodes kept with every step's frame, decision and inspection.

A run keeps the last `Config.replay_episodes` training episodes of env copy 0 and the last
`Config.replay_eval_episodes` greedy evaluation episodes (copy 0 of the first round of every
evaluation), oldest dropped first. Each step of a replay is exactly the `Snapshot` the window
showed (or would have shown) for that step: `Trainer.snapshot()` for a training step,
`Trainer._eval_snapshot` for an evaluation step.

    from qmix.replay import read_replays
    for episode in read_replays("run.h5"):
        print(episode.title, [s.inspection.q_tot_chosen for s in episode.steps[:-1]])

Recording costs little: during an episode only the raw parts are kept (the render frame, the
decision dict the actor produced, the inputs' scales); the `Snapshot`s are built once, when
the episode is first read, with the same code that builds the live ones (so they are equal,
not similar). Saved in a checkpoint under `/replays` (README, "Checkpoint format").

No Qt, no TensorFlow here.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from qmix.actor import epsilon_at
from qmix.types import Decision, Inspection, Snapshot

if TYPE_CHECKING:  # pragma: no cover
    from qmix.trainer import Trainer

KINDS = ("train", "eval")


@dataclass
class ReplayEpisode:
    """One finished episode, step by step."""

    kind: str  # "train" (copy 0 of a training rollout) or "eval" (a greedy evaluation episode)
    number: int  # train: the run's episode count when it ended; eval: the evaluation's index
    env_steps: int  # the run's env steps when it ended
    # frames t = 0..T in order; steps[t].decision / .inspection = the decision taken at t; the
    # terminal frame has decision None and last_decision/last_inspection set
    steps: list[Snapshot] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)  # team reward after the decision at t

    @property
    def episode_return(self) -> float:
        if self.steps:
            return float(self.steps[-1].episode_return)
        return float(sum(self.rewards))

    @property
    def length(self) -> int:
        """T: decisions taken (the steps list holds T + 1 frames)."""
        return len(self.rewards)

    @property
    def title(self) -> str:
        """How a list names it: "train ep 412 · return 17.0", "eval 7 · return 18.0"."""
        what = f"train ep {self.number}" if self.kind == "train" else f"eval {self.number}"
        return f"{what} · return {self.episode_return:.1f}"

    def decision_at(self, t: int) -> tuple[Decision | None, Inspection | None]:
        """The decision shown at frame t (the one that ended the episode at its terminal)."""
        snap = self.steps[t]
        if snap.decision is not None:
            return snap.decision, snap.inspection
        return snap.last_decision, snap.last_inspection


def read_replays(path: str) -> list[ReplayEpisode]:
    """The replays a checkpoint file holds, oldest first ([] when it has none). Checks the
    file as every reader does (one-line `CheckpointError` when it is bad)."""
    import os

    from qmix.checkpoint.errors import CheckpointError, one_line
    from qmix.checkpoint.files import read_replay_arrays

    arrays = read_replay_arrays(path)
    try:
        return [decode(a) for a in arrays]
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise CheckpointError(f"{os.path.basename(os.fspath(path))} holds a replay this "
                              f"version cannot read: {one_line(exc)}") from None


# ====================================================================== recording
_P_KEYS = ("actions", "greedy", "explored", "q", "epsilon", "mixer", "weights_updates")
"""What a step's decision dict (`Trainer._decide`) must keep for its Snapshot to be rebuilt
(the acting mixer's weights dict is replaced on every refresh, never changed in place, so
keeping a reference keeps the weights that decided)."""


class _Entry:
    """One kept episode: built on first read (from the recorded raw parts), or decoded from a
    file's arrays; encoded for a file on first save."""

    def __init__(self, kind: str, build: Callable[[], ReplayEpisode] | None = None,
                 episode: ReplayEpisode | None = None,
                 arrays: dict[str, np.ndarray] | None = None) -> None:
        self.kind = kind
        self._build, self._episode, self._arrays = build, episode, arrays

    def episode(self) -> ReplayEpisode:
        if self._episode is None:
            if self._build is not None:
                self._episode, self._build = self._build(), None
            else:
                assert self._arrays is not None
                self._episode = decode(self._arrays)
        return self._episode

    def arrays(self) -> dict[str, np.ndarray]:
        if self._arrays is None:
            self._arrays = encode(self.episode())
        return self._arrays


class ReplayRecorder:
    """The trainer's replays: the episodes kept, and the raw parts of copy 0's episode in
    flight. Only `Trainer` calls the recording methods (on its own thread)."""

    def __init__(self, train_limit: int, eval_limit: int) -> None:
        self.train_limit = int(train_limit)
        self.eval_limit = int(eval_limit)
        self._entries: list[_Entry] = []  # oldest first, train and eval
        self._rollout: Any = None  # the rollout whose copy-0 episode is being recorded
        self._raw: list[tuple[Any, ...]] = []
        self._inputs: list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
        self._scales: tuple[np.ndarray, float] | None = None

    # ---- reading ---------------------------------------------------------------------------
    def episodes(self) -> list[ReplayEpisode]:
        return [entry.episode() for entry in self._entries]

    def __len__(self) -> int:
        return len(self._entries)

    def state(self) -> list[dict[str, np.ndarray]]:
        """The kept episodes as checkpoint arrays (see `encode`), oldest first."""
        return [entry.arrays() for entry in self._entries]

    def load(self, arrays: list[dict[str, np.ndarray]]) -> None:
        """Replace the kept episodes by a checkpoint's (validated when first read)."""
        self._entries = [_Entry(_kind_of(a), arrays=a) for a in arrays]
        self.abandon()
        self._trim()

    def abandon(self) -> None:
        """Forget the episode in flight (the run was replaced: its rollout will not end)."""
        self._rollout, self._raw, self._inputs, self._scales = None, [], None, None

    # ---- training episodes of copy 0 -------------------------------------------------------
    def train_frame(self, trainer: "Trainer", ro: Any, p: dict[str, Any], t: int) -> None:
        """Copy 0's frame t and its pending decision `p`, just before the step executes it:
        what `Trainer.snapshot()` would show now, in raw parts (no inspection yet). Only the
        render frame costs (~25 us); the inputs are the rollout's own arrays, read at the end."""
        ts = ro.ts
        if ro is not self._rollout or t == 0:
            self.abandon()
            self._rollout = ro
            data = ro.data  # the rollout stores copy 0's inputs as the env gave them
            same = all(getattr(ts, k).dtype == data[k].dtype
                       for k in ("obs", "state", "avail_actions"))
            self._inputs = None if same else []
        if self._inputs is not None:  # an env whose inputs the rollout arrays would round
            self._inputs.append((ts.obs[0].copy(), ts.state[0].copy(),
                                 ts.avail_actions[0].copy()))
        done = ro.done
        self._raw.append((
            trainer.env.snapshot(0), trainer.env.true_joint_values(0), p, t,
            float(ro.returns[0]), trainer.env_steps, trainer.episodes, trainer.updates,
            trainer.last_metrics, trainer.last_eval, trainer.solved,
            len(done) - int(np.count_nonzero(done))))

    def train_scales(self, trainer: "Trainer") -> None:
        """Copy 0's episode ends with this step: its decisions' normalised states and reward
        scale, taken before the rollout's end updates the statistics (they are constant
        within a rollout, so these are the ones each decision saw)."""
        ro = self._rollout
        if ro is None or not self._raw:
            return
        n = len(self._raw)
        state = (np.stack([i[1] for i in self._inputs]) if self._inputs is not None
                 else ro.data["state"][0, :n].copy())
        self._scales = (trainer.state_norm(state), trainer.reward_scale)

    def train_end(self, trainer: "Trainer", ro: Any) -> None:
        """Copy 0's episode just ended (the env step that ended it has returned)."""
        raw, inputs, scales = self._raw, self._inputs, self._scales
        self.abandon()
        if not raw or raw[0][3] != 0 or ro is None or scales is None:
            return  # started before this run was loaded: not the whole episode
        # the terminal frame as snapshot() shows it; its inspection of the decision that ended
        # the episode is the last step's (same decision, same weights), built with the rest
        terminal = trainer.snapshot(inspect=False)
        n, data = len(raw), ro.data
        rewards = [float(r) for r in data["reward"][0, :n]]
        if inputs is None:
            inputs = list(zip(data["obs"][0, :n].copy(), data["state"][0, :n].copy(),
                              data["avail_actions"][0, :n].copy()))
        raw = [(*r[:2], {k: r[2][k] for k in _P_KEYS}, *r[3:]) for r in raw]
        decision_of, inspect, config = trainer._decision, trainer._inspect_decision, \
            trainer.config
        norm_states, sigma = scales

        def build() -> ReplayEpisode:
            steps = []
            for (frame, joint, p, t, ret, env_steps, episodes, updates, metrics, last_eval,
                 solved, running), (obs, state, avail) in zip(raw, inputs):
                p = dict(p, scales=(norm_states[t], sigma))
                decision = decision_of(p, t, obs, state, avail)
                steps.append(Snapshot(
                    frame=frame, t=t, episode_return=ret, decision=decision,
                    inspection=inspect(decision, p), true_joint_values=joint,
                    env_steps=env_steps, episodes=episodes, updates=updates,
                    epsilon=epsilon_at(config, env_steps), metrics=dict(metrics),
                    last_eval=last_eval, solved=solved, copies_running=running))
            if terminal.last_decision is not None:
                terminal.last_inspection = steps[-1].inspection
            return ReplayEpisode("train", int(number), int(env_steps_end), steps + [terminal],
                                 rewards)

        number, env_steps_end = trainer.episodes, trainer.env_steps
        self._add(_Entry("train", build=build))

    # ---- greedy evaluation episodes --------------------------------------------------------
    def eval_episode(self, number: int, env_steps: int, steps: list[Snapshot],
                     rewards: list[float]) -> None:
        """Copy 0 of an evaluation's first round, as it was watched (`steps` end at its
        terminal frame, which gets the decision that ended the episode)."""
        if self.eval_limit <= 0 or len(steps) < 2:
            return
        last = steps[-2]
        steps = [*steps[:-1], dataclasses.replace(
            steps[-1], last_decision=last.decision, last_inspection=last.inspection)]
        self._add(_Entry("eval", episode=ReplayEpisode("eval", int(number), int(env_steps),
                                                       steps, [float(r) for r in rewards])))

    # ---- keeping ---------------------------------------------------------------------------
    def _add(self, entry: _Entry) -> None:
        self._entries.append(entry)
        self._trim()

    def _trim(self) -> None:
        """The newest `train_limit` training and `eval_limit` evaluation episodes stay."""
        for kind, limit in (("train", self.train_limit), ("eval", self.eval_limit)):
            mine = [e for e in self._entries if e.kind == kind]
            drop = {id(e) for e in mine[: max(0, len(mine) - limit)]}
            if drop:
                self._entries = [e for e in self._entries if id(e) not in drop]


# ====================================================================== checkpoint arrays
# One episode of T decisions (T + 1 frames) as checkpoint datasets (README, "Checkpoint
# format", /replays): `info` and `frames` are UTF-8 JSON stored as uint8 bytes; decision/*
# and inspection/* have one row per decision t = 0..T-1.
DECISION_FIELDS = ("t", "obs", "state", "avail_actions", "actions", "greedy_actions",
                   "explored", "epsilon", "agent_qs", "env_copy", "weights_updates")
INSPECTION_FIELDS = ("agent_qs", "avail_actions", "chosen_actions", "greedy_actions",
                     "q_tot_chosen", "q_tot_greedy", "v_s", "credit", "q_tot_table", "t",
                     "env_copy", "weights_updates")
_SNAPSHOT_SKIP = ("decision", "inspection", "last_decision", "last_inspection")


def _json_bytes(value: Any) -> np.ndarray:
    return np.frombuffer(json.dumps(value, sort_keys=True).encode("utf-8"), np.uint8).copy()


def _from_json_bytes(arr: np.ndarray) -> Any:
    return json.loads(np.asarray(arr, np.uint8).tobytes().decode("utf-8"))


def _tag(value: Any) -> Any:
    """A render frame (dicts, lists, tuples, arrays, NumPy scalars) as JSON that `_untag`
    turns back into the same types and values."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "O":
            return {"__objects__": [_tag(v) for v in value.reshape(-1)],
                    "shape": list(value.shape)}
        arr = np.ascontiguousarray(value)
        return {"__ndarray__": base64.b64encode(arr.tobytes()).decode("ascii"),
                "dtype": arr.dtype.str, "shape": list(arr.shape)}
    if isinstance(value, np.generic):
        return {"__scalar__": value.item(), "dtype": value.dtype.str}
    if isinstance(value, tuple):
        return {"__tuple__": [_tag(v) for v in value]}
    if isinstance(value, list):
        return [_tag(v) for v in value]
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"a replay frame's keys must be strings, got {key!r}")
        return {"__dict__": {k: _tag(v) for k, v in value.items()}}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot keep a {type(value).__name__} in a replay frame")


def _untag(value: Any) -> Any:
    if isinstance(value, list):
        return [_untag(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__ndarray__" in value:
        raw = base64.b64decode(value["__ndarray__"])
        return np.frombuffer(raw, np.dtype(value["dtype"])).reshape(value["shape"]).copy()
    if "__objects__" in value:
        out = np.empty(len(value["__objects__"]), object)
        out[:] = [_untag(v) for v in value["__objects__"]]
        return out.reshape(value["shape"])
    if "__scalar__" in value:
        return np.dtype(value["dtype"]).type(value["__scalar__"])
    if "__tuple__" in value:
        return tuple(_untag(v) for v in value["__tuple__"])
    return {k: _untag(v) for k, v in value["__dict__"].items()}


def encode(episode: ReplayEpisode) -> dict[str, np.ndarray]:
    """An episode as checkpoint datasets (relative paths -> arrays)."""
    steps, n = episode.steps, episode.length
    if len(steps) != n + 1 or any(s.decision is None or s.inspection is None
                                  for s in steps[:n]):
        raise ValueError(f"replay {episode.title}: {len(steps)} frames for {n} decisions")
    terminal = steps[-1]
    info = {"kind": episode.kind, "number": int(episode.number),
            "env_steps": int(episode.env_steps), "decisions": n,
            "inspection_weights": [s.inspection.weights for s in steps[:n]],  # type: ignore
            "terminal_has_decision": terminal.last_decision is not None}
    frames = [{f.name: _tag(getattr(s, f.name)) for f in dataclasses.fields(Snapshot)
               if f.name not in _SNAPSHOT_SKIP} for s in steps]
    out = {"info": _json_bytes(info), "frames": _json_bytes(frames),
           "rewards": np.asarray(episode.rewards, np.float64).reshape(n)}
    for name, fields in (("decision", DECISION_FIELDS), ("inspection", INSPECTION_FIELDS)):
        for key in fields:
            values = [getattr(getattr(s, name), key) for s in steps[:n]]
            if any(v is None for v in values):
                continue  # q_tot_table: only with two agents
            out[f"{name}/{key}"] = np.stack([np.asarray(v) for v in values])
    return out


def episode_info(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """An encoded episode's `info` (kind, number, env_steps, decisions, ...)."""
    return dict(_from_json_bytes(arrays["info"]))


def _kind_of(arrays: dict[str, np.ndarray]) -> str:
    return str(episode_info(arrays)["kind"])


def _row(arrays: dict[str, np.ndarray], key: str, t: int) -> Any:
    value = arrays[key][t]
    if np.ndim(value) == 0:  # scalars as the live records hold them
        kind = arrays[key].dtype.kind
        return float(value) if kind == "f" else bool(value) if kind == "b" else int(value)
    return np.array(value)


def decode(arrays: dict[str, np.ndarray]) -> ReplayEpisode:
    """`encode`'s inverse: equal Snapshots, Decisions and Inspections."""
    info = _from_json_bytes(arrays["info"])
    frames = _from_json_bytes(arrays["frames"])
    n = int(info["decisions"])
    if info.get("kind") not in KINDS or len(frames) != n + 1:
        raise ValueError(f"a replay holds {len(frames)} frames for {n} decisions")
    steps: list[Snapshot] = []
    for t, frame in enumerate(frames):
        fields = {k: _untag(v) for k, v in frame.items()}
        decision = inspection = None
        if t < n:
            decision = Decision(**{k: _row(arrays, f"decision/{k}", t)
                                   for k in DECISION_FIELDS})
            inspection = Inspection(**{k: _row(arrays, f"inspection/{k}", t)
                                       for k in INSPECTION_FIELDS
                                       if f"inspection/{k}" in arrays},
                                    weights=info["inspection_weights"][t])
        steps.append(Snapshot(decision=decision, inspection=inspection, **fields))
    if n and info.get("terminal_has_decision"):
        steps[-1].last_decision = steps[-2].decision
        steps[-1].last_inspection = steps[-2].inspection
    return ReplayEpisode(info["kind"], int(info["number"]), int(info["env_steps"]), steps,
                         [float(r) for r in arrays["rewards"]])
