"""``arbitre export DB`` and ``arbitre import workspace``: a workspace backed up into one zip of the files
the CLI reads and writes, restored whole or not at all, bad backups refused with a located message."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import pytest

from conftest import EXAMPLES, arbitre_in_process
from engine.errors import StoreError
from web.backup import FORMAT_VERSION, MANIFEST, MAX_MEMBER_BYTES, read_backup
from web.store import Dump, Store
from web.views import with_overrides

ACME = EXAMPLES / "acme-retail.yaml"


@pytest.fixture(scope="module")
def audit_record(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The audit record ``arbitre recommend --audit`` writes for the acme example, through the real rules."""
    record = tmp_path_factory.mktemp("audit") / "acme.json"
    run = arbitre_in_process("recommend", ACME, "--audit", record)
    assert run.returncode == 0, run.stderr
    return record.read_text(encoding="utf-8")


@pytest.fixture
def workspace(tmp_path: Path, audit_record: str) -> Path:
    """A workspace with two assessments: versions with records, overrides (one flow twice), a draft
    and a what-if copy on the first; one version and no record on the second."""
    db = tmp_path / "workspace.db"
    answers = ACME.read_text(encoding="utf-8")
    with Store.open(db) as store:
        acme = store.create_assessment("Acme — atelier n°2 <b>", "fr").id
        store.add_version(acme, answers, "Ana", "first workshop", audit_json=audit_record)
        store.add_version(acme, answers + "# after the second workshop\n", "Bruno")
        store.save_record(acme, 2, audit_record)
        for n, flow_id, option, reason, author in [(1, "complaints-email", "outsource", "cheaper", "Ana"),
                                                   (1, "complaints-email", "hybrid", "union agreement", "Bruno"),
                                                   (2, "after-sales", "keep_internal", "brand voice", "Ana")]:
            store.override_with_record(acme, n, flow_id, option, reason, author, with_overrides)
        store.save_draft(acme, answers + "flows:\n  - id: new   # half typed\n", {"step": 4, "asked": ["a", "b"]})
        store.save_scratch(acme, answers.replace("Acme", "Acme what-if"))
        other = store.create_assessment("other", "en").id
        store.add_version(other, "organisation:\n  name: Other\n")
    return db


def _dumps(db: Path) -> list[Dump]:
    with Store.open(db, create=False) as store:
        return sorted((store.dump(a.id) for a in store.assessments()), key=lambda d: d.assessment.id)


def _export(db: Path, out: Path) -> Path:
    run = arbitre_in_process("export", db, "--out", out)
    assert run.returncode == 0, run.stderr
    return out


