"""The GUI -> worker channel (app/commands.py), plain Python: Play and Pause act on the flags
at once (that bounds Pause latency), every command is counted until it is carried out."""

from __future__ import annotations

import threading
import time

from app.commands import NEEDS_A_RUN, Command, CommandChannel, Frame


def test_pause_clears_the_flag_at_once_and_wakes_sleepers():
    ch = CommandChannel()
    ch.play()
    assert ch.playing.is_set() and not ch.interrupt.is_set()
    woke = []
    sleeper = threading.Thread(target=lambda: (ch.wait(5.0), woke.append(time.perf_counter())))
    sleeper.start()
    time.sleep(0.05)
    asked = time.perf_counter()
    ch.pause()
    sleeper.join(2)
    assert woke and woke[0] - asked < 0.5  # woken, not after 5 s
    assert not ch.playing.is_set() and ch.interrupt.is_set()
    assert ch.next(0) == (Command.PLAY, None) and ch.next(0) == (Command.PAUSE, None)


def test_idle_means_every_command_carried_out_and_not_playing():
    ch = CommandChannel()
    assert ch.is_idle()
    ch.send(Command.STEP_ENV)
    ch.send(Command.SAVE, ("run.h5", False))
    assert not ch.is_idle()
    assert ch.next(0) == (Command.STEP_ENV, None)
    ch.finished()
    assert ch.next(0.01) == (Command.SAVE, ("run.h5", False))
    ch.finished()
    assert ch.is_idle() and ch.empty() and ch.next(0.01) is None
    ch.play()
    ch.next(0)
    ch.finished()
    assert not ch.is_idle()  # playing


def test_quit_stops_everything():
    ch = CommandChannel()
    ch.play()
    ch.quit()
    assert ch.quitting.is_set() and not ch.playing.is_set() and ch.interrupt.is_set()


def test_the_commands_that_need_a_run():
    assert NEEDS_A_RUN == {Command.STEP_ENV, Command.STEP_EPISODE, Command.STEP_UPDATE,
                           Command.EVALUATE, Command.SAVE, Command.TAKE_OVER,
                           Command.HUMAN_OPTIONS, Command.HUMAN_ACTION, Command.WHATIF_MOVE,
                           Command.WHATIF_UNDO, Command.WHATIF_END, Command.EDITOR_APPLY,
                           Command.VIEWS}


def test_a_frame_is_plain_data():
    frame = Frame(snapshot=None, points={"loss": [(8, 0.5)]}, curves_reset=True, env_steps=8,
                  episodes=1, updates=1, running=False)
    assert frame.emitted_at > 0 and frame.points["loss"] == [(8, 0.5)]
