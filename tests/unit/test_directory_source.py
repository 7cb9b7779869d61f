"""The directory source against the faults of issue 9 (real inotify, real files, no FRR):
kubelet volumes, a missing/deleted/recreated/replaced directory, slow in-place writes, bursts,
and the parse cache of issue 10 (a touch or a resync parses nothing)."""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

import pytest
from pl_helpers import config, dump, neighbor, node, router
from source_helpers import RunningSource, asns, names, write_atomic
from test_loader_faults import configmap_update, configmap_volume
from typer.testing import CliRunner

from frrnode.agent.reconcile import Reconciler
from frrnode.agent.sources import DirectorySource, Snapshot
from frrnode.cli import app
from frrnode.frr.reload import ApplyResult
from frrnode.pipeline import Settings

NS = "frr-k8s-system"


def source(directory: Path, **kwargs: object) -> DirectorySource:
    kwargs.setdefault("namespace", NS)
    kwargs.setdefault("node", "n1")
    return DirectorySource(directory, **kwargs)  # type: ignore[arg-type]


def cfg(name: str, asn: int = 65001, **kwargs: object) -> str:
    return dump(config(name, router(neighbor(asn=asn)), **kwargs))  # type: ignore[arg-type]


# ---------------------------------------------------------------- item 2: a missing directory


def test_run_refuses_a_missing_config_dir(tmp_path: Path) -> None:
    missing = tmp_path / "typo"
    result = CliRunner().invoke(app, ["run", "--config-dir", str(missing), "--node", "n1"])
    assert result.exit_code == 2
    assert "is not a directory" in " ".join(result.output.replace("│", " ").split())
    assert not missing.exists()  # never created, so never applied as the empty set


def test_a_missing_directory_is_an_error_not_the_empty_set(tmp_path: Path) -> None:
    snapshot = source(tmp_path / "nope").load()
    assert snapshot.resources is None
    assert "does not exist" in str(snapshot.errors[0])
    assert not (tmp_path / "nope").exists()


# ---------------------------------------------------------------- item 4: kubelet volumes


def test_configmap_volume_and_its_atomic_swap(tmp_path: Path) -> None:
    root = tmp_path / "cm"
    configmap_volume(root, {"a.yaml": cfg("a", 65001), "n.yaml": dump(node("n1"))})
    with RunningSource(source(root, settle=3.0)) as run:
        assert asns(run.next().resources) == {"a": 65001}
        configmap_update(
            root, {"a.yaml": cfg("a", 65002), "n.yaml": dump(node("n1"))}, "..2024_01_01_00_01_00.000000002"
        )
        _, took = run.wait_for(lambda s: s.resources is not None and asns(s.resources) == {"a": 65002})
        assert took < 2.5  # an atomic swap is read at once, not after the (3 s) settle period


# ---------------------------------------------------------------- item 9: one namespace rule


def test_an_object_without_namespace_is_in_the_agent_namespace(tmp_path: Path) -> None:
    doc = config("a", router(neighbor()))
    (tmp_path / "a.yaml").write_text(dump({**doc, "metadata": {"name": "a"}}))
    snapshot = source(tmp_path).load()
    assert snapshot.resources is not None
    assert [c.metadata.namespace for c in snapshot.resources.configurations] == [NS]

    class Applier:
        def apply(self, text: str) -> ApplyResult:
            return ApplyResult(changed=True, method="test", seconds=0.0)

    reconciler = Reconciler(Settings("n1", namespace=NS), Applier())
    reconciler.reconcile(snapshot)
    assert list(reconciler.state.applied_generations) == [f"FRRConfiguration/{NS}/a"]

    (tmp_path / "b.yaml").write_text(dump(doc))  # the same object, with its namespace
    snapshot = source(tmp_path).load()
    assert snapshot.resources is None
    assert "duplicate object" in str(snapshot.errors[0]), snapshot.errors


