"""The dependency direction is app -> qmix -> envs, never reversed: qmix and envs import and
run without Qt (on a machine with no display), and envs without TensorFlow; the app's plain
Python rules (pacing, commands, a study folder) need neither Qt, TensorFlow nor pygame. Each check runs in
a fresh interpreter in which the forbidden packages cannot be imported at all."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PROBE = textwrap.dedent("""
    import importlib, pkgutil, sys

    BLOCKED = {blocked!r}

    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{{name}} is blocked in this test")
            return None

    sys.meta_path.insert(0, Block())
    for package in {packages!r}:
        pkg = importlib.import_module(package)
        for info in pkgutil.walk_packages(getattr(pkg, "__path__", []), package + "."):
            if info.name.endswith("__main__"):
                continue
            importlib.import_module(info.name)
    leaked = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    assert not leaked, leaked
    print("ok")
""")


@pytest.mark.parametrize("packages, blocked", [
    (["qmix", "envs"], ["PySide6", "app", "pyqtgraph"]),
    (["envs"], ["tensorflow", "keras", "PySide6", "app", "qmix"]),
    (["app.pacing", "app.commands", "app.study"], ["PySide6", "tensorflow", "pygame",
                                                    "pyqtgraph"]),
])
def test_packages_import_without_the_layers_above_them(packages, blocked):
    code = PROBE.format(packages=packages, blocked=blocked)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "QT_QPA_PLATFORM": ""}
    env.pop("DISPLAY", None)
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=env)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), proc.stderr[-2000:]
