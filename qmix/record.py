"""Episodes as GIF or MP4: `main.py record run.h5 --out demo.mp4` (its command line:
qmix/record_cli.py) and File ▸ Export episode.

What is recorded: with --greedy, N fresh greedy episodes played from the saved weights on the
evaluation env (`Trainer.watch_greedy`: the run itself is untouched); without it, the last N
episodes stored in the file (qmix/replay.py), or, when the file stores none, N greedy
episodes (a note on stderr says so). Every episode is preceded by a title card (CARD_SECONDS)
and its last frame is held (HOLD_SECONDS), so a looping GIF reads as separate episodes.

How it is written (imageio v3): GIF through Pillow (one duration per frame, looping
forever; identical consecutive frames become one longer frame, as a GIF stores them), MP4
through imageio-ffmpeg's own ffmpeg binary (H.264, yuv420p, +faststart: plays in browsers,
phones and slide decks; constant frame rate, so a held frame is repeated). H.264 in yuv420p
needs even sizes: an odd width or height is rounded up to even, with a note. The file is
written to a temporary file in the same folder and moved into place (qmix/checkpoint/atomic.py):
a full disk or an unwritable folder is one line, exit status 2, and no partial file.

Frames are drawn by envs/render (the world) and envs/render/overlay.py (the Q panel).
"""

from __future__ import annotations

import errno
import math
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from qmix.types import Snapshot
from qmix.userio import one_line

if TYPE_CHECKING:  # pragma: no cover
    from envs.render.overlay import OverlayData
    from qmix.trainer import Trainer

FORMATS = {".gif": "gif", ".mp4": "mp4"}
DEFAULT_SIZE = (720, 720)
DEFAULT_FPS = 8.0
MAX_FPS = {"gif": 50.0, "mp4": 60.0}  # GIF delays under 20 ms play slowed down in browsers
CARD_SECONDS = 1.0  # the title card before each episode
HOLD_SECONDS = 0.5  # extra time on each episode's last frame
MAX_SIDE = 4096

Progress = Callable[[int, int], None]  # (frames done, frames in all); may raise to cancel


@dataclass
class Episode:
    """One episode to record: its snapshots t = 0..T and what its title card says."""

    steps: list[Snapshot]
    title: str  # e.g. "Greedy episode 1 of 3"
    detail: str = ""  # e.g. "return 18 · pursuit · qmix"

    @property
    def episode_return(self) -> float:
        return float(self.steps[-1].episode_return) if self.steps else 0.0


@dataclass
class Recording:
    """What was written."""

    path: str
    format: str
    size: tuple[int, int]
    fps: float
    episodes: int
    frames: int  # frames in the file
    seconds: float
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------- checking input
def output_format(path: str) -> str:
    """'gif' or 'mp4' from the file name; ValueError naming the choices otherwise."""
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext not in FORMATS:
        raise ValueError(f"cannot record to {path}: the name must end in .gif or .mp4, "
                         f"got {ext or 'no extension'!r}")
    return FORMATS[ext]


def parse_size(text: str) -> tuple[int, int]:
    """'640x480' -> (640, 480); ValueError on anything else."""
    parts = str(text).lower().replace("×", "x").split("x")
    try:
        width, height = (int(p) for p in parts)
    except ValueError:
        raise ValueError(f"--size must be WIDTHxHEIGHT in pixels, e.g. 640x640, got "
                         f"{text!r}") from None
    return check_size((width, height))


def check_size(size: tuple[int, int]) -> tuple[int, int]:
    width, height = (int(v) for v in size)
    if not (64 <= width <= MAX_SIDE and 64 <= height <= MAX_SIDE):
        raise ValueError(f"the frame size must be between 64 and {MAX_SIDE} pixels a side, "
                         f"got {width}x{height}")
    return width, height


def check_fps(fps: Any, fmt: str) -> float:
    try:
        value = float(fps)
    except (TypeError, ValueError):
        raise ValueError(f"--fps must be a number, got {fps!r}") from None
    top = MAX_FPS[fmt]
    if not (math.isfinite(value) and 0.5 <= value <= top):
        raise ValueError(f"--fps must be between 0.5 and {top:g} for {fmt.upper()}, "
                         f"got {fps!r}")
    return value