def test_skipped_objects_are_noted(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(cfg("a", ns="other") + "---\napiVersion: v9\nkind: Thing\n")
    snapshot = source(tmp_path).load()
    assert snapshot.resources is not None and not snapshot.resources.configurations
    assert len(snapshot.notes) == 2
    assert any("FRRConfiguration/other/a" in n for n in snapshot.notes)
    assert any("v9 Thing" in n for n in snapshot.notes)


# ---------------------------------------------------------------- item 7: the directory replaced


def test_directory_deleted_recreated_and_replaced(tmp_path: Path) -> None:
    root = tmp_path / "manifests"
    root.mkdir()
    (root / "a.yaml").write_text(cfg("a", 65001))
    copy = tmp_path / "copy"
    with RunningSource(source(root, settle=0.5)) as run:
        assert asns(run.next().resources) == {"a": 65001}

        # Deleted: an error (FRR keeps its config), never the empty set.
        shutil.rmtree(root)
        missing = run.next()
        assert missing.resources is None and "does not exist" in str(missing.errors[0])

        # Recreated by a copy: read once the copy settled, and edits are seen at once again.
        copy.mkdir()
        (copy / "a.yaml").write_text(cfg("a", 65002))
        (copy / "b.yaml").write_text(cfg("b", 65003))
        shutil.copytree(copy, root)
        assert asns(run.next().resources) == {"a": 65002, "b": 65003}
        write_atomic(root / "b.yaml", cfg("b", 65004))
        _, took = run.wait_for(lambda s: asns(s.resources).get("b") == 65004)
        assert took < 5.0  # seen by the watch, not at the resync (30 s)

        # rm -rf + copy in one go: no error and no partial set in between.
        shutil.rmtree(root)
        shutil.copytree(copy, root)
        assert [asns(s.resources) for s in run.drain(2.0)] == [{"a": 65002, "b": 65003}]

        # Replaced by a rename: read at once, then edits in the new directory are seen.
        replacement = tmp_path / "new"
        replacement.mkdir()
        (replacement / "c.yaml").write_text(cfg("c", 65005))
        os.rename(root, tmp_path / "old")
        os.rename(replacement, root)
        _, took = run.wait_for(lambda s: s.resources is not None and names(s) == ["c"])
        assert took < 5.0  # seen by the watch, not at the resync (30 s)
        write_atomic(root / "c.yaml", cfg("c", 65006))
        _, took = run.wait_for(lambda s: asns(s.resources) == {"c": 65006})
        assert took < 5.0  # seen by the watch, not at the resync (30 s)
        # The directory moved away is not watched any more.
        write_atomic(tmp_path / "old" / "a.yaml", cfg("a", 65099))
        assert run.drain(1.0) == []


# ---------------------------------------------------------------- item 3: slow and partial writes


def write_slowly(path: Path, text: str, pieces: int = 4, pause: float = 0.4) -> None:
    """Rewrite `path` in place (truncated, then `pieces` parts `pause` seconds apart)."""
    lines = text.splitlines(keepends=True)
    step = -(-len(lines) // pieces)
    with path.open("w") as handle:
        for start in range(0, len(lines), step):
            handle.write("".join(lines[start : start + step]))
            handle.flush()
            time.sleep(pause)


def test_a_file_written_slowly_in_place_is_used_only_once_complete(tmp_path: Path) -> None:
    text = cfg("a", 65001)
    (tmp_path / "a.yaml").write_text(text)
    with RunningSource(source(tmp_path)) as run:
        assert asns(run.next().resources) == {"a": 65001}
        # The same content again, slowly, in place (truncated first): nothing changes.
        write_slowly(tmp_path / "a.yaml", text)
        assert run.drain(1.5) == []
        # New content written slowly: only the final version is ever seen.
        write_slowly(tmp_path / "a.yaml", cfg("a", 65002))
        seen = run.drain(1.5)
        assert [asns(s.resources) for s in seen] == [{"a": 65002}]


def test_a_new_file_is_ignored_until_it_settles(tmp_path: Path) -> None:
    with RunningSource(source(tmp_path)) as run:
        assert names(run.next()) == []
        write_slowly(tmp_path / "b.yaml", cfg("b"))
        assert [names(s) for s in run.drain(1.5)] == [["b"]]


def test_a_file_that_never_settles_is_read_after_the_bound(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(cfg("a", 65001))
    with RunningSource(source(tmp_path, settle=0.5, settle_max=2.0)) as run:
        run.next()
        # Rewritten in place every 0.2 s, never truncated (always complete): read after ~2 s,
        # although it never stays quiet for 0.5 s.
        data = cfg("a", 65002).encode()
        fd = os.open(tmp_path / "a.yaml", os.O_WRONLY)
        try:
            start = time.monotonic()
            while time.monotonic() - start < 4.0:
                os.pwrite(fd, data, 0)
                time.sleep(0.2)
        finally:
            os.close(fd)
        snapshot = run.next(timeout=0.1)  # already there
        assert asns(snapshot.resources) == {"a": 65002}


# ---------------------------------------------------------------- issue 10: parse once


def test_touch_and_resync_parse_nothing(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"c{i}.yaml").write_text(cfg(f"c{i}"))
    src = source(tmp_path, resync=0.5)
    with RunningSource(src) as run:
        run.next()
        assert src.cache.parses == 5
        (tmp_path / "c1.yaml").touch()
        time.sleep(1.5)  # the touch and a few resyncs
        assert src.cache.parses == 5
        write_atomic(tmp_path / "c2.yaml", cfg("c2", 65009))
        run.wait_for(lambda s: asns(s.resources)["c2"] == 65009)
        assert src.cache.parses == 6


def test_only_what_selects_the_node_is_kept_and_labels_are_followed(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(
        cfg("mine", selector={"matchLabels": {"kubernetes.io/hostname": "n1"}})
    )
    (tmp_path / "other.yaml").write_text(
        cfg("other", selector={"matchLabels": {"kubernetes.io/hostname": "n2"}})
    )
    (tmp_path / "zone.yaml").write_text(cfg("zone", selector={"matchLabels": {"zone": "a"}}))
    (tmp_path / "bad.yaml").write_text(cfg("bad", selector={"matchLabels": {"-bad": "x"}}))
    (tmp_path / "nodes.yaml").write_text(dump(node("n1"), node("n2", zone="a")))
    src = source(tmp_path)
    with RunningSource(src) as run:
        snapshot = run.next()
        # An invalid selector is kept, so the pipeline reports it.
        assert names(snapshot) == ["bad", "mine"]
        assert snapshot.resources is not None and [n.name for n in snapshot.resources.nodes] == ["n1"]
        parses = src.cache.parses
        write_atomic(tmp_path / "nodes.yaml", dump(node("n1", zone="a"), node("n2", zone="a")))
        snapshot, _ = run.wait_for(lambda s: "zone" in names(s))
        assert names(snapshot) == ["bad", "mine", "zone"]
        assert src.cache.parses == parses + 2  # nodes.yaml, and zone.yaml for its full object


def test_another_nodes_invalid_object_is_not_validated_until_it_selects_the_node(tmp_path: Path) -> None:
    bad = config("zone", router(neighbor(typo=1)), selector={"matchLabels": {"zone": "a"}})
    (tmp_path / "zone.yaml").write_text(dump(bad))
    (tmp_path / "mine.yaml").write_text(cfg("mine"))
    (tmp_path / "nodes.yaml").write_text(dump(node("n1")))
    src = source(tmp_path)
    with RunningSource(src) as run:
        assert names(run.next()) == ["mine"]  # the typo is another node's problem
        write_atomic(tmp_path / "nodes.yaml", dump(node("n1", zone="a")))
        snapshot, _ = run.wait_for(lambda s: s.resources is None)
        assert any(
            "FRRConfiguration/frr-k8s-system/zone" in str(e) and "typo" in str(e) for e in snapshot.errors
        )
        write_atomic(tmp_path / "nodes.yaml", dump(node("n1", zone="b")))
        snapshot, _ = run.wait_for(lambda s: s.resources is not None)
        assert names(snapshot) == ["mine"]


def test_load_all_in_worker_processes_equals_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`render`'s first load, parsed by forked workers, gives the cache one process builds."""
    from frrnode.agent import manifests

    for i in range(12):
        selector = {"matchLabels": {"kubernetes.io/hostname": f"n{i % 3}"}}
        (tmp_path / f"c{i}.yaml").write_text(cfg(f"c{i}", 65001 + i, selector=selector))
    (tmp_path / "zone.yaml").write_text(cfg("zone", selector={"matchLabels": {"zone": "a"}}))
    (tmp_path / "nodes.yaml").write_text(dump(node("n1", zone="a"), node("n2")))
    (tmp_path / "broken.yaml").write_text("a: [\n")
    paths = sorted(str(p) for p in tmp_path.iterdir())
    monkeypatch.setattr(manifests, "PARALLEL_MIN_FILES", 2)
    parse = manifests.ManifestCache._parse
    pids = tmp_path.parent / f"{tmp_path.name}-pids"

    def recording(self: manifests.ManifestCache, *args: object) -> object:
        with pids.open("a") as out:
            out.write(f"{os.getpid()}\n")
        return parse(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(manifests.ManifestCache, "_parse", recording)
    caches = []
    for workers in (1, 3):
        cache = manifests.ManifestCache(manifests.NodeFilter("n1", NS))
        cache.load_all(paths, workers=workers)
        caches.append(cache)
    one, many = (c.resources() for c in caches)
    assert [c.metadata.name for c in one[0].configurations] == ["c1", "c10", "c4", "c7", "zone"]
    assert one[0].configurations == many[0].configurations and one[0].nodes == many[0].nodes
    assert [str(e) for e in one[1]] == [str(e) for e in many[1]] and len(one[1]) == 1
    # zone.yaml and broken.yaml (errors) again, once n1's zone is known
    assert caches[0].parses == caches[1].parses == len(paths) + 2
    assert manifests._WORKER_CACHE is None
    assert len(set(pids.read_text().split())) == 3  # this process (both runs) and two workers


def test_snapshots_do_not_change_the_result(tmp_path: Path) -> None:
    """What the source leaves out never changes the node's config (the same pipeline input)."""
    from frrnode.api.loader import load_paths
    from frrnode.pipeline import build_node_config

    (tmp_path / "a.yaml").write_text(cfg("a", 65001, selector={"matchLabels": {"zone": "a"}}))
    (tmp_path / "b.yaml").write_text(
        dump(config("b", router(neighbor(address="192.168.1.3", asn=65002)), selector={}))
    )
    (tmp_path / "c.yaml").write_text(cfg("c", 65003, selector={"matchLabels": {"zone": "b"}}))
    (tmp_path / "n.yaml").write_text(dump(node("n1", zone="a")))
    for labels in (None, {"zone": "b"}, {"zone": "c"}):
        settings = Settings("n1", namespace=NS, node_labels=labels)
        snapshot: Snapshot = source(tmp_path, node_labels=labels).load()
        assert snapshot.resources is not None
        full = load_paths([tmp_path], default_namespace=NS)
        assert build_node_config(snapshot.resources, settings) == build_node_config(full, settings)


# ---------------------------------------------------------------- item 11: notes reach the log and the status


def test_notes_are_logged_once_and_reach_the_status(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from frrnode.agent.status import MAX_NOTES, build_node_state

    (tmp_path / "a.yaml").write_text(cfg("a", ns="other"))
    (tmp_path / "b.yaml").write_text(cfg("b"))
    src = source(tmp_path)
    with caplog.at_level(logging.INFO, logger="frrnode.agent.manifests"):
        first = src.load()
        write_atomic(tmp_path / "b.yaml", cfg("b", 65009))  # another file changes: no new note
        src.load()
    logged = [r.getMessage() for r in caplog.records if "FRRConfiguration/other/a" in r.getMessage()]
    assert len(logged) == 1

    class Applier:
        def apply(self, text: str) -> ApplyResult:
            return ApplyResult(changed=True, method="test", seconds=0.0)

    reconciler = Reconciler(Settings("n1", namespace=NS), Applier())
    reconciler.reconcile(first)
    assert reconciler.state.notes == first.notes and len(first.notes) == 1
    status = build_node_state("n1", "", notes=reconciler.state.notes).status
    assert status.notes == list(first.notes)
    assert build_node_state("n1", "").status.notes is None  # absent when there is nothing to say
    many = build_node_state("n1", "", notes=[f"note {i}" for i in range(50)]).status.notes
    assert many is not None and len(many) == MAX_NOTES and "31 more" in many[-1]


# ---------------------------------------------------------------- SIGHUP: a full resync at once


def test_resync_walks_the_whole_tree_at_once(tmp_path: Path) -> None:
    """`resync()` (SIGHUP) yields a snapshot from a full walk at once, changed or not, without
    waiting for the periodic resync: here it finds an edit the watch cannot see (the target of
    a symlink that points out of the tree)."""
    outside, root = tmp_path / "outside", tmp_path / "manifests"
    outside.mkdir()
    root.mkdir()
    write_atomic(outside / "a.yaml", cfg("a", asn=65001))
    (root / "a.yaml").symlink_to(outside / "a.yaml")
    with RunningSource(source(root, resync=600.0)) as running:
        assert asns(running.next().resources) == {"a": 65001}
        write_atomic(outside / "a.yaml", cfg("a", asn=65002))
        assert running.drain(quiet=1.0) == []  # unseen by the watch
        running._loop.call_soon_threadsafe(running.source.resync)
        assert asns(running.next(timeout=5.0).resources) == {"a": 65002}
        running._loop.call_soon_threadsafe(running.source.resync)  # nothing changed: a snapshot still
        assert asns(running.next(timeout=5.0).resources) == {"a": 65002}
