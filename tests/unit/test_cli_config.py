"""`frrnode validate` and `frrnode render` through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from pl_helpers import config, dump, neighbor, node, router, secret
from typer.testing import CliRunner

from frrnode.cli import app

runner = CliRunner()
CASES = Path(__file__).resolve().parents[3] / "shared" / "compat" / "cases"  # ../shared beside the checkout


def write(tmp_path: Path, name: str, *docs: dict[str, object]) -> Path:
    path = tmp_path / name
    path.write_text(dump(*docs))
    return path


def test_validate_ok(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", config("a", router(neighbor())), node("n1"))
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    # The summary is the command's output (stdout); problems and remarks go to stderr.
    assert result.stdout.strip() == "valid: 1 FRRConfiguration(s), 1 Node(s)"


def test_validate_reports_every_error_and_fails(tmp_path: Path) -> None:
    write(
        tmp_path, "a.yaml", config("a", router(neighbor(address="bad"))), config("b", router(prefixes=["x"]))
    )
    write(
        tmp_path, "b.yaml", config("c", router(neighbor(asn=65009))), config("d", router(neighbor(asn=65010)))
    )
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    err = " ".join(result.stderr.split())  # undo terminal wrapping
    assert "a.yaml#0 FRRConfiguration/frr-k8s-system/a spec.bgp.routers[0].neighbors[0].address:" in err
    assert "a.yaml#1 FRRConfiguration/frr-k8s-system/b spec.bgp.routers[0].prefixes[0]:" in err
    assert (
        "conflict between FRRConfiguration/frr-k8s-system/c spec.bgp.routers[0].neighbors[0].asn and "
        "FRRConfiguration/frr-k8s-system/d spec.bgp.routers[0].neighbors[0].asn" in err
    )
    assert f"(in {tmp_path / 'b.yaml'}#0 and {tmp_path / 'b.yaml'}#1)" in err
    assert "invalid: 3 problem(s)" in result.stdout and "invalid" not in err


def test_validate_schema_error(tmp_path: Path) -> None:
    doc = config("a", router(), selector={"labelSelector": {"foo": "bar"}})
    result = runner.invoke(app, ["validate", str(write(tmp_path, "a.yaml", doc))])
    assert result.exit_code == 1
    assert "spec.nodeSelector.labelSelector: unknown field" in " ".join(result.stderr.split())


def test_validate_missing_secret_is_pending_not_failing(tmp_path: Path) -> None:
    doc = config("a", router(neighbor(passwordSecret={"name": "s"})))
    result = runner.invoke(app, ["validate", str(write(tmp_path, "a.yaml", doc))])
    assert result.exit_code == 0, result.stderr
    assert "pending" in result.stderr and "secret s not found" in result.stderr


def test_validate_missing_path() -> None:
    assert runner.invoke(app, ["validate", "/nonexistent/frrnode"]).exit_code != 0


def test_render_prints_config(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.yaml",
        config("a", router(neighbor(passwordSecret={"name": "s"}), prefixes=["10.1.0.0/16"])),
        config("zoned", router(neighbor(address="10.0.0.7")), selector={"matchLabels": {"zone": "b"}}),
        secret("s", "pw"),
    )
    result = runner.invoke(
        app, ["render", str(path), "--node", "n1", "--hostname", "h1", "--always-block", "10.96.0.0/12"]
    )
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "hostname h1" in out and "router bgp 65000" in out
    assert "neighbor 192.168.1.2 password pw" in out
    assert "10.96.0.0/12" in out
    assert "10.0.0.7" not in out
    result = runner.invoke(app, ["render", str(path), "--node", "n1", "--node-label", "zone=b"])
    assert result.exit_code == 0 and "10.0.0.7" in result.stdout


def test_render_log_level_and_no_ipv4() -> None:
    path = CASES / "TestSingleSessionIPv6OnlyNode" / "input.yaml"
    result = runner.invoke(
        app,
        [
            "render",
            str(path),
            "--node",
            "n",
            "--hostname",
            "dummyhostname",
            "--no-ipv4",
            "--log-level",
            "debug",
        ],
    )
    assert result.exit_code == 0, result.stderr
    assert "bgp router-id 167.62.253.30" in result.stdout
    assert "log stdout debugging" in result.stdout


def test_render_refuses_invalid(tmp_path: Path) -> None:
    path = write(
        tmp_path, "a.yaml", config("a", router(neighbor(asn=1))), config("b", router(neighbor(asn=2)))
    )
    result = runner.invoke(app, ["render", str(path), "--node", "n1"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "multiple asns specified for 192.168.1.2" in result.stderr


def test_render_bad_label_option(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", config("a", router()))
    result = runner.invoke(app, ["render", str(path), "--node", "n1", "--node-label", "novalue"])
    assert result.exit_code == 2


def test_validate_warns_about_disable_mp(tmp_path: Path) -> None:
    doc = config("a", router(neighbor(disableMP=True)))
    result = runner.invoke(app, ["validate", str(write(tmp_path, "a.yaml", doc))])
    assert result.exit_code == 0
    assert "warning" in result.stderr and "disableMP is deprecated" in result.stderr


def test_render_prints_raw_config_verbatim(tmp_path: Path) -> None:
    raw = "! keep [bold]this[/bold] :thumbs_up: " + "x" * 200 + "\n"
    path = write(tmp_path, "a.yaml", config("a", router(), raw={"rawConfig": raw}))
    result = runner.invoke(app, ["render", str(path), "--node", "n1"])
    assert result.exit_code == 0
    assert result.stdout.endswith(raw)


def test_render_reads_as_the_nodes_agent(tmp_path: Path) -> None:
    """An invalid object for another node is not this node's problem (`validate` reports it);
    one selecting the node, a YAML error anywhere, or a duplicate anywhere is."""
    on_n1 = {"matchLabels": {"kubernetes.io/hostname": "n1"}}
    on_n2 = {"matchLabels": {"kubernetes.io/hostname": "n2"}}
    write(tmp_path, "mine.yaml", config("mine", router(neighbor()), selector=on_n1))
    write(tmp_path, "other.yaml", config("other", router(neighbor(typo=1)), selector=on_n2))
    result = runner.invoke(app, ["render", str(tmp_path), "--node", "n1"])
    assert result.exit_code == 0, result.stderr
    assert "neighbor 192.168.1.2 remote-as 65001" in result.stdout
    result = runner.invoke(app, ["render", str(tmp_path), "--node", "n2"])
    assert result.exit_code == 1
    assert "FRRConfiguration/frr-k8s-system/other spec.bgp.routers[0].neighbors[0].typo" in result.stderr
    assert runner.invoke(app, ["validate", str(tmp_path)]).exit_code == 1

    write(tmp_path, "dup.yaml", config("other", router(), selector=on_n2))
    result = runner.invoke(app, ["render", str(tmp_path), "--node", "n1"])
    assert result.exit_code == 1 and "duplicate object" in result.stderr
    (tmp_path / "dup.yaml").write_text("a: [\n")
    result = runner.invoke(app, ["render", str(tmp_path), "--node", "n1"])
    assert result.exit_code == 1 and "invalid YAML" in result.stderr


def test_validate_json(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.yaml",
        config("a", router(neighbor(address="bad"))),
        config("c", router(neighbor(asn=65009))),
    )
    write(tmp_path, "b.yaml", config("d", router(neighbor(asn=65010))))
    result = runner.invoke(app, ["validate", "--json", str(tmp_path)])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["valid"] is False and doc["configurations"] == 3
    by_kind = {e["kind"]: e for e in doc["errors"]}
    bad = by_kind["error"]
    assert bad["object"] == "FRRConfiguration/frr-k8s-system/a"
    assert bad["path"] == "spec.bgp.routers[0].neighbors[0].address"
    assert bad["file"] == str(tmp_path / "a.yaml") and bad["document"] == 0
    conflict = by_kind["conflict"]
    assert conflict["object"] == "FRRConfiguration/frr-k8s-system/c"
    assert conflict["otherObject"] == "FRRConfiguration/frr-k8s-system/d"
    assert conflict["otherFile"] == str(tmp_path / "b.yaml")
    ok = runner.invoke(app, ["validate", "--json", str(tmp_path / "b.yaml")])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["valid"] is True
