"""SIGKILL during saves: the checkpoint at the path is always the previous or the new run,
complete and loadable -- never half a file, never missing."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from qmix.checkpoint import load_into, read_checkpoint, save_checkpoint
from qmix.config import make_config
from qmix.trainer import Trainer

ROOT = Path(__file__).resolve().parents[2]
KILLS = 8
CAPACITY = 12_000

# The writer imports no TensorFlow (qmix.checkpoint needs only h5py and NumPy), so it starts
# in a fraction of a second; it saves the same path back to back, each save numbered.
WRITER = textwrap.dedent("""
    import sys
    from qmix.checkpoint import read_checkpoint, save_state
    source, path = sys.argv[1], sys.argv[2]
    state = read_checkpoint(source)
    state.pop("meta")
    print("ready", flush=True)
    number = 0
    while True:
        number += 1
        state["counters"]["episodes"] = number
        save_state(state, path)
        print("saved", number, flush=True)
""")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
def test_sigkill_during_saves_never_leaves_a_broken_checkpoint(tmp_path: Path) -> None:
    # A big state so that a save takes a while: a full buffer of incompressible episodes.
    trainer = Trainer(make_config("two_step", seed=0, buffer_size=CAPACITY))
    rng = np.random.default_rng(0)
    trainer.buffer.insert({k: (rng.random(v.shape) * 10).astype(v.dtype)
                           for k, v in trainer.buffer.data.items()})
    source = tmp_path / "source" / "run.h5"
    source.parent.mkdir()
    save_checkpoint(trainer, source, include_buffer=True)

    folder = tmp_path / "runs"
    folder.mkdir()
    path = folder / "run.h5"
    save_checkpoint(trainer, path, include_buffer=True)  # the earlier checkpoint: episodes 0
    started = time.perf_counter()
    save_checkpoint(trainer, path, include_buffer=True)
    save_s = time.perf_counter() - started
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    kill_rng = np.random.default_rng(1234)
    seen_numbers = set()
    for kill in range(KILLS):
        proc = subprocess.Popen([sys.executable, str(script), str(source), str(path)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                cwd=ROOT, text=True)
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
            if kill % 2:  # every other time, let one save complete first
                assert proc.stdout.readline().startswith("saved")
            time.sleep(float(kill_rng.uniform(0.0, 1.5 * save_s)))  # mostly inside a save
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            proc.stdout.close()
            proc.stderr.close()
        assert proc.returncode == -signal.SIGKILL, "the writer died of something else"

        state = read_checkpoint(path)  # every dataset's fletcher32 and SHA-256 verified
        seen_numbers.add(state["counters"]["episodes"])
        load_into(trainer, path)  # and it loads into a live run
        assert trainer.buffer.size == CAPACITY

    leftovers = [p.name for p in folder.iterdir() if p.name != "run.h5"]
    # Killed saves leave temporary files; their names can never be taken for the checkpoint.
    pattern = re.compile(r"^\.run\.h5\.tmp-\d+-[0-9a-f]+$")
    assert all(pattern.match(name) for name in leftovers), leftovers
    assert leftovers, "no kill landed inside a save; the test proved nothing"
    assert max(seen_numbers) >= 1  # the writer's saves did replace the file
