"""The one training loop of QMIX Studio, in small steps that a CLI or a GUI worker can drive.

    trainer = Trainer(make_config("pursuit"))
    while trainer.env_steps < 100_000:
        trainer.train_iteration()      # one env step; at a rollout's end: updates + evaluation

`env_step`, `run_episode`, `update`, `evaluate` and `snapshot` are the pieces the GUI's step
buttons call; `train_iteration` strings them together exactly as a headless run does.

Rollouts are PyMARL's parallel runner: `n_envs` copies start together and step in lock-step;
a copy whose episode ended waits (frozen, masked) until all are done, then the `n_envs`
episodes go into the replay buffer at once. The next rollout starts lazily on the next step,
so the terminal frame of an episode stays on screen until the user moves on.

Randomness: one NumPy Generator drives training (env seeds, exploration coins, replay
sampling), a second one evaluation, a third the weight initialisation; TensorFlow draws no
random numbers. Same seed + same config = same run, and a checkpoint taken at a rollout
boundary resumes bit-for-bit.

Why one file of ~880 lines (over the project's ~450): the run's state (counters, generators,
the rollout in flight, the background round of updates, the input and reward statistics) is
read and written by every method here, and `state_dict`/`load_state_dict` must name all of it;
split across files, a new field would have to be remembered in several places. Everything
without that state lives elsewhere: acting (qmix/actor.py), replay (qmix/buffer.py), the
maths (qmix/learner.py), statistics (qmix/normalizer.py), files (qmix/checkpoint/), manual
control's rules (qmix/manual.py; its ~80 lines here act on the rollout in flight), episode
recording (qmix/replay.py; its hooks here read the rollout in flight).
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np

import envs
from qmix.actor import NumpyAgent, epsilon_at, explore
from qmix.buffer import EpisodeBuffer, allocate, episode_spec
from qmix.config import Config
from qmix.inspection import NumpyMixer, inspect_decision
from qmix.manual import HumanControl, check_action, idle_action
from qmix.normalizer import Identity, RunningRange
from qmix.replay import ReplayEpisode, ReplayRecorder
from qmix.callbacks import Callback, CallbackList, StopWhenSolved
from qmix.checkpoint.compat import check_compatible
from qmix.types import CURVES, Decision, Inspection, Snapshot

HISTORY_KEYS = tuple(curve.name for curve in CURVES)
ACTING_MIXER = "acting_mixer/"
"""State-dict keys (checkpoint: /extra/acting_mixer/...) of the mixer weights that act."""


def configure_tensorflow() -> Any:
    """Import TensorFlow quietly, on one intra/inter-op thread (docs/facts.md: as fast as two here,
    and it leaves the other core to the GUI)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")  # hides the oneDNN notices; same speed
    # `import tensorflow` also imports Keras (and Keras imports matplotlib.pyplot where it is
    # installed): ~1.3 of ~4.2 s, measured (docs/performance.md). Nothing here uses Keras, so
    # it is kept out while TensorFlow loads (TF skips it on ImportError); `tf.keras` and
    # `import keras` still load it on first use afterwards.
    hide_keras = "tensorflow" not in sys.modules and "keras" not in sys.modules
    if hide_keras:
        sys.modules["keras"] = None  # type: ignore[assignment]
    try:
        import tensorflow as tf
    finally:
        if hide_keras and sys.modules.get("keras", 0) is None:
            del sys.modules["keras"]

    threads = int(os.environ.get("QMIX_TF_THREADS", "1"))
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        pass  # TensorFlow already initialised in this process: keep its settings
    if threads > 1:
        # On one thread the CPU kernels are already deterministic (a test checks that two
        # runs agree bit for bit); forcing op determinism there cost ~20% of update time.
        tf.config.experimental.enable_op_determinism()
    return tf


@dataclass
class _Rollout:
    """The in-flight rollout of all env copies."""

    data: dict[str, np.ndarray]  # episode arrays with a leading copies axis (C, T1, ...)
    ts: envs.TimeStep  # latest time step
    t: int
    hidden: np.ndarray  # (C, N, H) GRU state after the last executed step
    last_actions: np.ndarray  # (C, N), -1 before the first step
    returns: np.ndarray  # (C,)
    done: np.ndarray  # (C,) bool
    pending: dict[str, Any] | None = None  # the decision for the current time step
    human: bool = False  # copy 0 took a person's action in this rollout (qmix/manual.py)


