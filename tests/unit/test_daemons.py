"""frr.daemons.DaemonWatch with real processes standing in for FRR daemons (no FRR needed):
a symlink named `bgpd` to `sleep` gives a process whose argv[0] is `.../bgpd`, with a pid file
in a run directory, as FRR writes them."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from frrnode.frr.daemons import DaemonProcess, DaemonWatch, visible_process


class FakeFrr:
    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, daemon: str) -> int:
        binary = self.run_dir / "bin" / daemon
        binary.parent.mkdir(exist_ok=True)
        if not binary.exists():
            binary.symlink_to(shutil.which("sleep") or "/bin/sleep")
        proc = subprocess.Popen([str(binary), "600"])
        self.procs[daemon] = proc
        (self.run_dir / f"{daemon}.pid").write_text(f"{proc.pid}\n")
        return proc.pid

    def kill(self, daemon: str, reap: bool = True) -> None:
        proc = self.procs[daemon]
        proc.kill()
        if reap:
            proc.wait()
        else:  # left a zombie, as a daemonized FRR process is until PID 1 reaps it
            while _state(proc.pid) != "Z":
                time.sleep(0.01)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            proc.kill()
            proc.wait()


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


@pytest.fixture
def frr(tmp_path: Path) -> Iterator[FakeFrr]:
    fake = FakeFrr(tmp_path)
    try:
        yield fake
    finally:
        fake.stop_all()


def test_first_check_learns_then_deaths_and_restarts_are_reported(frr: FakeFrr) -> None:
    for d in ("zebra", "bgpd"):
        frr.start(d)
    watch = DaemonWatch(frr.run_dir, daemons=("zebra", "bgpd"))
    assert not watch.check()
    assert watch.down == ()
    assert not watch.check()  # nothing changed

    frr.kill("bgpd", reap=False)  # a zombie counts as dead
    events = watch.check()
    assert events.died == ("bgpd",) and events.restarted == ()
    assert watch.down == ("bgpd",)
    assert not watch.check()  # reported once

    pid = frr.start("bgpd")
    events = watch.check()
    assert events.restarted == ("bgpd",) and events.died == ()
    bgpd = watch.processes["bgpd"]
    assert bgpd is not None and bgpd.pid == pid


def test_restart_between_two_checks_is_seen(frr: FakeFrr) -> None:
    frr.start("bgpd")
    watch = DaemonWatch(frr.run_dir, daemons=("bgpd",))
    watch.check()
    frr.kill("bgpd")
    frr.start("bgpd")
    assert watch.check().restarted == ("bgpd",)


def test_stale_pid_file_of_a_reused_pid_is_not_the_daemon(frr: FakeFrr) -> None:
    frr.start("zebra")
    frr.start("bgpd")
    frr.kill("bgpd")
    # bgpd's stale pid file now names a live process that is not bgpd (this test process).
    (frr.run_dir / "bgpd.pid").write_text(f"{os.getpid()}\n")
    assert visible_process(os.getpid(), "bgpd") is None
    watch = DaemonWatch(frr.run_dir, daemons=("zebra", "bgpd"))
    watch.check()
    assert watch.down == ("bgpd",)


def test_without_visible_processes_liveness_comes_from_vtysh(tmp_path: Path) -> None:
    """FRR in another PID namespace: /proc does not show its PIDs; `alive` (show daemons) says
    which run and the pid file's (pid, mtime) is the identity."""
    answering = {"zebra", "bgpd"}
    for d, pid in (("zebra", 999_999_001), ("bgpd", 999_999_002)):
        (tmp_path / f"{d}.pid").write_text(f"{pid}\n")
    watch = DaemonWatch(tmp_path, daemons=("zebra", "bgpd"), alive=lambda: answering)
    watch.alive_interval = 0.0
    watch.check()
    assert watch.down == ()
    answering.discard("bgpd")
    assert watch.check().died == ("bgpd",)
    answering.add("bgpd")
    (tmp_path / "bgpd.pid").write_text("999999003\n")
    assert watch.check().restarted == ("bgpd",)
    assert watch.processes["bgpd"] == DaemonProcess(999_999_003, (tmp_path / "bgpd.pid").stat().st_mtime_ns)

    def unreachable() -> set[str]:
        raise OSError("vtysh: failed to connect to any daemons")

    watch.alive = unreachable
    assert set(watch.check().died) == {"zebra", "bgpd"}


def test_without_visible_processes_vtysh_is_not_asked_every_second(tmp_path: Path) -> None:
    asked: list[int] = []

    def alive() -> set[str]:
        asked.append(1)
        return {"bgpd"}

    (tmp_path / "bgpd.pid").write_text("999999001\n")
    watch = DaemonWatch(tmp_path, daemons=("bgpd",), alive=alive)
    for _ in range(5):
        watch.check()
    assert len(asked) == 1
    (tmp_path / "bgpd.pid").write_text("999999002\n")  # a new pid file: asked again at once
    assert watch.check().restarted == ("bgpd",) and len(asked) == 2
