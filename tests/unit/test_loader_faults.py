"""The loader against hostile or unusual input (issue 9): kubelet volume layouts, the namespace
rule shared by `validate` and the agent, limits, messages that name the file and cannot forge
log lines, and errors that never hide each other."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pl_helpers import config, dump, neighbor, node, router
from typer.testing import CliRunner

from frrnode.api.loader import Limits, load_documents, load_paths, load_paths_partial, manifest_files
from frrnode.cli import app
from frrnode.errors import ConfigErrors
from frrnode.model import ObjectRef

NS = "frr-k8s-system"
runner = CliRunner()


def configmap_volume(
    root: Path, files: dict[str, str], stamp: str = "..2024_01_01_00_00_00.000000001"
) -> None:
    """The layout kubelet gives a ConfigMap (or Secret) volume: the data in a hidden timestamped
    directory, `..data` pointing to it, and one visible symlink per key through `..data`."""
    root.mkdir(parents=True, exist_ok=True)
    (root / stamp).mkdir()
    for name, text in files.items():
        (root / stamp / name).write_text(text)
    (root / "..data").symlink_to(stamp)
    for name in files:
        (root / name).symlink_to(Path("..data") / name)


def configmap_update(root: Path, files: dict[str, str], stamp: str) -> None:
    """kubelet's atomic update: a new timestamped directory, `..data_tmp` -> it, renamed over
    `..data` (one rename), visible symlinks for new keys, then the old directory removed."""
    old = os.readlink(root / "..data")
    (root / stamp).mkdir()
    for name, text in files.items():
        (root / stamp / name).write_text(text)
    (root / "..data_tmp").symlink_to(stamp)
    os.rename(root / "..data_tmp", root / "..data")
    for name in files:
        if not (root / name).is_symlink():
            (root / name).symlink_to(Path("..data") / name)
    for leftover in (root / old).iterdir():
        leftover.unlink()
    (root / old).rmdir()


def test_configmap_volume_loads_each_object_once(tmp_path: Path) -> None:
    configmap_volume(
        tmp_path / "cm",
        {"a.yaml": dump(config("a", router(neighbor()))), "b.yaml": dump(node("n1"))},
    )
    res = load_paths([tmp_path / "cm"])
    assert [c.metadata.name for c in res.configurations] == ["a"]
    assert [n.name for n in res.nodes] == ["n1"]
    # Read through the visible names, never the hidden copies.
    assert manifest_files([tmp_path / "cm"]) == [tmp_path / "cm" / "a.yaml", tmp_path / "cm" / "b.yaml"]


def test_configmap_atomic_swap_is_read(tmp_path: Path) -> None:
    root = tmp_path / "cm"
    configmap_volume(root, {"a.yaml": dump(config("a", router(neighbor(asn=65001))))})
    configmap_update(
        root,
        {"a.yaml": dump(config("a", router(neighbor(asn=65002)))), "c.yaml": dump(config("c", router()))},
        "..2024_01_01_00_01_00.000000002",
    )
    res = load_paths([root])
    assert sorted(c.metadata.name for c in res.configurations) == ["a", "c"]
    asn = next(c for c in res.configurations if c.metadata.name == "a").spec.bgp.routers[0].neighbors[0].asn
    assert asn == 65002


def test_hidden_entries_are_skipped_and_symlinked_directories_followed(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.yaml").write_text(dump(config("x", router())))
    root = tmp_path / "dir"
    root.mkdir()
    (root / ".a.yaml.swp").write_text("garbage: [")
    (root / ".hidden").mkdir()
    (root / ".hidden" / "h.yaml").write_text(dump(config("h", router())))
    (root / "linked").symlink_to(elsewhere)
    (root / "loop").symlink_to(root)  # a symlink loop must not hang or duplicate
    res = load_paths([root])
    assert [c.metadata.name for c in res.configurations] == ["x"]


def test_same_object_with_and_without_namespace_is_one_object(tmp_path: Path) -> None:
    doc = config("a", router(neighbor()))
    bare = {**doc, "metadata": {"name": "a"}}
    (tmp_path / "a.yaml").write_text(dump(doc))
    (tmp_path / "b.yaml").write_text(dump(bare))
    with pytest.raises(ConfigErrors) as exc:
        load_paths([tmp_path], default_namespace=NS)
    [error] = exc.value.errors
    assert "duplicate object" in error.message and error.obj == ObjectRef("FRRConfiguration", NS, "a")


def test_yaml_errors_name_the_file_not_a_stream() -> None:
    with pytest.raises(ConfigErrors) as exc:
        load_documents("a: [\n", "dir/x.yaml")
    text = str(exc.value.errors[0])
    assert "<unicode string>" not in text and "\n" not in text
    assert text.startswith("dir/x.yaml#0: invalid YAML (line 2, column 1)")


def test_user_strings_cannot_forge_log_lines() -> None:
    forged = "x\n2024-01-01 00:00:00 INFO frrnode: applied the configuration"
    docs = [
        {"apiVersion": "v1", "kind": forged, "metadata": {"name": "a"}},
        {"apiVersion": "frrk8s.metallb.io/v1beta1", "kind": "FRRConfiguration", "metadata": {"name": forged}},
    ]
    with pytest.raises(ConfigErrors) as exc:
        load_documents(dump(*docs), "f\n.yaml")
    [error] = exc.value.errors
    assert "\n" not in str(error) and "\\n" in str(error)
    res = load_documents(dump(docs[0]), "f.yaml")
    assert len(res.notes) == 1 and "\n" not in res.notes[0] and "\\n2024" in res.notes[0]


def test_objects_of_another_namespace_get_a_note() -> None:
    res = load_documents(dump(config("a", router(), ns="other")), "f.yaml", default_namespace=NS)
    assert res.configurations  # still validated (like the webhook), but the agent will not use it
    assert any("FRRConfiguration/other/a" in n and NS in n for n in res.notes)


def test_file_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(dump(config("a", router())) + "#" * 2000 + "\n")
    with pytest.raises(ConfigErrors) as exc:
        load_paths([tmp_path], limits=Limits(max_file_bytes=1024))
    [error] = exc.value.errors
    assert error.location.file == str(path)
    assert "1024" in error.message and "FRRNODE_MAX_FILE_BYTES" in error.message


def test_document_count_limit(tmp_path: Path) -> None:
    path = tmp_path / "many.yaml"
    path.write_text(dump(*[config(f"c{i}", router()) for i in range(5)]))
    with pytest.raises(ConfigErrors) as exc:
        load_paths([path], limits=Limits(max_documents=3))
    [error] = exc.value.errors
    assert error.location.file == str(path) and "FRRNODE_MAX_DOCUMENTS" in error.message
    assert load_paths([path], limits=Limits(max_documents=5)).configurations


def test_limits_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRRNODE_MAX_FILE_BYTES", "2048")
    monkeypatch.setenv("FRRNODE_MAX_DOCUMENTS", "7")
    assert Limits.from_env() == Limits(max_file_bytes=2048, max_documents=7)


def test_partial_load_keeps_the_valid_objects_of_other_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(dump(config("a", router(neighbor(typo=1)))))
    (tmp_path / "b.yaml").write_text(dump(config("b", router(neighbor()))))
    res, errors = load_paths_partial([tmp_path])
    assert [c.metadata.name for c in res.configurations] == ["b"]
    assert [e.path for e in errors] == ["spec.bgp.routers[0].neighbors[0].typo"]


def test_validate_reports_schema_and_rule_errors_of_other_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(dump(config("a", router(neighbor(typo=1)))))
    (tmp_path / "b.yaml").write_text(dump(config("b", router(neighbor(address="bad")))))
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    err = " ".join(result.stderr.split())
    assert "FRRConfiguration/frr-k8s-system/a spec.bgp.routers[0].neighbors[0].typo: unknown field" in err
    assert "FRRConfiguration/frr-k8s-system/b spec.bgp.routers[0].neighbors[0].address:" in err
    assert "invalid: 2 problem(s)" in result.stdout


def test_an_unknown_field_is_named_whatever_its_key() -> None:
    # Found by fuzzing: a comment line that lost its `#` became a key pydantic's path drops.
    text = "What this file does: announce.\n" + dump(config("a", router()))
    with pytest.raises(ConfigErrors) as exc:
        load_documents(text, "f.yaml")
    [error] = exc.value.errors
    assert error.message == "unknown field" and error.path == "['What this file does']"


def test_alias_bombs_are_refused_quickly() -> None:
    # 9 levels of 10 aliases: a few hundred bytes that would expand to 10^9 nodes.
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    text = "apiVersion: v1\nkind: Node\nmetadata: {name: n}\nspec:\n" + "\n".join("  " + ln for ln in lines)
    with pytest.raises(ConfigErrors) as exc:
        load_documents(text, "bomb.yaml")
    [error] = exc.value.errors
    assert error.location.file == "bomb.yaml" and "aliases" in error.message