def frame_size(size: tuple[int, int], fmt: str) -> tuple[tuple[int, int], str | None]:
    """The size frames are drawn at, and a note when it is not `size` (MP4 needs even)."""
    size = check_size(size)
    if fmt != "mp4":
        return size, None
    from envs.render.overlay import even_size

    even = even_size(size)
    if even == size:
        return size, None
    return even, (f"MP4 (H.264, yuv420p) needs an even width and height: "
                  f"{size[0]}x{size[1]} is recorded as {even[0]}x{even[1]}")


def check_out_folder(path: str) -> None:
    """Before any work: the file's folder exists and `path` is no folder."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ValueError(f"cannot record to {path}: it is a folder, not a file")
    if not os.path.isdir(folder):
        raise ValueError(f"cannot record to {path}: the folder {folder} does not exist")


# ---------------------------------------------------------------------- frames
def overlay_data(snap: Snapshot, action_names: Sequence[str], caption: str = ""
                 ) -> "OverlayData":
    """The overlay panel's content for one snapshot: its pending decision, or at a terminal
    frame the decision that ended the episode."""
    from envs.render.overlay import AgentLine, OverlayData

    decision, inspection = snap.decision, snap.inspection
    final = decision is None
    if final:
        decision, inspection = snap.last_decision, snap.last_inspection
    frame = snap.frame or {}
    status = "done" if frame.get("terminated") else "time up" if frame.get("truncated") else ""

    def name(action: int) -> str:
        action = int(action)
        return str(action_names[action]) if 0 <= action < len(action_names) else \
            f"action {action}"

    agents = []
    if decision is not None:
        for i, action in enumerate(np.asarray(decision.actions)):
            greedy = int(decision.greedy_actions[i])
            explored = bool(decision.explored[i])
            agents.append(AgentLine(
                action=name(action), q=float(decision.agent_qs[i, int(action)]),
                explored=explored,
                greedy_action=name(greedy) if explored and greedy != int(action) else None))
    positions = np.asarray(frame.get("agents", np.zeros((0, 2))))  # grid worlds' (N, 2)
    n_agents = len(agents) or (len(positions) if positions.ndim else 0)
    return OverlayData(
        n_agents=n_agents, t=int(snap.t), episode_limit=int(frame.get("episode_limit", 0) or 0),
        episode_return=float(snap.episode_return), agents=agents,
        q_tot_chosen=None if inspection is None else float(inspection.q_tot_chosen),
        q_tot_greedy=None if inspection is None else float(inspection.q_tot_greedy),
        v_s=None if inspection is None else float(inspection.v_s),
        caption=caption, final=final and decision is not None, status=status)


def draw_snapshot(snap: Snapshot, size: tuple[int, int], overlay: bool = True,
                  theme: str = "dark", action_names: Sequence[str] = (),
                  caption: str = "") -> np.ndarray:
    """One frame, (H, W, 3) uint8: the world with its pending actions, plus the Q panel."""
    from envs.render import RenderOptions
    from envs.render.overlay import draw_frame, to_rgb

    pending = None if snap.decision is None else np.asarray(snap.decision.actions)
    options = RenderOptions(actions=pending, theme=theme)
    data = overlay_data(snap, action_names, caption) if overlay else None
    return to_rgb(draw_frame(snap.frame, size, options, data))


def draw_card(episode: Episode, size: tuple[int, int], theme: str = "dark",
              caption: str = "") -> np.ndarray:
    """The title card before an episode: its title, its detail line, the run's caption."""
    from envs.render.overlay import title_card, to_rgb

    lines = [episode.title] + [line for line in (episode.detail, caption) if line]
    return to_rgb(title_card(lines, size, theme))


def timeline(episodes: Sequence[Episode], size: tuple[int, int], fps: float,
             overlay: bool = True, theme: str = "dark", action_names: Sequence[str] = (),
             caption: str = "") -> Iterator[tuple[np.ndarray, float]]:
    """(frame, seconds on screen) for every picture of the recording, in order: per episode
    its title card, then its steps, the last one held."""
    step = 1.0 / fps
    for episode in episodes:
        yield draw_card(episode, size, theme, caption), CARD_SECONDS
        label = " · ".join(p for p in (episode.title, caption) if p)
        for i, snap in enumerate(episode.steps):
            last = i == len(episode.steps) - 1
            yield (draw_snapshot(snap, size, overlay, theme, action_names, label),
                   step + (HOLD_SECONDS if last else 0.0))


