"""Fixtures for the GUI tests: a real MainWindow driving the real Trainer on `two_step`.

Building TensorFlow and the first compiled update takes seconds, so one window is shared by
the tests of a module (`studio`); tests that need a fresh run press Reset themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from studio_helpers import close_window, make_window, wait_idle


@pytest.fixture(scope="module")
def studio(qapp: Any, tmp_path_factory: Any) -> Iterator[Any]:
    window = make_window(tmp_path_factory.mktemp("studio"))
    yield window
    close_window(window)


@pytest.fixture
def paused(studio: Any) -> Any:
    """The shared window, paused and idle, with banners dismissed."""
    studio.pause()
    wait_idle(studio)
    studio.banner.hide()
    return studio
