"""End to end: the command line as an operator uses it (issue #3).

`frrnode run` runs as its own process against the lab node's FRR, with the examples/ as its
manifest directory; `frrnode validate` and `frrnode render` run on the examples/.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from agent_harness import bgp_table, frrconfig, kernel_routes, lab_session, wait_until

from frrnode.lab.topology import LabTopology

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FRRNODE = [sys.executable, "-m", "frrnode"]

INVALID = frrconfig(
    "broken",
    """
    bgp:
      routers:
      - asn: 64512
        neighbors:
        - address: 172.30.0.2
          asn: 64513
          toRecieve: {}
    """,
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def http_status(url: str) -> int | None:
    """The HTTP status of GET `url`, None while nothing listens."""
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            code: int = resp.status
            return code
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


@pytest.fixture(scope="module")
def topo() -> Iterator[LabTopology]:
    yield from lab_session("cl")


@pytest.mark.lab
def test_run_applies_examples_reports_ready_survives_bad_input_and_stops_on_sigterm(
    topo: LabTopology, tmp_path: Path
) -> None:
    """Acceptance: `frrnode run` applies the examples (kernel gets 10.100.0.0/24), /readyz turns
    200, an invalid manifest is logged and refused while the agent keeps running, and SIGTERM
    stops it with exit code 0."""
    node = topo.node
    config_dir = tmp_path / "manifests"
    shutil.copytree(EXAMPLES, config_dir)
    status_dir = tmp_path / "status"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "agent.log"
    cmd = [
        *FRRNODE,
        "run",
        "--config-dir", str(config_dir),
        "--node", "node-a",
        "--frr-pathspace", node.pathspace,
        "--frr-netns", node.namespace,
        "--status-dir", str(status_dir),
        "--metrics-address", f"127.0.0.1:{port}",
        "--workdir", str(tmp_path / "work"),
        "--poll-interval", "1",
    ]  # fmt: skip
    with log_path.open("w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:

        def log_text() -> str:
            return log_path.read_text()

        def alive() -> bool:
            assert proc.poll() is None, f"the agent exited with {proc.returncode}:\n{log_text()}"
            return True

        wait_until(lambda: alive() and http_status(f"{base}/readyz") == 200, what="/readyz 200")
        wait_until(lambda: "10.100.0.0/24" in kernel_routes(node), what="10.100.0.0/24 in the node kernel")
        wait_until(lambda: "192.0.2.10/32" in bgp_table(topo.router("r1")), what="192.0.2.10/32 on r1")
        assert "10.100.1.0/24" not in kernel_routes(node)
        assert http_status(f"{base}/livez") == 200
        state_file = status_dir / "frrnodestate-node-a.yaml"
        # The status is written by the poll that follows the apply (the file may exist from an
        # earlier poll, before the first conversion).
        wait_until(
            lambda: (
                state_file.exists()
                and yaml.safe_load(state_file.read_text())["status"]["lastConversionResult"] == "success"
            ),
            what="lastConversionResult: success in the FRRNodeState file",
        )

        # An invalid manifest: logged, refused, and the agent keeps running on the last good config.
        (config_dir / "broken.yaml").write_text(INVALID)
        wait_until(lambda: "broken.yaml" in log_text(), what="the error in the log")
        line = next(x for x in log_text().splitlines() if "broken.yaml" in x)
        assert "ERROR" in line and "toRecieve" in line, line
        wait_until(
            lambda: "broken.yaml" in yaml.safe_load(state_file.read_text())["status"]["lastConversionResult"],
            what="the error in the status file",
        )
        assert alive()
        assert http_status(f"{base}/readyz") == 200
        assert http_status(f"{base}/livez") == 200
        assert "10.100.0.0/24" in kernel_routes(node)

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0, log_text()
        assert "stopped" in log_text()
        assert http_status(f"{base}/readyz") is None  # the HTTP server went with it
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def test_validate_examples() -> None:
    proc = subprocess.run(
        [*FRRNODE, "validate", str(EXAMPLES)], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_validate_invalid_manifest_fails(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "m")
    (tmp_path / "m" / "broken.yaml").write_text(INVALID)
    proc = subprocess.run(
        [*FRRNODE, "validate", str(tmp_path / "m")], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode != 0
    assert "broken.yaml" in proc.stdout + proc.stderr


def test_render_examples_for_node_a() -> None:
    proc = subprocess.run(
        [*FRRNODE, "render", str(EXAMPLES), "--node", "node-a"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "route-map 172.30.0.2-in" in out
    assert "ip prefix-list 172.30.0.2-inpl-ipv4 seq 1 permit 10.100.0.0/24" in out
    assert "network 192.0.2.10/32" in out