def pictures(episodes: Sequence[Episode]) -> int:
    """Pictures in the timeline: a card and the steps of every episode."""
    return sum(1 + len(e.steps) for e in episodes)


def mp4_repeats(seconds: float, fps: float) -> int:
    """Frames an MP4 at `fps` shows a picture for to keep it `seconds` on screen."""
    return max(1, round(seconds * fps))


# ---------------------------------------------------------------------- writing
def write(path: str, frames: Iterable[tuple[np.ndarray, float]], fps: float,
          total: int | None = None, progress: Progress | None = None) -> int:
    """Write (frame, seconds) pairs to `path` (.gif or .mp4) atomically; the frame count in
    the file. One-line ValueError (CheckpointError) on an OS failure, no file left."""
    from qmix.checkpoint.atomic import write_atomically

    fmt = output_format(path)
    written = [0]

    def fill(tmp: str) -> None:
        try:
            written[0] = (_write_gif if fmt == "gif" else _write_mp4)(
                tmp, frames, fps, total, progress)
        except OSError as exc:
            raise _os_error(exc, tmp) from exc

    write_atomically(os.fspath(path), fill)
    return written[0]


def _os_error(exc: OSError, tmp: str) -> OSError:
    """ffmpeg reports a full disk as a broken pipe: name the real cause where it is one."""
    if exc.errno not in (errno.EPIPE, None, 0):
        return exc
    try:
        if shutil.disk_usage(os.path.dirname(os.path.abspath(tmp))).free < 1 << 20:
            return OSError(errno.ENOSPC, "No space left on device")
    except OSError:
        pass
    return OSError(exc.errno or errno.EIO, f"the encoder failed: {one_line(exc)}")


def _counted(frames: Iterable[tuple[np.ndarray, float]], total: int | None,
             progress: Progress | None) -> Iterator[tuple[np.ndarray, float]]:
    for done, item in enumerate(frames, 1):
        yield item
        if progress is not None:
            progress(done, total or done)


def _write_gif(tmp: str, frames: Iterable[tuple[np.ndarray, float]], fps: float,
               total: int | None, progress: Progress | None) -> int:
    import imageio.v3 as iio

    durations: list[float] = []  # ms, one per frame written
    with iio.imopen(tmp, "w", plugin="pillow", extension=".gif") as out:
        pending: np.ndarray | None = None  # the newest frame, handed over one frame late
        for frame, seconds in _counted(frames, total, progress):
            ms = seconds * 1000.0
            if pending is not None and np.array_equal(pending, frame):
                durations[-1] += ms  # what Pillow would do anyway; counted here, so known
                continue
            if pending is not None:
                out.write(pending, is_batch=False)  # incremental: one copy in memory
            pending = frame
            durations.append(ms)
        if pending is None:
            raise ValueError("nothing to record: no frames")
        # GIF delays are centiseconds: each rounded to 10 ms, at least 20 ms
        delays = [max(20, int(round(d / 10.0)) * 10) for d in durations]
        out.write(pending, is_batch=False, duration=delays, loop=0)
    return len(durations)


def _write_mp4(tmp: str, frames: Iterable[tuple[np.ndarray, float]], fps: float,
               total: int | None, progress: Progress | None) -> int:
    import imageio.v3 as iio

    count = [0]

    def repeated() -> Iterator[np.ndarray]:  # streamed: one picture in memory at a time
        for frame, seconds in _counted(frames, total, progress):
            if frame.shape[0] % 2 or frame.shape[1] % 2:
                raise ValueError(f"MP4 frames need an even size, got "
                                 f"{frame.shape[1]}x{frame.shape[0]}")
            for _ in range(mp4_repeats(seconds, fps)):
                count[0] += 1
                yield frame

    with iio.imopen(tmp, "w", plugin="FFMPEG", extension=".mp4", legacy_mode=True) as out:
        writer = out.legacy_get_writer(
            fps=fps, codec="libx264", pixelformat="yuv420p", macro_block_size=1, quality=8,
            ffmpeg_log_level="error", output_params=["-f", "mp4", "-movflags", "+faststart"])
        try:
            for frame in repeated():
                writer.append_data(frame)
        except BaseException:
            # imageio leaves the writer open on an error: stop ffmpeg before the temporary
            # file is removed (else it outlives the call and writes to a deleted file)
            try:
                writer.close()
            except Exception:  # noqa: BLE001 - the first error is the one to report
                pass
            raise
        writer.close()
    if count[0] == 0:
        raise ValueError("nothing to record: no frames")
    return count[0]


