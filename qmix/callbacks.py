"""The one seam between the trainer and whoever watches it (Stable-Baselines3's callbacks).

A `Callback` overrides the hooks it needs; a `CallbackList` composes several. Every hook runs
on the trainer's thread, right after the event, with the trainer as first argument. A hook
that returns `False` asks training to stop: `Trainer.train` then stops at the end of the
current rollout (never in the middle of one, so a run saved afterwards resumes exactly), and a
GUI driving `train_iteration` itself reads `trainer.stop_requested`.

The watchers of QMIX Studio are all callbacks: the CLI's progress bar, TensorBoard writer,
periodic saves and until-solved stop (below), and the app's worker thread, which collects
curve points and episode ends through `on_episode_end` / `on_update` / `on_evaluate`.

No TensorFlow at import: the TensorBoard writer takes `tf` from the trainer.
"""

from __future__ import annotations

import sys
from typing import Any, Iterable


class Callback:
    """Override what you need. Return False from a hook to stop training at the next rollout
    boundary; None (the default) or True carries on."""

    def on_step(self, trainer: Any) -> bool | None:
        """Every env copy took one step (`trainer.env_steps` counts the live ones)."""

    def on_episode_end(self, trainer: Any, returns: list[float]) -> bool | None:
        """Some env copies finished their episodes, with these returns."""

    def on_rollout_end(self, trainer: Any) -> bool | None:
        """All copies finished; their episodes are in the replay buffer."""

    def on_update(self, trainer: Any, metrics: dict[str, float]) -> bool | None:
        """A gradient update's results were taken in (loss, q_tot, grad_norm, ...)."""

    def on_evaluate(self, trainer: Any, mean_return: float) -> bool | None:
        """A greedy evaluation finished (`trainer.solved` says whether it solved)."""


HOOKS = ("on_step", "on_episode_end", "on_rollout_end", "on_update", "on_evaluate")


class CallbackList(Callback):
    """Several callbacks as one; every one hears every event, in order. Any `False` stops."""

    def __init__(self, callbacks: Iterable[Callback] = ()) -> None:
        self.callbacks = list(callbacks)

    def append(self, callback: Callback) -> None:
        self.callbacks.append(callback)

    def remove(self, callback: Callback) -> None:
        self.callbacks.remove(callback)

    def _all(self, hook: str, *args: Any) -> bool:
        keep_going = True
        for callback in self.callbacks:
            if getattr(callback, hook)(*args) is False:
                keep_going = False
        return keep_going

    def on_step(self, trainer: Any) -> bool:
        return self._all("on_step", trainer)

    def on_episode_end(self, trainer: Any, returns: list[float]) -> bool:
        return self._all("on_episode_end", trainer, returns)

    def on_rollout_end(self, trainer: Any) -> bool:
        return self._all("on_rollout_end", trainer)

    def on_update(self, trainer: Any, metrics: dict[str, float]) -> bool:
        return self._all("on_update", trainer, metrics)

    def on_evaluate(self, trainer: Any, mean_return: float) -> bool:
        return self._all("on_evaluate", trainer, mean_return)


class StopWhenSolved(Callback):
    """Stop as soon as a (confirmed) greedy evaluation reaches the scenario's solved return."""

    def on_evaluate(self, trainer: Any, mean_return: float) -> bool:
        return not trainer.solved


class PeriodicSave(Callback):
    """Save the whole run every `every` env steps, at rollout boundaries (exact resume)."""

    def __init__(self, path: str, every: int, include_buffer: bool = False,
                 start: int = 0) -> None:
        self.path, self.every, self.include_buffer = path, every, include_buffer
        self.next_save = start + every

    def on_rollout_end(self, trainer: Any) -> None:
        if trainer.env_steps >= self.next_save:
            from qmix import checkpoint

            checkpoint.save_checkpoint(trainer, self.path, include_buffer=self.include_buffer)
            while self.next_save <= trainer.env_steps:
                self.next_save += self.every


class ProgressBar(Callback):
    """A tqdm bar on stderr: env steps, the latest greedy evaluation, epsilon, updates, loss."""

    def __init__(self, total: int, initial: int, desc: str) -> None:
        from tqdm import tqdm

        self.total = total
        self.bar = tqdm(total=total, initial=initial, unit="step", file=sys.stderr,
                        dynamic_ncols=True, desc=desc)

    def on_rollout_end(self, trainer: Any) -> None:
        self.bar.n = min(trainer.env_steps, self.total)
        ev = "-" if trainer.last_eval is None else f"{trainer.last_eval:.2f}"
        self.bar.set_postfix(eval=ev, eps=f"{trainer.epsilon:.2f}", upd=trainer.updates,
                             loss=f"{trainer.last_metrics.get('loss', float('nan')):.3f}",
                             refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        self.bar.close()


class TensorBoard(Callback):
    """tf.summary scalars under the curve names of `qmix.types.CURVES`."""

    def __init__(self, logdir: str, tf: Any) -> None:
        self.tf = tf
        self.writer = tf.summary.create_file_writer(logdir)

    def on_episode_end(self, trainer: Any, returns: list[float]) -> None:
        with self.writer.as_default():
            for r in returns:
                self.tf.summary.scalar("episode_return", r, step=trainer.env_steps)

    def on_rollout_end(self, trainer: Any) -> None:
        with self.writer.as_default():
            self.tf.summary.scalar("epsilon", trainer.epsilon, step=trainer.env_steps)

    def on_update(self, trainer: Any, metrics: dict[str, float]) -> None:
        if trainer.updates % 10:
            return
        with self.writer.as_default():
            for key in ("loss", "q_tot", "grad_norm", "td_abs"):
                self.tf.summary.scalar(key, metrics[key], step=trainer.env_steps)

    def on_evaluate(self, trainer: Any, mean_return: float) -> None:
        with self.writer.as_default():
            self.tf.summary.scalar("eval_return", mean_return, step=trainer.env_steps)
        self.writer.flush()