class TestRoundTrip:
    def test_export_then_import_into_a_fresh_workspace_gives_the_same_workspace(self, workspace: Path,
                                                                                tmp_path: Path) -> None:
        """Assessments, versions, records, overrides (with their history), draft and what-if copy come back
        the same, ids, numbers, authors and times included."""
        backup = tmp_path / "backup.zip"
        exported = arbitre_in_process("export", workspace, "--out", backup)
        assert exported.returncode == 0, exported.stderr
        assert exported.stdout == f"Exported 2 assessments, 3 versions from {workspace} to {backup}.\n"
        fresh = tmp_path / "fresh" / "restored.db"
        imported = arbitre_in_process("import", "workspace", backup, "--db", fresh)
        assert imported.returncode == 0, imported.stderr
        assert imported.stdout == f"Imported 2 assessments, 3 versions from {backup} into {fresh}.\n"
        assert _dumps(fresh) == _dumps(workspace)
        with Store.open(fresh) as store:
            assert store.integrity() == []

    def test_backup_holds_the_files_the_cli_uses(self, workspace: Path, tmp_path: Path) -> None:
        """The answers and audit record are the files themselves, byte for byte: the record taken out of
        the backup (its overrides written in) passes ``arbitre explain --verify``."""
        stored = next(d for d in _dumps(workspace) if d.assessment.lang == "fr").records[1]
        assert '"reason": "union agreement"' in stored
        backup = _export(workspace, tmp_path / "backup.zip")
        with zipfile.ZipFile(backup) as archive:
            manifest = json.loads(archive.read(MANIFEST))
            acme = next(a for a in manifest["assessments"] if a["lang"] == "fr")
            first = acme["versions"][0]
            assert archive.read(first["answers"]).decode() == ACME.read_text(encoding="utf-8")
            assert archive.read(first["audit"]).decode() == stored
            assert [o["option"] for o in json.loads(archive.read(first["overrides"]))] == ["outsource", "hybrid"]
            record = tmp_path / "from-backup.json"
            record.write_bytes(archive.read(first["audit"]))
        assert manifest["format_version"] == FORMAT_VERSION
        verified = arbitre_in_process("explain", record, "--verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr

    def test_import_into_a_workspace_that_holds_others_keeps_them(self, workspace: Path, tmp_path: Path) -> None:
        """Importing adds the backup's assessments beside those already there."""
        backup = _export(workspace, tmp_path / "backup.zip")
        target = tmp_path / "target.db"
        with Store.open(target) as store:
            mine = store.create_assessment("mine", "en")
        assert arbitre_in_process("import", "workspace", backup, "--db", target).returncode == 0
        with Store.open(target) as store:
            assert mine in store.assessments() and len(store.assessments()) == 3

    def test_the_default_workspace_is_arbitre_db(self, workspace: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
        """Without --db, the backup is restored into $ARBITRE_DB."""
        backup = _export(workspace, tmp_path / "backup.zip")
        monkeypatch.setenv("ARBITRE_DB", str(tmp_path / "from-env.db"))
        assert arbitre_in_process("import", "workspace", backup).returncode == 0
        assert _dumps(tmp_path / "from-env.db") == _dumps(workspace)

    def test_an_empty_workspace_round_trips(self, tmp_path: Path) -> None:
        """A workspace without assessments exports to a backup that imports to nothing."""
        Store.open(tmp_path / "empty.db").close()
        backup = _export(tmp_path / "empty.db", tmp_path / "backup.zip")
        assert read_backup(backup) == []


class TestExistingAssessments:
    def test_an_id_already_held_is_refused_and_nothing_is_imported(self, workspace: Path, tmp_path: Path) -> None:
        """When one assessment of the backup is already there, none is imported, and the message says
        which and how to replace it."""
        backup = _export(workspace, tmp_path / "backup.zip")
        target = tmp_path / "target.db"
        assert arbitre_in_process("import", "workspace", backup, "--db", target).returncode == 0
        with Store.open(target) as store:
            kept = store.assessments()[0]
            store.delete_assessment(next(a.id for a in store.assessments() if a.id != kept.id))
            store.add_version(kept.id, "changed: true\n")
        before = _dumps(target)
        run = arbitre_in_process("import", "workspace", backup, "--db", target)
        assert run.returncode == 2
        assert "already holds 1 of these assessments: nothing was imported; add --replace" in run.stderr
        assert f"assessment {kept.id!r} ({kept.name!r}) exists" in run.stderr
        assert _dumps(target) == before

    def test_replace_puts_the_backup_in_place(self, workspace: Path, tmp_path: Path) -> None:
        """With --replace, an assessment already there is replaced by the backup's, whole."""
        backup = _export(workspace, tmp_path / "backup.zip")
        with Store.open(workspace) as store:
            for a in store.assessments():
                store.add_version(a.id, "changed: true\n")
                store.save_draft(a.id, "changed: true\n", {"step": 1})
        run = arbitre_in_process("import", "workspace", backup, "--db", workspace, "--replace")
        assert run.returncode == 0, run.stderr
        assert _dumps(workspace) == read_backup_sorted(backup)


def read_backup_sorted(backup: Path) -> list[Dump]:
    return sorted(read_backup(backup), key=lambda d: d.assessment.id)


class TestExport:
    def test_an_existing_out_needs_force(self, workspace: Path, tmp_path: Path) -> None:
        """An existing --out is kept unless --force; with it, it is replaced by a whole backup."""
        out = tmp_path / "backup.zip"
        out.write_text("old")
        run = arbitre_in_process("export", workspace, "--out", out)
        assert (run.returncode, out.read_text()) == (2, "old")
        assert f"--out {out} exists: choose another file, or add --force" in run.stderr
        assert arbitre_in_process("export", workspace, "--out", out, "--force").returncode == 0
        assert len(read_backup(out)) == 2

    def test_the_workspace_is_named_as_serve_names_it(self, workspace: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
        """--db, or $ARBITRE_DB, names the database as for arbitre serve and import workspace; two
        different names at once are refused."""
        by_option = tmp_path / "by-option.zip"
        assert arbitre_in_process("export", "--db", workspace, "--out", by_option).returncode == 0
        monkeypatch.setenv("ARBITRE_DB", str(workspace))
        by_env = tmp_path / "by-env.zip"
        assert arbitre_in_process("export", "--out", by_env).returncode == 0
        assert read_backup_sorted(by_option) == read_backup_sorted(by_env) and len(read_backup(by_env)) == 2
        run = arbitre_in_process("export", workspace, "--db", tmp_path / "other.db", "--out", tmp_path / "c.zip")
        assert run.returncode == 2 and "give DB or --db, not both" in run.stderr
        assert not (tmp_path / "c.zip").exists()

    def test_a_missing_workspace_is_not_created(self, tmp_path: Path) -> None:
        """Exporting a database that does not exist is a user error, and creates nothing."""
        run = arbitre_in_process("export", tmp_path / "typo.db", "--out", tmp_path / "b.zip")
        assert run.returncode == 2 and f"no workspace at {tmp_path / 'typo.db'}" in run.stderr
        assert list(tmp_path.iterdir()) == []

    def test_out_cannot_be_the_database(self, workspace: Path) -> None:
        """The backup cannot replace the database it is made from."""
        run = arbitre_in_process("export", workspace, "--out", workspace, "--force")
        assert run.returncode == 2 and "is the workspace database being exported" in run.stderr
        assert _dumps(workspace)

    def test_a_file_that_is_not_a_workspace(self, tmp_path: Path) -> None:
        """Exporting a file that is not a workspace names it, exit 2, no traceback."""
        not_db = tmp_path / "answers.yaml"
        not_db.write_text("flows: []\n" * 100)
        run = arbitre_in_process("export", not_db, "--out", tmp_path / "b.zip")
        assert run.returncode == 2 and f"workspace {not_db}: is not an Arbitre workspace" in run.stderr
        assert "Traceback" not in run.stderr


def _rewrite(backup: Path, out: Path, change: dict[str, bytes | None]) -> Path:
    """A copy of ``backup`` with some members replaced (or, given None, left out)."""
    with zipfile.ZipFile(backup) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in change:
                target.writestr(info.filename, source.read(info))
        for name, data in change.items():
            if data is not None:
                target.writestr(name, data)
    return out


def _manifest(backup: Path) -> dict:  # type: ignore[type-arg]
    with zipfile.ZipFile(backup) as archive:
        return json.loads(archive.read(MANIFEST))  # type: ignore[no-any-return]


def _member(backup: Path, kind: str) -> str:
    """The member holding one part of the first version of the French assessment."""
    acme = next(a for a in _manifest(backup)["assessments"] if a["lang"] == "fr")
    return acme["versions"][0][kind]  # type: ignore[no-any-return]


def _with_manifest(backup: Path, **changes: object) -> bytes:
    manifest = _manifest(backup)
    manifest.update(changes)
    return json.dumps(manifest).encode()


def _override(**changes: str) -> bytes:
    """An overrides member holding one override of the first version, changed by ``changes``."""
    held = {"flow_id": "order-taking", "option": "keep_internal", "reason": "union", "author": "Ana",
            "created": "2026-12-01T10:00:00+00:00"}
    return json.dumps([{**held, **changes}]).encode()


BAD_BACKUPS = [
    pytest.param(lambda b: {MANIFEST: None}, "holds no manifest.json: it is not a backup written by arbitre export",
                 id="no-manifest"),
    pytest.param(lambda b: {MANIFEST: _with_manifest(b, format_version=FORMAT_VERSION + 1)},
                 f"manifest.json: format_version: {FORMAT_VERSION + 1} was written by a newer Arbitre "
                 f"(this one reads up to {FORMAT_VERSION}): upgrade Arbitre to import it", id="newer-format"),
    pytest.param(lambda b: {MANIFEST: _with_manifest(b, format="photos")},
                 "manifest.json: format: 'photos' is not 'arbitre-workspace'", id="other-format"),
    pytest.param(lambda b: {MANIFEST: b"{\"format\": "}, "manifest.json:1: not valid JSON", id="manifest-not-json"),
    pytest.param(lambda b: {MANIFEST: _with_manifest(b, assessments={"a": 1})},
                 "manifest.json: assessments: {'a': 1} is not a list", id="assessments-not-a-list"),
    pytest.param(lambda b: {MANIFEST: _with_manifest(b, assessments=[{"id": "../../etc", "name": "x"}])},
                 "manifest.json: assessments[0].id: '../../etc' is not an assessment id", id="bad-id"),
    pytest.param(lambda b: {MANIFEST: _with_manifest(b, assessments=[{"id": "abc", "name": "x", "lang": "xx"}])},
                 "manifest.json: assessments[0].lang: 'xx' is not one of en, fr", id="unknown-language"),
    pytest.param(lambda b: {_member(b, "answers"): b"flows: [unclosed\n  - x\n"},
                 "/v1/answers.yaml:3: not valid YAML", id="answers-not-yaml"),
    pytest.param(lambda b: {_member(b, "answers"): b"!!python/object/apply:os.system ['true']\n"},
                 "/v1/answers.yaml:1: the tag '!!python/object/apply:os.system' is not allowed", id="answers-unsafe-tag"),
    pytest.param(lambda b: {_member(b, "audit"): b"{\"schema\": 1,"}, "/v1/audit.json:1: not valid JSON",
                 id="audit-not-json"),
    pytest.param(lambda b: {_member(b, "overrides"): b"[{\"flow_id\": \"billing\"}]"},
                 "/v1/overrides.json: [0].option: is missing", id="override-incomplete"),
    # an override the workspace would refuse to record: its pages would break on it (review finding 3)
    pytest.param(lambda b: {_member(b, "overrides"): _override(option="bogus")},
                 "/v1/overrides.json: [0].option: 'bogus' is not a decision (expected one of outsource, "
                 "hybrid, keep_internal)", id="override-not-a-decision"),
    pytest.param(lambda b: {_member(b, "overrides"): _override(reason="  ")},
                 "/v1/overrides.json: [0].reason: '  ' is empty: an override always gives its reason",
                 id="override-without-reason"),
    pytest.param(lambda b: {_member(b, "overrides"): _override(flow_id="billing")},
                 "/v1/overrides.json: [0].flow_id: 'billing' is not a flow of this version's answers (its flows: "
                 "order-taking, support-chat", id="override-of-no-flow"),
    pytest.param(lambda b: {_member(b, "answers"): None},
                 "/v1/answers.yaml', which the backup does not hold", id="member-missing"),
    pytest.param(lambda b: {_member(b, "answers"): b"\xff\xfe not text"},
                 "/v1/answers.yaml:1: is not UTF-8 text (byte 0)", id="answers-not-utf8"),
    pytest.param(lambda b: {_member(b, "answers"): b"\0" * (MAX_MEMBER_BYTES + 1)},
                 f"holds {MAX_MEMBER_BYTES + 1:,} bytes unpacked, more than the 32 MB a member may hold",
                 id="zip-bomb"),
]


class TestBadBackups:
    @pytest.mark.parametrize(("change", "message"), BAD_BACKUPS)
    def test_refused_with_a_located_message(self, workspace: Path, tmp_path: Path, change: object,
                                            message: str) -> None:
        """A broken backup is a user error naming the backup and the member, and the workspace is left
        as it was (here, not even created)."""
        good = _export(workspace, tmp_path / "good.zip")
        bad = _rewrite(good, tmp_path / "bad.zip", change(good))  # type: ignore[operator]
        target = tmp_path / "target.db"
        run = arbitre_in_process("import", "workspace", bad, "--db", target)
        assert run.returncode == 2, run.stderr
        assert f"error: {bad} is not a usable workspace backup\n  {bad}" in run.stderr
        assert message in run.stderr
        assert "Traceback" not in run.stderr and not target.exists()

    def test_a_huge_member_is_refused_before_it_is_unpacked(self, workspace: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
        """A member that unpacks to more than a member may hold (a zip bomb: 40 MB of zeros in a few
        kilobytes) is refused by the size its entry declares, without being unpacked."""
        good = _export(workspace, tmp_path / "good.zip")
        member = _member(good, "answers")
        bomb = _rewrite(good, tmp_path / "bomb.zip", {member: b"\0" * (40 * 2**20)})
        assert bomb.stat().st_size < 2**20
        opened: list[str] = []
        real_open = zipfile.ZipFile.open

        def watched(self: zipfile.ZipFile, name: str | zipfile.ZipInfo, *args: object, **kwargs: object) -> object:
            opened.append(name.filename if isinstance(name, zipfile.ZipInfo) else name)
            return real_open(self, name, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(zipfile.ZipFile, "open", watched)
        with pytest.raises(StoreError) as raised:
            read_backup(bomb)
        assert f"{bomb}:{member}: holds 41,943,040 bytes unpacked, more than the 32 MB" in raised.value.report()
        assert member not in opened and MANIFEST in opened

    @pytest.mark.parametrize("content", [
        pytest.param(b"", id="empty"),
        pytest.param(b"organisation:\n  name: Acme\n", id="yaml"),
        pytest.param(b"PK\x03\x04" + b"\0" * 100, id="truncated-zip"),
    ])
    def test_not_a_zip(self, tmp_path: Path, content: bytes) -> None:
        """A file that is not a zip is named, with what was expected."""
        bad = tmp_path / "backup.zip"
        bad.write_bytes(content)
        run = arbitre_in_process("import", "workspace", bad, "--db", tmp_path / "w.db")
        assert run.returncode == 2
        assert run.stderr == (f"error: {bad} is not a workspace backup\n"
                              f"  {bad}: not a zip file: give a file written by arbitre export\n")

    def test_missing_backup(self, tmp_path: Path) -> None:
        """A backup that does not exist is a user error."""
        run = arbitre_in_process("import", "workspace", tmp_path / "none.zip", "--db", tmp_path / "w.db")
        assert run.returncode == 2 and f"no backup at {tmp_path / 'none.zip'}" in run.stderr

    def test_a_workspace_database_given_as_backup(self, workspace: Path, tmp_path: Path) -> None:
        """Giving the database where the backup is expected says it is not a backup."""
        run = arbitre_in_process("import", "workspace", workspace, "--db", tmp_path / "w.db")
        assert run.returncode == 2 and "is not a workspace backup" in run.stderr

    def test_restoring_into_a_file_that_is_not_a_workspace(self, workspace: Path, tmp_path: Path) -> None:
        """A --db that is some other program's database is refused and left untouched."""
        backup = _export(workspace, tmp_path / "backup.zip")
        other = tmp_path / "other.db"
        connection = sqlite3.connect(other)
        connection.execute("CREATE TABLE photos (id INTEGER)")
        connection.commit()
        connection.close()
        run = arbitre_in_process("import", "workspace", backup, "--db", other)
        assert run.returncode == 2 and "of another program, not an Arbitre workspace" in run.stderr