class Trainer:
    def __init__(self, config: Config, callbacks: Iterable[Callback] = ()) -> None:
        config.validate()
        self.tf = configure_tensorflow()
        from qmix.learner import Learner  # imports TensorFlow

        self.config = config
        self.env = envs.make(config.scenario, n_envs=config.n_envs, **config.scenario_kwargs)
        self.eval_env = envs.make(config.scenario, n_envs=config.n_envs,
                                  **config.scenario_kwargs)
        self.info = self.env.info
        self.rng = np.random.default_rng([config.seed, 0])
        self.eval_rng = np.random.default_rng([config.seed, 1])
        self.tf.random.set_seed(config.seed)
        self.learner = Learner(config, self.info, np.random.default_rng([config.seed, 2]))
        self.buffer = EpisodeBuffer(config.buffer_size, self.info)
        self.actor = NumpyAgent(config, self.info.n_agents, self.info.n_actions)
        self.mixer_np = NumpyMixer(config.algo, self.info.n_agents)
        self._refresh_acting(0)
        self._executed0: tuple[_Rollout, dict[str, Any], int] | None = None  # see env_step
        # finished episodes kept step by step for replay (qmix/replay.py)
        self.recorder = ReplayRecorder(config.replay_episodes, config.replay_eval_episodes)
        self.callbacks = CallbackList(callbacks)
        self.stop_requested = False  # a callback returned False (qmix/callbacks.py)
        self.human = HumanControl()  # manual control of one agent of copy 0 (qmix/manual.py)
        self.human_step: Inspection | None = None  # the last step a person took, inspected

        self.env_steps = 0
        self.episodes = 0
        self.updates_done = 0
        self.history: dict[str, list[tuple[int, float]]] = {k: [] for k in HISTORY_KEYS}
        self.last_metrics: dict[str, float] = {}
        self.last_eval: float | None = None
        self.last_eval_returns: list[float] = []  # the episodes behind last_eval
        self.solved = False
        self.next_eval = config.eval_interval
        self.reward_stats = np.array([0.0, 0.0, 1e-4])  # running mean, M2, count
        self.reward_max_abs = 0.0  # largest |reward| seen (bounds the first scaled rewards)
        # Inputs reach the networks normalised (qmix/normalizer.py): one set of statistics
        # for every agent's observation, one for the state; the buffer keeps raw values.
        norm = RunningRange if config.normalize_inputs else (lambda dim: Identity())
        self.obs_norm = norm(self.info.obs_dim)
        self.state_norm = norm(self.info.state_dim)
        self.update_debt = 0  # env steps not yet paid for with an update (env_steps_per_update)
        self._spec = episode_spec(self.info)
        self._rollout: _Rollout | None = None
        self._last_t = 0
        self._last_rollout_steps = 0
        self._inflight: Future | None = None  # a rollout's updates running on the other core
        self._executor: ThreadPoolExecutor | None = None
        self._begin_rollout()  # so a freshly built run already has a frame and a decision

    # ------------------------------------------------------------------ properties
    @property
    def updates(self) -> int:
        """Gradient updates whose results have been taken in (background ones count once
        joined, so loops like `while trainer.updates < n` stop at reproducible points)."""
        return self.updates_done

    @property
    def epsilon(self) -> float:
        return epsilon_at(self.config, self.env_steps)

    @property
    def replays(self) -> list[ReplayEpisode]:
        """Finished episodes kept for replay, oldest first (train and eval; qmix/replay.py)."""
        return self.recorder.episodes()

    def add_callback(self, callback: Callback) -> None:
        self.callbacks.append(callback)

    def _emit(self, hook: str, *args: Any) -> None:
        if getattr(self.callbacks, hook)(self, *args) is False:
            self.stop_requested = True

    # ------------------------------------------------------------------ acting
    def _begin_rollout(self) -> None:
        c, n = self.config.n_envs, self.info.n_agents
        ts = self.env.reset(seed=int(self.rng.integers(2**31 - 1)))
        data = allocate(self._spec, c)
        self._store_obs(data, 0, ts)
        if self._norms_empty():
            # The first decisions of a run should not see raw inputs either (the inspector
            # showed Q_tot 18 at t = 0 on LBF): start the ranges from the reset observations.
            self.obs_norm.update(ts.obs[ts.active])
            self.state_norm.update(ts.state)
        self._rollout = _Rollout(
            data=data, ts=ts, t=0,
            hidden=np.zeros((c, n, self.config.hidden_dim), np.float32),
            last_actions=np.full((c, n), -1, np.int64),
            returns=np.zeros(c, np.float64), done=np.zeros(c, bool))
        self._decide()

    @staticmethod
    def _store_obs(data: dict[str, np.ndarray], t: int, ts: envs.TimeStep) -> None:
        data["obs"][:, t] = ts.obs
        data["state"][:, t] = ts.state
        data["avail_actions"][:, t] = ts.avail_actions
        data["active"][:, t] = ts.active

    def _decide(self) -> None:
        ro = self._rollout
        assert ro is not None
        eps = self.epsilon
        q, h_new = self.actor.forward(
            self.actor.inputs(self.obs_norm(ro.ts.obs), ro.last_actions), ro.hidden)
        actions, greedy, explored = explore(q, ro.ts.avail_actions, eps, self.rng)
        # the weights that decided go with the decision, for its inspection (qmix/inspection.py)
        ro.pending = dict(actions=actions, greedy=greedy, explored=explored, q=q,
                          hidden_new=h_new, epsilon=eps, mixer=self._acting_mixer,
                          weights_updates=self._acting_updates)
        self._apply_human()

    def env_step(self) -> bool:
        """One step of every env copy. True when this step ended the rollout."""
        if self._rollout is None:
            self._begin_rollout()
        ro = self._rollout
        assert ro is not None and ro.pending is not None
        p, t = ro.pending, ro.t
        alive = ~ro.done  # (C,) copies still in their episode
        if alive[0] and self.human.agent is not None:
            self._take_human_step(ro, p, t)
        if alive[0]:  # copy 0's last executed decision, for its terminal frame (no copying)
            self._executed0 = (ro, p, t)
            if self.recorder.train_limit:  # this frame as snapshot() shows it, in raw parts
                self.recorder.train_frame(self, ro, p, t)
        ro.data["actions"][:, t] = p["actions"]
        ts = self.env.step(p["actions"])
        reward = np.where(alive, ts.reward, 0.0)
        ro.data["reward"][:, t] = reward
        ro.data["terminated"][:, t] = ts.terminated & alive
        ro.data["filled"][:, t] = alive
        self._store_obs(ro.data, t + 1, ts)
        ro.returns += reward
        ro.hidden, ro.last_actions = p["hidden_new"], p["actions"]
        ro.t, ro.ts = t + 1, ts
        self.env_steps += int(alive.sum())
        finished = alive & (ts.terminated | ts.truncated)
        ro.done |= finished
        self._emit("on_step")
        if finished.any():
            returns = [float(r) for r in ro.returns[finished]]
            self.episodes += len(returns)
            self.history["episode_return"].extend((self.env_steps, r) for r in returns)
            self._emit("on_episode_end", returns)
        ended = bool(ro.done.all() or ro.t >= self.info.episode_limit)
        keep0 = bool(alive[0] and (finished[0] or ended) and self.recorder.train_limit)
        if keep0:  # copy 0's episode is over: its inputs' scales, before the rollout's end
            self.recorder.train_scales(self)
        if ended:
            self._end_rollout()
        else:
            self._decide()
        if keep0:
            self.recorder.train_end(self, ro)  # ... and the episode, with its terminal frame
        return ended

    def _end_rollout(self) -> None:
        ro = self._rollout
        assert ro is not None
        ex = self._executed0
        if ex is not None and ex[0] is ro:  # its inspection needs the inputs of its own time
            ex[1]["scales"] = (self.state_norm(ro.data["state"][0, ex[2]]), self.reward_scale)
        if self.config.scale_rewards or self.config.standardise_rewards:
            self._update_reward_stats(ro.data["reward"][ro.data["filled"] > 0])
        self._update_input_stats(ro.data, ro.t)
        if ro.human and not self.human.to_buffer:  # a person played copy 0: kept out
            self.human.episodes_kept_out += 1
            self.buffer.insert({k: v[1:] for k, v in ro.data.items()})
        else:
            self.human.episodes_kept_in += int(ro.human)
            self.buffer.insert(ro.data)
        self._last_t = ro.t
        self._last_rollout_steps = int(ro.data["filled"].sum())  # env steps over all copies
        ro.pending = None
        self._rollout = None
        self.history["epsilon"].append((self.env_steps, self.epsilon))
        self._emit("on_rollout_end")

    def run_episode(self) -> list[float]:
        """Step until the current rollout ends; the returns of the episodes it finished."""
        if self._rollout is None:
            self._begin_rollout()
        ro = self._rollout
        assert ro is not None
        while not self.env_step():
            pass
        return [float(r) for r in ro.returns]

    # ------------------------------------------------------------------ manual control
    def take_over(self, agent: int | None) -> None:
        """A person controls copy 0's agent `agent` from its next step on (None: nobody;
        qmix/manual.py says what changes). The decision pending now follows at once."""
        if agent is not None and not 0 <= int(agent) < self.info.n_agents:
            raise ValueError(f"there is no agent {agent} (agents 0-{self.info.n_agents - 1})")
        self.human.agent = None if agent is None else int(agent)
        self.human.queued = None
        if agent is None:
            self.human_step = None
        ro = self._rollout
        if ro is not None and ro.pending is not None and "policy" in ro.pending:
            p = ro.pending  # back to the policy's own choices before applying the new control
            p["actions"], p["explored"] = p.pop("policy")
        self._apply_human()

    def set_human_options(self, others_greedy: bool | None = None,
                          to_buffer: bool | None = None) -> None:
        """The other agents greedy (else ε-greedy); the person's episodes into the buffer."""
        if to_buffer is not None:
            self.human.to_buffer = bool(to_buffer)
        if others_greedy is not None:
            self.human.others_greedy = bool(others_greedy)
            self.take_over(self.human.agent)  # re-applied to the decision pending now

    def human_act(self, action: int) -> None:
        """The person's action for copy 0's next step (HumanActionError if the agent cannot
        take it now); the pending decision shows it at once. It is taken by the next step."""
        i = self.human.agent
        ro = self._rollout
        if i is None:
            raise ValueError("no agent is under manual control (take one over first)")
        if ro is None:
            self._begin_rollout()
            ro = self._rollout
        assert ro is not None and ro.pending is not None
        if ro.done[0]:
            raise ValueError("copy 0's episode is over: step to start the next one")
        self.human.queued = check_action(action, i, ro.ts.avail_actions[0, i],
                                         tuple(self.info.action_names))
        ro.pending["actions"][0, i] = self.human.queued
        ro.pending["explored"][0, i] = False

    def _apply_human(self) -> None:
        """Put manual control into the pending decision of copy 0: the person's agent takes
        the queued action (or stay), the others their greedy action if so chosen. The
        policy's own choices are kept under "policy" (what the agent would have done)."""
        ro, i = self._rollout, self.human.agent
        if i is None or ro is None or ro.pending is None or ro.done[0]:
            return
        p = ro.pending
        p["policy"] = (p["actions"].copy(), p["explored"].copy())
        actions, explored = p["actions"], p["explored"]
        if self.human.others_greedy:
            actions[0] = p["greedy"][0]
            explored[0] = False
        avail = ro.ts.avail_actions[0, i]
        queued = self.human.queued
        actions[0, i] = queued if queued is not None and avail[queued] else idle_action(
            tuple(self.info.action_names), avail, int(p["policy"][0][0, i]))
        explored[0, i] = False

    def _take_human_step(self, ro: _Rollout, p: dict[str, Any], t: int) -> None:
        """Copy 0's step about to happen is a person's: remember it (buffer) and inspect the
        joint action actually taken, the person's action included."""
        ro.human = True
        self.human.queued = None
        decision = self._decision(p, t, ro.ts.obs[0], ro.ts.state[0], ro.ts.avail_actions[0])
        self.human_step = self._inspect_decision(decision, p)

    # ------------------------------------------------------------------ learning
    def _update_reward_stats(self, rewards: np.ndarray) -> None:
        # Chan et al. parallel variance update, as EPyMARL's RunningMeanStd.
        mean, m2, count = self.reward_stats
        b_count = rewards.size
        if b_count == 0:
            return
        self.reward_max_abs = max(self.reward_max_abs, float(np.abs(rewards).max()))
        b_mean, b_var = float(rewards.mean()), float(rewards.var())
        delta = b_mean - mean
        total = count + b_count
        mean = mean + delta * b_count / total
        m2 = m2 + b_var * b_count + delta**2 * count * b_count / total
        self.reward_stats = np.array([mean, m2, total])

    def _norms_empty(self) -> bool:
        return getattr(self.obs_norm, "count", None) == 0

    def _update_input_stats(self, data: dict[str, np.ndarray], t_end: int) -> None:
        """Take the observations this rollout really saw into the normalisers: slot 0 and
        every slot after a step that happened, of active agents only (padding and the zeros
        of agents that left are not the world's statistics)."""
        seen = np.concatenate([np.ones_like(data["filled"][:, :1]), data["filled"][:, :t_end]],
                              axis=1) > 0  # (C, t_end+1) slots holding a real observation
        obs = data["obs"][:, : t_end + 1]  # (C, t_end+1, N, O)
        active = (data["active"][:, : t_end + 1] > 0) & seen[..., None]  # (C, t_end+1, N)
        self.obs_norm.update(obs[active])
        self.state_norm.update(data["state"][:, : t_end + 1][seen])

    def ready_to_update(self) -> bool:
        need = max(self.config.batch_size, self.config.learning_starts)
        return self.buffer.size >= need

    def _sample(self) -> dict[str, np.ndarray]:
        return self.prepare_batch(self.buffer.sample(self.config.batch_size, self.rng))

    def prepare_batch(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Replay episodes (raw, as stored) -> the learner's input: padding cut, inputs
        normalised, rewards standardised if configured."""
        if not self.config.jit_compile:
            # Cut the padding after the batch's longest episode (its final observation stays).
            t_max = int(batch["filled"].sum(axis=1).max()) + 1
            batch = {k: v[:, :t_max] for k, v in batch.items()}
        # Normalised with today's statistics, whenever the episodes were collected.
        batch["obs"] = self.obs_norm(batch["obs"])
        batch["state"] = self.state_norm(batch["state"])
        if self.config.standardise_rewards:
            mean, m2, count = self.reward_stats
            std = math.sqrt(max(m2 / count, 1e-8))
            batch["reward"] = ((batch["reward"] - mean) / std).astype(np.float32)
        elif self.config.scale_rewards:
            batch["reward"] = (batch["reward"] / self.reward_scale).astype(np.float32)
        return batch

    @property
    def reward_scale(self) -> float:
        """sigma: with `scale_rewards` the learner sees rewards / sigma, so its Q-values are in
        units of sigma; everything shown (inspection, Q_tot curve, loss) is multiplied back.

        sigma is the running root mean square of the rewards (a scale without a shift: a
        constant +1 per step stays 1), but at least a tenth of the largest |reward| seen: in
        a sparse world the first rewards arrive after thousands of zeros, and the bare RMS
        would make them worth ~100 before it settles.
        Why scale at all (measured, LBF 8x8-2p-2f, QMIX, 300k env steps, seeds 0/1): greedy
        return 0.63/0.50 on its raw rewards (<= 0.5 per item), 0.75/0.73 scaled.
        """
        if not self.config.scale_rewards or self.config.standardise_rewards:
            return 1.0
        mean, m2, count = self.reward_stats
        rms = math.sqrt(max(m2 / count + mean**2, 0.0))
        sigma = max(rms, self.reward_max_abs / 10.0)
        return sigma if sigma > 0 else 1.0

    def _record(self, results: list[dict[str, float]]) -> None:
        """Bookkeeping after updates ran: fresh actor weights, history, callbacks."""
        if not results:
            return
        self._refresh_acting(self.updates_done + len(results))
        sigma = self.reward_scale
        for learned in results:
            # the learner's values are in units of the reward scale: report them in the world's
            metrics = dict(learned, loss=learned["loss"] * sigma**2,
                           q_tot=learned["q_tot"] * sigma, target=learned["target"] * sigma,
                           td_abs=learned["td_abs"] * sigma)
            self.updates_done += 1
            self.last_metrics = metrics
            for key in ("loss", "q_tot", "grad_norm"):
                self.history[key].append((self.env_steps, metrics[key]))
            if not all(math.isfinite(v) for v in metrics.values()):
                raise FloatingPointError(
                    f"update {self.updates} produced a non-finite loss ({metrics['loss']}); "
                    "try a lower learning rate")
            self._emit("on_update", metrics)

    def _refresh_acting(self, updates: int) -> None:
        """The NumPy actor's agent weights and, copied at the same moment, the mixer's: the
        weights that act (and that the inspection shows) until the next refresh; `updates`:
        the updates they include. With `async_updates` they can be one round of updates
        behind the online networks, which that round is changing on the update thread."""
        agent, self._acting_mixer = self.learner.acting_weights()
        self.actor.set_weights(agent)
        self._acting_updates = int(updates)

    def finish_updates(self) -> None:
        """Wait for updates running in the background and take in their results."""
        if self._inflight is not None:
            future, self._inflight = self._inflight, None
            self._record(future.result())

    def updates_in_flight(self) -> bool:
        """True while a rollout's background updates (async_updates) are still running."""
        return self._inflight is not None and not self._inflight.done()

    def update(self) -> dict[str, float] | None:
        """Exactly one gradient update, now; None while the buffer holds too few episodes."""
        self.finish_updates()
        if not self.ready_to_update():
            return None
        metrics = self.learner.update(self._sample())
        self._record([metrics])
        return metrics

    def train_iteration(self) -> bool:
        """The training loop's body. True when a rollout ended (and its updates were started).

        With `async_updates` the rollout's updates run on a worker thread (compiled TensorFlow
        releases the GIL) while the next rollout acts; they are joined at the end of that
        rollout. Batches are sampled here, on this thread, so the run stays reproducible.
        """
        if not self.env_step():
            return False
        self.finish_updates()
        batches = [self._sample() for _ in range(self._updates_owed(self._last_rollout_steps))]
        if batches and self.config.async_updates:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="qmix-update")
            self._inflight = self._executor.submit(
                lambda: [self.learner.update(b) for b in batches])
        else:
            self._record([self.learner.update(b) for b in batches])
        if self.env_steps >= self.next_eval:
            self.evaluate(confirm_solved=True)
            while self.next_eval <= self.env_steps:
                self.next_eval += self.config.eval_interval
        return True

    def _updates_owed(self, rollout_steps: int) -> int:
        """Updates to take after a rollout of `rollout_steps` env steps.

        `env_steps_per_update` k > 0: one update per k env steps, so a 50-step world gets as
        many updates per env step as a 25-step one (the remainder carries to the next
        rollout); k = 0: `updates_per_rollout`, PyMARL's schedule. Nothing is owed while the
        buffer holds fewer than `learning_starts` episodes.
        """
        if not self.ready_to_update():
            self.update_debt = 0
            return 0
        k = self.config.env_steps_per_update
        if k == 0:
            return self.config.updates_per_rollout
        self.update_debt += rollout_steps
        owed, self.update_debt = divmod(self.update_debt, k)
        return owed

    def close(self) -> None:
        """Join background work; the trainer stays usable."""
        self.finish_updates()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def train(self, total_env_steps: int, until_solved: bool = False,
              callbacks: Iterable[Callback] = ()) -> None:
        """Train until `total_env_steps`, or until a callback asks to stop (`callbacks` watch
        this call only; `until_solved` adds `StopWhenSolved`). Stops only between rollouts,
        so that a run saved afterwards resumes bit-for-bit (a background round of updates may
        still be running; `state_dict` waits for it, `close` takes it in)."""
        extra = [*callbacks, *([StopWhenSolved()] if until_solved else [])]
        for callback in extra:
            self.callbacks.append(callback)
        self.stop_requested = False
        try:
            while self.env_steps < total_env_steps or (
                    self._rollout is not None and self._rollout.t > 0):
                ended = self.train_iteration()
                if ended and self.stop_requested:
                    break
        finally:
            for callback in extra:
                self.callbacks.remove(callback)

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, episodes: int | None = None,
                 watch: Callable[[Snapshot], None] | None = None,
                 confirm_solved: bool = False) -> float:
        """Mean return of greedy episodes on separate env copies (training is undisturbed).

        confirm_solved: if the mean reaches the solved return, evaluate again with
        `solve_eval_episodes` episodes and keep that figure -- a quick 16-episode evaluation
        is noisy (+-0.1 of 1.0 on foraging), and "solved" should mean solved.
        """
        episodes = episodes or self.config.eval_episodes
        returns = self._greedy_returns(episodes, watch, record=True)
        confirm = self.config.solve_eval_episodes
        if confirm_solved and self._reaches_solved(returns) and confirm > episodes:
            returns = self._greedy_returns(confirm, None)
        mean = float(np.mean(returns))
        self.last_eval = mean
        self.last_eval_returns = returns
        self.solved = self._reaches_solved(returns)
        self.history["eval_return"].append((self.env_steps, mean))
        self._emit("on_evaluate", mean)
        return mean

    def _reaches_solved(self, returns: list[float]) -> bool:
        solved_at = self.info.solved_return
        return solved_at is not None and float(np.mean(returns)) >= solved_at - 1e-6

    def _greedy_returns(self, episodes: int, watch: Callable[[Snapshot], None] | None,
                        record: bool = False) -> list[float]:
        """Returns of `episodes` greedy episodes (run in rounds of n_envs copies). `record`:
        keep copy 0's episode of the first round for replay (qmix/replay.py), as watched."""
        c, n = self.config.n_envs, self.info.n_agents
        returns: list[float] = []
        kept: list[Snapshot] | None = [] if record and self.recorder.eval_limit else None
        rewards: list[float] = []

        def seen(snap: Snapshot | None) -> None:  # copy 0's frames until its terminal one
            nonlocal kept
            if kept is not None and snap is not None:
                kept.append(snap)
                if snap.decision is None:
                    self.recorder.eval_episode(len(self.history["eval_return"]),
                                             self.env_steps, kept, rewards)
                    kept = None

        for _ in range(math.ceil(episodes / c)):
            ts = self.eval_env.reset(seed=int(self.eval_rng.integers(2**31 - 1)))
            hidden = np.zeros((c, n, self.config.hidden_dim), np.float32)
            last = np.full((c, n), -1, np.int64)
            total, done = np.zeros(c), np.zeros(c, bool)
            for t in range(self.info.episode_limit):
                q, h_new = self.actor.forward(self.actor.inputs(self.obs_norm(ts.obs), last),
                                              hidden)
                greedy = np.where(ts.avail_actions, q, -np.inf).argmax(-1)
                snap = None
                if watch is not None or kept is not None:
                    snap = self._eval_snapshot(ts, t, total[0], hidden, last, greedy, q)
                if watch is not None:
                    watch(snap)  # type: ignore[arg-type]
                seen(snap)
                alive = ~done
                ts = self.eval_env.step(greedy)
                if kept is not None and alive[0]:
                    rewards.append(float(ts.reward[0]))
                total += np.where(alive, ts.reward, 0.0)
                done |= ts.terminated | ts.truncated
                hidden, last = h_new, greedy
                if done.all():
                    break
            snap = None
            if watch is not None or kept is not None:
                snap = self._eval_snapshot(ts, t + 1, total[0], hidden, last, None, None)
            if watch is not None:
                watch(snap)  # type: ignore[arg-type]
            seen(snap)
            kept = None  # copy 0 of the first round only
            returns.extend(float(r) for r in total)
        return returns[:episodes]

    def watch_greedy(self, episodes: int, seed: int,
                     watch: Callable[[Snapshot], None]) -> list[float]:
        """`episodes` greedy episodes of eval copy 0 watched step by step as `evaluate`
        watches one (one round of n_envs copies each), seeded by `seed`, leaving the run
        exactly as it was: no counter, curve, callback or random stream changes (for
        recordings, qmix/record.py). The returns of copy 0's episodes."""
        saved = self.eval_rng
        self.eval_rng = np.random.default_rng([seed, 3])
        try:
            returns = self._greedy_returns(episodes * self.config.n_envs, watch)
        finally:
            self.eval_rng = saved
        return returns[::self.config.n_envs]

    def first_greedy_step(self, seed: int) -> Snapshot:
        """The first greedy decision of a fresh evaluation episode, inspected (for `main.py
        inspect --step`). Uses the evaluation env only; training state is untouched."""
        c, n = self.config.n_envs, self.info.n_agents
        ts = self.eval_env.reset(seed=seed)
        hidden = np.zeros((c, n, self.config.hidden_dim), np.float32)
        last = np.full((c, n), -1, np.int64)
        q, _ = self.actor.forward(self.actor.inputs(self.obs_norm(ts.obs), last), hidden)
        greedy = np.where(ts.avail_actions, q, -np.inf).argmax(-1)  # (C, N)
        return self._eval_snapshot(ts, 0, 0.0, hidden, last, greedy, q, online=True)

    def _eval_snapshot(self, ts: envs.TimeStep, t: int, ret: float, hidden: np.ndarray,
                       last: np.ndarray, greedy: np.ndarray | None,
                       q: np.ndarray | None, online: bool = False) -> Snapshot:
        """A watched greedy step; its inspection from the weights acting in it, or (`online`,
        as `inspect --step` has always printed) the compiled one through the online networks."""
        decision = None
        inspection = None
        # copy 0 over (the other eval copies go on): its frame has no decision of its own
        if greedy is not None and q is not None and not self.eval_env.done[0]:
            decision = Decision(t=t, obs=ts.obs[0].copy(), state=ts.state[0].copy(),
                                avail_actions=ts.avail_actions[0].copy(),
                                actions=greedy[0].copy(), greedy_actions=greedy[0].copy(),
                                explored=np.zeros(self.info.n_agents, bool), epsilon=0.0,
                                agent_qs=q[0] * np.float32(self.reward_scale),
                                weights_updates=self._acting_updates)
            if online:
                inspection = self.inspect(ts.obs[0], ts.state[0], ts.avail_actions[0],
                                          hidden[0], last[0], greedy[0])
            else:
                inspection = self._inspect_decision(
                    decision, {"q": q, "mixer": self._acting_mixer,
                               "scales": (self.state_norm(ts.state[0]), self.reward_scale)})
        return self._make_snapshot(self.eval_env, t, ret, decision, inspection, evaluating=True)

    # ------------------------------------------------------------------ watching
    def _make_snapshot(self, env: envs.VecEnv, t: int, ret: float, decision: Decision | None,
                       inspection: Any, evaluating: bool = False) -> Snapshot:
        return Snapshot(
            frame=env.snapshot(0), t=t, episode_return=float(ret), decision=decision,
            inspection=inspection, true_joint_values=env.true_joint_values(0),
            env_steps=self.env_steps, episodes=self.episodes, updates=self.updates,
            epsilon=self.epsilon, metrics=dict(self.last_metrics), last_eval=self.last_eval,
            solved=self.solved, evaluating=evaluating)

    def inspect(self, obs: np.ndarray, state: np.ndarray, avail: np.ndarray,
                hidden: np.ndarray, last_actions: np.ndarray, actions: np.ndarray) -> Any:
        """One decision of one env copy (raw obs (N, O), state (S,)) through the online
        networks, inputs normalised exactly as the actor and the learner see them."""
        inspection = self.learner.inspect(self.obs_norm(obs), self.state_norm(state), avail,
                                          hidden, last_actions, actions)
        sigma = self.reward_scale
        if sigma != 1.0:  # in the world's units (credit dQ_tot/dQ_a is unit-free)
            inspection.agent_qs = inspection.agent_qs * sigma
            inspection.q_tot_chosen *= sigma
            inspection.q_tot_greedy *= sigma
            inspection.v_s *= sigma
            if inspection.q_tot_table is not None:
                inspection.q_tot_table = inspection.q_tot_table * sigma
        return inspection

    def pending_decision(self) -> Decision | None:
        """The decision copy 0 is about to execute (None at a terminal frame)."""
        ro = self._rollout
        if ro is None or ro.pending is None or ro.done[0]:
            return None
        return self._decision(ro.pending, ro.t, ro.ts.obs[0], ro.ts.state[0],
                              ro.ts.avail_actions[0])

    def _scales(self, p: dict[str, Any], state: np.ndarray) -> tuple[np.ndarray, float]:
        """The normalised state and the reward scale as the decision `p` saw them: today's
        within its rollout (both change only at a rollout's end, which keeps them in p)."""
        return p.get("scales") or (self.state_norm(state), self.reward_scale)

    def _decision(self, p: dict[str, Any], t: int, obs: np.ndarray, state: np.ndarray,
                  avail: np.ndarray) -> Decision:
        sigma = self._scales(p, state)[1]
        return Decision(t=t, obs=obs.copy(), state=state.copy(), avail_actions=avail.copy(),
                        actions=p["actions"][0].copy(), greedy_actions=p["greedy"][0].copy(),
                        explored=p["explored"][0].copy(), epsilon=float(p["epsilon"]),
                        agent_qs=(p["q"][0] * sigma).astype(np.float32),
                        weights_updates=int(p["weights_updates"]))

    def _inspect_decision(self, decision: Decision, p: dict[str, Any]) -> Inspection:
        """`decision` of copy 0 (made as `p`: its actor Q, the mixer copied with the actor's
        weights) through the weights that made it (qmix/inspection.py; ~0.1 ms)."""
        state, sigma = self._scales(p, decision.state)
        return inspect_decision(self.mixer_np, p["mixer"], p["q"][0], decision.avail_actions,
                                decision.actions, decision.greedy_actions, state, sigma,
                                decision.t, decision.env_copy, decision.weights_updates)

    def _last_decision(self) -> Decision | None:
        """The decision that ended copy 0's episode on screen (its terminal frame's), if any."""
        ex = self._executed0
        if ex is None:
            return None
        ro, p, t = ex
        if ro is self._rollout and not ro.done[0]:
            return None  # copy 0 is still in that episode: it has a pending decision
        d = ro.data
        return self._decision(p, t, d["obs"][0, t], d["state"][0, t], d["avail_actions"][0, t])

    def snapshot(self, inspect: bool = True) -> Snapshot:
        """Copy 0's frame, its pending decision and the inspection of exactly that decision
        through the weights that made it (at a terminal frame: the decision that ended the
        episode, as `last_decision`), counters, metrics."""
        ro = self._rollout
        decision = self.pending_decision()
        inspection = last = last_inspection = None
        if decision is not None and ro is not None and ro.pending is not None:
            if inspect:
                inspection = self._inspect_decision(decision, ro.pending)
        else:
            last = self._last_decision()
            if last is not None and inspect and self._executed0 is not None:
                last_inspection = self._inspect_decision(last, self._executed0[1])
        t = ro.t if ro is not None else self._last_t
        ret = float(ro.returns[0]) if ro is not None else float(self.env.episode_return[0])
        snap = self._make_snapshot(self.env, t, ret, decision, inspection)
        snap.last_decision, snap.last_inspection = last, last_inspection
        snap.copies_running = int((~ro.done).sum()) if ro is not None else 0
        snap.human_agent, snap.human_step = self.human.agent, self.human_step
        return snap

    # ------------------------------------------------------------------ checkpoint state
    def state_dict(self, include_buffer: bool = False) -> dict[str, Any]:
        """Everything a run needs to continue exactly (see qmix/checkpoint/ for the file).

        The in-flight rollout is not part of it: a run resumes at the start of a rollout,
        bit-for-bit when the state was taken at a rollout boundary (as the CLI does).
        """
        # Let background updates finish, but take their results in only where the running
        # loop would (end of the next rollout): saving must not perturb the run.
        pending = self._inflight.result() if self._inflight is not None else []
        variables = {k: v.numpy() for k, v in self.learner.named_variables().items()}
        # The NumPy actor may be one round of updates behind the learner (async_updates);
        # keeping its copy makes a resumed run act exactly as the uninterrupted one would.
        variables.update({f"actor/{k}": v.copy() for k, v in self.actor.w.items()})
        state: dict[str, Any] = {
            "config": self.config.to_dict(),
            "info": dataclasses.asdict(self.info),
            "variables": variables,
            "counters": {"env_steps": self.env_steps, "episodes": self.episodes,
                         "updates": self.updates_done, "learner_updates": self.learner.updates,
                         "next_eval": self.next_eval, "update_debt": self.update_debt},
            "pending_updates": [dict(m) for m in pending],
            "epsilon": self.epsilon,
            "rng": {"train": self.rng.bit_generator.state,
                    "eval": self.eval_rng.bit_generator.state,
                    "tensorflow": {"global_seed": self.config.seed,
                                   "note": "TensorFlow draws no random numbers in a run"}},
            "reward_stats": self.reward_stats.copy(),
            "reward_max_abs": self.reward_max_abs,
            "reward_scale": self.reward_scale,  # derived; written for other tools to read
            "history": {k: np.asarray(v, np.float64).reshape(-1, 2)
                        for k, v in self.history.items()},
            "last_eval": self.last_eval,
            "solved": self.solved,
            "last_metrics": dict(self.last_metrics),
        }
        if self.config.normalize_inputs:
            state["normalizer"] = {"obs": self.obs_norm.state_dict(),
                                   "state": self.state_norm.state_dict()}
        if include_buffer:
            state["buffer"] = self.buffer.state_dict()
        if len(self.recorder):
            state["replays"] = self.recorder.state()
        # The mixer copied with the actor's weights (one round behind the online one with
        # async_updates): a resumed run's inspections, and so its replays, are the saved run's.
        state.update({f"{ACTING_MIXER}{k}": v.copy() for k, v in self._acting_mixer.items()})
        return state

    def variable_shapes(self) -> dict[str, tuple[int, ...]]:
        shapes = {k: tuple(v.shape) for k, v in self.learner.named_variables().items()}
        shapes.update({f"actor/{k}": tuple(v.shape) for k, v in self.actor.w.items()})
        return shapes

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Replace this run's state. It is checked against this run (the one check,
        `qmix.checkpoint.compat`) before anything is assigned."""
        check_compatible(self, state)
        if self._inflight is not None:  # this run's own background work is being replaced
            self._inflight.result()
            self._inflight = None
        variables = self.learner.named_variables()
        saved = state["variables"]
        if self.config.normalize_inputs:
            obs_norm = RunningRange(self.info.obs_dim)
            state_norm = RunningRange(self.info.state_dim)
            obs_norm.load_state_dict(state["normalizer"]["obs"])  # both checked before
            state_norm.load_state_dict(state["normalizer"]["state"])  # either is kept
            self.obs_norm, self.state_norm = obs_norm, state_norm
        if "buffer" in state:
            self.buffer.load_state_dict(state["buffer"])
        for key, var in variables.items():
            var.assign(np.asarray(saved[key]).astype(var.dtype.as_numpy_dtype))
        counters = state["counters"]
        self.env_steps = int(counters["env_steps"])
        self.episodes = int(counters["episodes"])
        self.updates_done = int(counters["updates"])
        self.learner.updates = int(counters.get("learner_updates", counters["updates"]))
        self.next_eval = int(counters.get("next_eval", self.config.eval_interval))
        self.update_debt = int(counters.get("update_debt", 0))
        self.rng.bit_generator.state = state["rng"]["train"]
        self.eval_rng.bit_generator.state = state["rng"]["eval"]
        self.reward_stats = np.asarray(state["reward_stats"], np.float64).copy()
        self.reward_max_abs = float(state.get("reward_max_abs", 0.0))
        self.history = {k: [(int(x), float(y)) for x, y in np.asarray(
            state["history"].get(k, np.zeros((0, 2)))).reshape(-1, 2)] for k in HISTORY_KEYS}
        self.last_eval = state.get("last_eval")
        self.solved = bool(state.get("solved", False))
        self.last_metrics = dict(state.get("last_metrics", {}))
        actor = {k[len("actor/"):]: np.asarray(v) for k, v in saved.items()
                 if k.startswith("actor/")}
        self._refresh_acting(self.updates_done)  # the saved actor, if any, replaces its agent
        if actor:
            self.actor.set_weights(actor)
        mixer = {k[len(ACTING_MIXER):]: np.asarray(v, np.float32) for k, v in state.items()
                 if k.startswith(ACTING_MIXER)}
        if mixer and all(k in mixer and mixer[k].shape == v.shape
                         for k, v in self._acting_mixer.items()):
            self._acting_mixer = mixer  # (files from before it: the saved online mixer)
        # Start afresh at a rollout boundary with the restored RNG, as the saved run would.
        self._rollout = None
        self._executed0 = None
        self.recorder.load(list(state.get("replays", [])))
        pending = [dict(m) for m in state.get("pending_updates", [])]
        if pending:  # taken in at the end of the next rollout, as in the saved run
            done: Future = Future()
            done.set_result(pending)
            self._inflight = done
