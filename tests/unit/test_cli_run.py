"""`frrnode run` and the global options: bad flags end with a clear message and an exit code,
never a traceback (issue 9, defect 10 and 11)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from frrnode import __version__
from frrnode.cli import app

runner = CliRunner()


def _run(tmp_path: Path, *extra: str) -> list[str]:
    (tmp_path / "manifests").mkdir(exist_ok=True)
    return [
        "run",
        "--config-dir", str(tmp_path / "manifests"),
        "--node", "n1",
        "--frr-pathspace", "frrnode-unit-none",
        "--status-dir", str(tmp_path / "status"),
        "--workdir", str(tmp_path / "work"),
        *extra,
    ]  # fmt: skip


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"frrnode {__version__}"


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("localhost", "expected HOST:PORT"),
        ("127.0.0.1:99999", "out of range"),
        ("::1:80", "brackets"),
    ],
)
def test_bad_metrics_address_is_a_usage_error(tmp_path: Path, address: str, message: str) -> None:
    result = runner.invoke(app, _run(tmp_path, "--metrics-address", address))
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_metrics_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, _run(tmp_path, "--metrics-address", f"127.0.0.1:{port}"))
    assert result.exit_code == 1, result.output
    assert f"cannot serve metrics on 127.0.0.1:{port}: Address already in use" in result.stderr
    assert isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("command", ["run", "render", "webhook"])
def test_unknown_log_level_is_refused(tmp_path: Path, command: str) -> None:
    args = {
        "run": _run(tmp_path),
        "render": ["render", str(tmp_path), "--node", "n1"],
        "webhook": ["webhook", "--kubeconfig", str(tmp_path / "none")],
    }[command]
    result = runner.invoke(app, [*args, "--log-level", "verbose"])
    assert result.exit_code == 2, result.output
    err = " ".join(result.stderr.split())
    assert "'verbose' is not a log level" in err and "all, debug, info, warn, error, none" in err


def test_always_block_takes_upstreams_comma_separated_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--always-block=A,B` (upstream's flag) is two CIDRs for run as for render, not one bad one."""
    from frrnode.cli import run as run_module
    from frrnode.pipeline import Settings

    seen: list[Settings] = []

    def build_agent(config_dir: Path, settings: Settings, *args: object, **kwargs: object) -> object:
        seen.append(settings)
        raise OSError("stop here")

    monkeypatch.setattr(run_module, "build_agent", build_agent)
    args = _run(tmp_path, "--always-block", "10.96.0.0/12, fd00::/48", "--always-block", "10.244.0.0/16")
    runner.invoke(app, args)
    assert [s.always_block for s in seen] == [("10.96.0.0/12", "fd00::/48", "10.244.0.0/16")]