def record(path: str, episodes: Sequence[Episode], size: tuple[int, int] = DEFAULT_SIZE,
           fps: float = DEFAULT_FPS, overlay: bool = True, theme: str = "dark",
           action_names: Sequence[str] = (), caption: str = "",
           progress: Progress | None = None) -> Recording:
    """Draw and write `episodes` to `path` (.gif or .mp4)."""
    fmt = output_format(path)
    fps = check_fps(fps, fmt)
    size, note = frame_size(size, fmt)
    episodes = [e for e in episodes if e.steps]
    if not episodes:
        raise ValueError("nothing to record: no episode has a frame")
    total = pictures(episodes)
    frames = write(path, timeline(episodes, size, fps, overlay, theme, action_names, caption),
                   fps, total, progress)
    seconds = sum(CARD_SECONDS + len(e.steps) / fps + HOLD_SECONDS for e in episodes)
    return Recording(path=os.fspath(path), format=fmt, size=size, fps=fps,
                     episodes=len(episodes), frames=frames, seconds=seconds,
                     notes=[note] if note else [])


# ---------------------------------------------------------------------- episodes
class EpisodeCollector:
    """A `Trainer.watch_greedy` watcher: copy 0's snapshots, one list per episode, each
    ending at its terminal frame, which gets the decision that ended it (as stored replays
    have it)."""

    def __init__(self) -> None:
        self.episodes: list[list[Snapshot]] = []
        self._open = False

    def __call__(self, snap: Snapshot) -> None:
        if snap.t == 0 and snap.decision is not None:
            self.episodes.append([])
            self._open = True
        if not self._open:
            return  # copy 0 is over; the round's other copies still play
        steps = self.episodes[-1]
        if snap.decision is None:  # copy 0's terminal frame
            if steps:
                snap.last_decision = steps[-1].decision
                snap.last_inspection = steps[-1].inspection
            self._open = False
        steps.append(snap)


def greedy_episodes(trainer: "Trainer", count: int, seed: int) -> list[Episode]:
    """`count` fresh greedy episodes of `trainer`'s weights (the run untouched)."""
    collector = EpisodeCollector()
    returns = trainer.watch_greedy(count, seed, collector)
    cfg = trainer.config
    return [Episode(steps=steps, title=f"Greedy episode {i + 1} of {count}",
                    detail=f"return {ret:.3g} · {cfg.scenario} · {cfg.algo} · "
                           f"{trainer.env_steps} env steps")
            for i, (steps, ret) in enumerate(zip(collector.episodes, returns))]


def stored_episodes(path: str, count: int) -> list[Episode]:
    """The last `count` episodes stored in the file (qmix/replay.py), [] if it has none."""
    try:
        from qmix.replay import read_replays
    except ImportError:  # a version without stored episodes
        return []
    return replay_episodes(list(read_replays(path))[-count:])


def replay_episodes(replays: Iterable[Any]) -> list[Episode]:
    """Stored episodes (qmix/replay.py ReplayEpisode: kind, number, env_steps, steps) to
    record, copied."""
    import copy

    def title(r: Any) -> str:
        return (f"Greedy evaluation {r.number}" if r.kind == "eval" else
                f"Training episode {r.number}")

    return [Episode(steps=copy.deepcopy(list(r.steps)), title=title(r),
                    detail=f"return {float(r.episode_return):.3g} · at env step {r.env_steps}")
            for r in replays if len(r.steps)]


def trainer_episodes(trainer: "Trainer", kind: str, count: int, seed: int
                     ) -> tuple[list[Episode], list[str]]:
    """Episodes of a live run, and its action names: "greedy" = `count` fresh greedy ones
    (the run untouched), "last" = its newest `count` stored episodes ([] if it keeps none).
    Runs on the thread that owns `trainer`."""
    names = [str(n) for n in trainer.info.action_names]
    if kind == "greedy":
        return greedy_episodes(trainer, count, seed), names
    if kind == "last":
        return replay_episodes(list(getattr(trainer, "replays", None) or [])[-count:]), names
    raise ValueError(f"unknown kind of episodes {kind!r}; choose greedy or last")
