"""The race window (app/race.py): two runs of one scenario and seed with different
algorithms, each on its own worker thread; Step, Play/Pause and speed act on both; both
greedy-evaluation curves reach the one plot. Real trainers on two_step, step budgets only."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from studio_helpers import ENGINE_TIMEOUT_S, spin, wait_until

from app.race import RaceWindow, parse_race, rival
from app.worker import Phase
from qmix.config import make_config


def idle(race) -> bool:
    return all(lane.worker.is_idle() and lane.worker.phase is Phase.PAUSED
               for lane in race.lanes)


def test_parse_race_and_rival():
    assert parse_race("qmix, VDN") == ("qmix", "vdn")
    with pytest.raises(ValueError, match="two algorithms"):
        parse_race("qmix")
    with pytest.raises(ValueError, match="unknown algorithm 'qmx'"):
        parse_race("qmx,vdn")
    assert rival("qmix") == "vdn" and rival("vdn") == "qmix"


def test_two_runs_step_play_and_plot_together(qapp):
    config = make_config("two_step", seed=5, eval_interval=100, eval_episodes=2)
    race = RaceWindow(config, ("qmix", "vdn"))
    race.show()
    race.start()
    try:
        wait_until(lambda: all(lane.ready and lane.last_frame is not None
                               for lane in race.lanes), ENGINE_TIMEOUT_S, "both engines")
        wait_until(lambda: idle(race), 30, "both idle")
        a, b = (lane.worker.trainer for lane in race.lanes)
        assert a is not b and a.config.algo == "qmix" and b.config.algo == "vdn"
        assert a.config.seed == b.config.seed == 5 and a.config.scenario == b.config.scenario
        assert race.lanes[0].worker.thread() is not race.lanes[1].worker.thread()
        QTest.keyClick(race, Qt.Key_N)  # one env step of both
        wait_until(lambda: idle(race), 30, "the step")
        assert a.env_steps == b.env_steps == config.n_envs
        QTest.keyClick(race, Qt.Key_Minus)  # speed reaches both workers
        wait_until(lambda: all(lane.worker.steps_per_s == 500 for lane in race.lanes), 10,
                   "the speed")
        QTest.keyClick(race, Qt.Key_Plus)
        wait_until(lambda: all(lane.worker.steps_per_s is None for lane in race.lanes), 10,
                   "full speed")
        QTest.keyClick(race, Qt.Key_Space)  # play both until both have evaluated
        assert all(lane.worker.is_playing() for lane in race.lanes)
        wait_until(lambda: min(lane.eval.n for lane in race.lanes) >= 1, 120,
                   "an evaluation of each run")
        QTest.keyClick(race, Qt.Key_Space)  # pause both
        wait_until(lambda: idle(race), 30, "both paused")
        assert not any(lane.worker.is_playing() for lane in race.lanes)
        race.redraw()
        for lane, curve in zip(race.lanes, race.curves):
            x, y = curve.getData()
            assert len(x) == lane.eval.n >= 1
            assert list(y) == [v for _, v in lane.worker.trainer.history["eval_return"]]
        names = [item[1].text for item in race.plot.getPlotItem().legend.items]
        assert names == ["QMIX", "VDN"]
    finally:
        race.close()
        race.deleteLater()
        spin(0.05)


def test_race_on_the_command_line_refuses_a_bad_pair_in_one_line(capsys):
    from app.main import run_app

    assert run_app(["--race", "qmix,nope"]) == 2
    err = capsys.readouterr().err
    assert err == "error: --race: unknown algorithm 'nope' (choose from qmix, vdn, iql)\n"


def test_f4_races_this_run_against_its_rival(qapp, tmp_path, monkeypatch):
    from studio_helpers import bare_window, close_window

    import app.race

    calls = []
    monkeypatch.setattr(app.race, "open_race", lambda config, algos, theme: calls.append(
        (config.scenario, config.seed, algos, theme)) or None)
    window = bare_window(tmp_path, make_config("pursuit", algo="vdn", seed=7))
    try:
        window.show()
        window.activateWindow()
        assert QTest.qWaitForWindowActive(window)
        QTest.keyClick(window, Qt.Key_F4)
        assert calls == [("pursuit", 7, ("vdn", "qmix"), "dark")]
    finally:
        close_window(window)
