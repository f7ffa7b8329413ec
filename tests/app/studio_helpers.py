"""Helpers for the GUI tests: spin the Qt event loop, wait for the worker, build windows."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

ENGINE_TIMEOUT_S = 90.0


def spin(seconds: float) -> None:
    """Run the Qt event loop for `seconds`."""
    app = QApplication.instance()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.002)


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0, what: str = "") -> None:
    app = QApplication.instance()
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        app.processEvents()
        if predicate():
            return
        time.sleep(0.002)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")


def wait_idle(window: Any, timeout: float = 20.0) -> None:
    """Until the worker has drained its command queue and is not playing."""
    from app.worker import Phase

    worker = window.controller.worker

    def idle() -> bool:
        return worker.is_idle() and worker.phase in (Phase.PAUSED, Phase.ERROR)

    wait_until(idle, timeout, "the worker to go idle")
    spin(0.05)  # let the last queued frame reach the GUI


def trainer(window: Any) -> Any:
    """The window's Trainer (the worker is idle whenever a test reads it)."""
    return window.controller.worker.trainer


def wait_new_run(window: Any, old: Any) -> None:
    """Until a run other than `old` is up, drawn and idle."""
    wait_until(lambda: trainer(window) is not old and window.info is not None
               and window.last_frame is not None and window.controller.engine_ready, 90,
               "the new run")
    wait_idle(window)


def bare_window(tmp_path: Any, config: Any = None, **kwargs: Any) -> Any:
    """A MainWindow whose engine is never started (no TensorFlow): layout, actions, files."""
    from app.window import MainWindow
    from qmix.config import make_config

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    window = MainWindow(config or make_config("two_step"), settings=settings, **kwargs)
    window.session.confirm = False
    return window


def make_window(tmp_path: Any, config: Any = None, trainer_factory: Any = None,
                **kwargs: Any) -> Any:
    """A shown MainWindow whose engine is up (more MainWindow arguments in `kwargs`)."""
    from app.window import MainWindow
    from qmix.config import make_config

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    window = MainWindow(config or make_config("two_step"), trainer_factory=trainer_factory,
                        settings=settings, **kwargs)
    window.session.confirm = False
    window.resize(1400, 900)
    window.show()
    window.start_engine()
    wait_until(lambda: window.info is not None and window.last_frame is not None,
               ENGINE_TIMEOUT_S, "the engine to start")
    return window


def close_window(window: Any) -> None:
    window.session.confirm = False
    window.close()
    window.deleteLater()
    spin(0.05)




def cell_point(window: Any, cell: tuple[int, int]) -> Any:
    """The picture widget's position of the centre of grid `cell` (row, col), as the view
    draws it now (its size and label sizes): where a person clicks or drops on that cell."""
    from PySide6.QtCore import QPoint

    from app import scene

    view = window.view
    ratio = view.devicePixelRatioF()
    w, h = int(view._image_rect.width() * ratio), int(view._image_rect.height() * ratio)
    x, y = scene.cell_origin(view.frame, cell, w, h, *view.label_size())
    half = scene.cell_size(view.frame, w, h, *view.label_size()) / 2
    return QPoint(int(view._image_rect.left() + (x + half) / ratio),
                  int(view._image_rect.top() + (y + half) / ratio))
