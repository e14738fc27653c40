"""The workspace store: what it keeps, how it refuses files it cannot use, how it upgrades old ones."""

from __future__ import annotations

import os
import signal
import sqlite3
import string
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import workspace_writer
from conftest import ROOT
from workspace_writer import same_record

from engine.errors import StoreError, UnknownAssessmentError
from web import store as store_module
from web.store import SCHEMA_VERSION, DraftEdit, Store, default_path

ANSWERS = "organisation:\n  name: Acme\nflows: []\n"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(tmp_path / "workspace.db")
    yield opened
    opened.close()


class TestAssessments:
    def test_created_assessment_is_listed_and_found(self, store: Store) -> None:
        """A new assessment keeps its name and language and is found by its id."""
        made = store.create_assessment("Acme support", "fr")
        assert store.assessment(made.id) == made
        assert store.assessments() == [made]
        assert (made.name, made.lang) == ("Acme support", "fr")

    def test_unknown_id_is_none(self, store: Store) -> None:
        """Looking up an id the store does not hold gives None, not an error."""
        assert store.assessment("nope") is None
        assert store.draft("nope") is None and store.version("nope", 1) is None and store.record("nope", 1) is None

    def test_ids_are_short_url_safe_and_distinct(self, store: Store) -> None:
        """Ids are a few URL-safe characters, never the same twice."""
        ids = {store.create_assessment(f"a{i}", "en").id for i in range(50)}
        assert len(ids) == 50
        allowed = set(string.ascii_letters + string.digits + "-_")
        assert all(6 <= len(aid) <= 12 and set(aid) <= allowed for aid in ids)

    @pytest.mark.parametrize("name", [
        pytest.param("x'); DROP TABLE assessments; --", id="sql"),
        pytest.param("<script>alert(1)</script>", id="html"),
        pytest.param("Société générale — été", id="accents"),
        pytest.param("", id="empty"),
    ])
    def test_names_are_kept_verbatim(self, store: Store, name: str) -> None:
        """A name is user text: stored and read back exactly, whatever it holds."""
        made = store.create_assessment(name, "en")
        assert store.assessment(made.id) == made
        assert store.assessment(made.id).name == name  # type: ignore[union-attr]
        assert len(store.assessments()) == 1

    def test_most_recently_changed_comes_first(self, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
        """The list puts the assessment changed last at the top."""
        times = iter(["2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00+00:00", "2026-01-03T00:00:00+00:00"])
        monkeypatch.setattr(store_module, "now", lambda: next(times))
        first = store.create_assessment("first", "en")
        second = store.create_assessment("second", "en")
        store.save_draft(first.id, ANSWERS, {})
        assert [a.name for a in store.assessments()] == ["first", "second"]
        assert store.assessment(second.id).updated < store.assessment(first.id).updated  # type: ignore[union-attr]

    def test_delete_removes_everything_of_the_assessment(self, store: Store) -> None:
        """Deleting an assessment removes its versions, records, overrides, draft and scratch copy."""
        kept, gone = store.create_assessment("kept", "en"), store.create_assessment("gone", "en")
        for a in (kept, gone):
            store.add_version(a.id, ANSWERS, audit_json="{}")
            store.override_with_record(a.id, 1, "f1", "outsource", "cheaper", "Ana", same_record)
            store.save_draft(a.id, ANSWERS, {"step": 2})
            store.save_scratch(a.id, ANSWERS)
        store.delete_assessment(gone.id)
        assert store.assessments() == [store.assessment(kept.id)]
        assert store.versions(gone.id) == [] and store.overrides(gone.id, 1) == []
        assert store.draft(gone.id) is None and store.scratch(gone.id) is None and store.record(gone.id, 1) is None
        assert len(store.versions(kept.id)) == 1 and store.integrity() == []

    def test_rename(self, store: Store) -> None:
        """An assessment can be renamed; its id stays."""
        made = store.create_assessment("old", "en")
        store.rename_assessment(made.id, "new")
        assert store.assessment(made.id).name == "new"  # type: ignore[union-attr]


class TestDrafts:
    def test_saved_draft_is_read_back(self, store: Store) -> None:
        """A draft keeps the answers as typed and the conversation state."""
        aid = store.create_assessment("a", "en").id
        store.save_draft(aid, "flows:\n- id: f1   # typed so\n", {"step": 3, "asked": ["a", "b"], "lang": "fr"})
        draft = store.draft(aid)
        assert draft is not None
        assert draft.answers == "flows:\n- id: f1   # typed so\n"
        assert draft.state == {"step": 3, "asked": ["a", "b"], "lang": "fr"}

    def test_editing_starts_from_an_empty_draft(self, store: Store) -> None:
        """Editing an assessment without a draft starts from empty answers and state, and saves on exit."""
        aid = store.create_assessment("a", "en").id
        with store.editing_draft(aid) as edit:
            assert edit == DraftEdit("", {})
            edit.answers = "a: 1\n"
            edit.state["step"] = 1
        assert store.draft(aid).answers == "a: 1\n"  # type: ignore[union-attr]
        with store.editing_draft(aid) as edit:
            edit.answers += "b: 2\n"
            edit.state["step"] += 1
        draft = store.draft(aid)
        assert draft is not None and draft.answers == "a: 1\nb: 2\n" and draft.state == {"step": 2}

    def test_an_error_in_the_edit_leaves_the_draft_as_it_was(self, store: Store) -> None:
        """A failure inside the editing block writes nothing."""
        aid = store.create_assessment("a", "en").id
        store.save_draft(aid, "a: 1\n", {"step": 1})
        with pytest.raises(ValueError, match="boom"):
            with store.editing_draft(aid) as edit:
                edit.answers = "changed"
                raise ValueError("boom")
        assert store.draft(aid).answers == "a: 1\n"  # type: ignore[union-attr]

    def test_editing_an_unknown_assessment_is_refused(self, store: Store) -> None:
        """A draft belongs to an assessment: an unknown id is a clear error."""
        with pytest.raises(UnknownAssessmentError, match="no assessment 'nope'"):
            with store.editing_draft("nope"):
                pass
        with pytest.raises(UnknownAssessmentError):
            store.save_draft("nope", "", {})


class TestVersions:
    def test_versions_are_numbered_from_one(self, store: Store) -> None:
        """Each saved version takes the next number and keeps its author and note."""
        aid = store.create_assessment("a", "en").id
        first = store.add_version(aid, ANSWERS, "Ana", "workshop 1")
        second = store.add_version(aid, ANSWERS + "# v2\n")
        assert (first.number, second.number) == (1, 2)
        assert store.versions(aid) == [first, second]
        assert store.version(aid, 1) == first and store.version(aid, 3) is None
        assert (first.author, first.note) == ("Ana", "workshop 1")

    @pytest.mark.parametrize("n", [0, 2**63 - 1, 2**63, 10**30])
    def test_a_number_no_version_has_finds_none(self, store: Store, n: int) -> None:
        """Any number may be asked for (an address names it): one beyond SQLite's integers finds no
        version rather than failing the query."""
        aid = store.create_assessment("a", "en").id
        store.add_version(aid, ANSWERS)
        assert store.version(aid, n) is None

    def test_a_version_is_never_changed(self, store: Store) -> None:
        """Even written to directly, a version's answers cannot be updated."""
        aid = store.create_assessment("a", "en").id
        store.add_version(aid, ANSWERS)
        connection = sqlite3.connect(store.path)
        with pytest.raises(sqlite3.IntegrityError, match="never changed"):
            connection.execute("UPDATE versions SET answers = 'x'")
        connection.close()
        assert store.version(aid, 1).answers == ANSWERS  # type: ignore[union-attr]

    def test_version_of_an_unknown_assessment_is_refused(self, store: Store) -> None:
        """Adding a version to an id the store does not hold is a clear error."""
        with pytest.raises(UnknownAssessmentError):
            store.add_version("nope", ANSWERS)

    def test_record_saved_with_the_version_and_replaced(self, store: Store) -> None:
        """A record comes with its version in one step, and may be made again later."""
        aid = store.create_assessment("a", "en").id
        store.add_version(aid, ANSWERS, audit_json='{"a": 1}')
        assert store.record(aid, 1) == '{"a": 1}'
        store.save_record(aid, 1, '{"a": 2}')
        assert store.record(aid, 1) == '{"a": 2}'
        with pytest.raises(UnknownAssessmentError, match="no version 2"):
            store.save_record(aid, 2, "{}")


class TestFinishingADraft:
    """The questionnaire finished: the version, its record and the end of the draft, all or nothing."""

    def test_version_and_record_added_and_draft_gone_together(self, store: Store) -> None:
        made = store.create_assessment("Acme", "en")
        store.save_draft(made.id, ANSWERS, {"mode": "review"})
        version = store.version_from_draft(made.id, ANSWERS, {"mode": "review"}, '{"audit": 1}')
        assert version is not None and version.number == 1
        assert store.versions(made.id) == [version]
        assert store.record(made.id, 1) == '{"audit": 1}'
        assert store.draft(made.id) is None

    def test_a_draft_changed_since_it_was_read_is_not_finished(self, store: Store) -> None:
        """Finished from a state the draft no longer holds (finished already, or changed from another
        window): nothing is written."""
        made = store.create_assessment("Acme", "en")
        store.save_draft(made.id, ANSWERS, {"mode": "review", "n": 2})
        assert store.version_from_draft(made.id, ANSWERS, {"mode": "review", "n": 1}, "{}") is None
        assert store.versions(made.id) == [] and store.draft(made.id) is not None
        assert store.version_from_draft(made.id, ANSWERS, {"mode": "review", "n": 2}, "{}") is not None
        assert store.version_from_draft(made.id, ANSWERS, {"mode": "review", "n": 2}, "{}") is None  # twice
        assert [v.number for v in store.versions(made.id)] == [1]

    def test_no_draft_is_the_empty_state(self, store: Store) -> None:
        """Answers finished from a version's (no draft written yet) are finished from the empty state."""
        made = store.create_assessment("Acme", "en")
        assert store.version_from_draft(made.id, ANSWERS, {}, "{}") is not None

    def test_a_failure_midway_leaves_everything_as_it_was(self, store: Store,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
        """A failure after the version is written (here, writing its record) takes the version back and
        keeps the draft: no finished questionnaire is left half stored, none stored twice."""
        made = store.create_assessment("Acme", "en")
        store.save_draft(made.id, ANSWERS, {"mode": "review"})

        def failing(*args: object) -> None:
            raise sqlite3.OperationalError("disk I/O error")

        monkeypatch.setattr(Store, "_put_record", staticmethod(failing))
        with pytest.raises(StoreError):
            store.version_from_draft(made.id, ANSWERS, {"mode": "review"}, "{}")
        monkeypatch.undo()
        assert store.versions(made.id) == []
        draft = store.draft(made.id)
        assert draft is not None and draft.state == {"mode": "review"}


class TestOverrides:
    def test_history_is_kept_and_the_latest_holds(self, store: Store) -> None:
        """Overriding a flow twice keeps both, oldest first; the latest is the one that holds."""
        aid = store.create_assessment("a", "en").id
        store.add_version(aid, ANSWERS, audit_json="{}")
        store.add_version(aid, ANSWERS, audit_json="{}")
        first = store.override_with_record(aid, 1, "billing", "outsource", "cheaper", "Ana", same_record)
        other = store.override_with_record(aid, 1, "sales", "keep_internal", "brand", "Ana", same_record)
        latest = store.override_with_record(aid, 1, "billing", "hybrid", "union agreement", "Bruno", same_record)
        assert store.overrides(aid, 1) == [first, other, latest]
        assert store.current_overrides(aid, 1) == {"billing": latest, "sales": other}
        assert store.overrides(aid, 2) == []
        assert (latest.reason, latest.author) == ("union agreement", "Bruno")

    def test_override_of_a_missing_version_is_refused(self, store: Store) -> None:
        """An override names a version that exists."""
        aid = store.create_assessment("a", "en").id
        with pytest.raises(UnknownAssessmentError, match="no version 1"):
            store.override_with_record(aid, 1, "billing", "outsource", "x", "y", same_record)


class TestScratch:
    def test_scratch_copy(self, store: Store) -> None:
        """The what-if copy is saved, replaced and discarded apart from the versions."""
        aid = store.create_assessment("a", "en").id
        assert store.scratch(aid) is None
        store.save_scratch(aid, "a: 1\n")
        store.save_scratch(aid, "a: 2\n")
        assert store.scratch(aid) == "a: 2\n"
        store.discard_scratch(aid)
        assert store.scratch(aid) is None and store.versions(aid) == []


class TestFile:
    def test_created_with_its_folder_in_wal_mode(self, tmp_path: Path) -> None:
        """Opening a missing file creates it (and its folder) in WAL mode at the current schema."""
        path = tmp_path / "deep" / "er" / "w.db"
        Store.open(path).close()
        connection = sqlite3.connect(path)
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        connection.close()

    def test_connections_use_foreign_keys_and_wait_for_writers(self, store: Store) -> None:
        """Each connection enforces foreign keys and waits for a busy writer."""
        connection = store._connection()
        assert connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert connection.execute("PRAGMA busy_timeout").fetchone()[0] == store_module.BUSY_TIMEOUT_MS

    def test_each_thread_has_its_own_connection(self, store: Store) -> None:
        """The store may be shared by threads: each uses a connection of its own."""
        seen: list[sqlite3.Connection] = []
        thread = threading.Thread(target=lambda: seen.append(store._connection()))
        thread.start()
        thread.join()
        assert seen[0] is not store._connection()

    def test_a_forked_process_uses_a_connection_of_its_own(self, store: Store) -> None:
        """A store opened before a fork works in the child (with a new connection) and, after the child
        closed it, still in the parent."""
        aid = store.create_assessment("a", "en").id
        child = os.fork()
        if child == 0:  # the child: write, close, leave without running the test's clean-up
            code = 1
            try:
                store.add_version(aid, ANSWERS, author="child")
                store.close()
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert [v.author for v in store.versions(aid)] == ["child"]
        store.add_version(aid, ANSWERS, author="parent")
        assert store.integrity() == []

    def test_reopened_store_keeps_everything(self, tmp_path: Path) -> None:
        """What was written is there when the file is opened again."""
        path = tmp_path / "w.db"
        with Store.open(path) as first:
            aid = first.create_assessment("a", "en").id
            first.add_version(aid, ANSWERS)
        with Store.open(path) as again:
            assert again.version(aid, 1).answers == ANSWERS  # type: ignore[union-attr]

    def test_a_closed_store_refuses_work(self, tmp_path: Path) -> None:
        """Using a store after closing it is a clear error."""
        opened = Store.open(tmp_path / "w.db")
        opened.close()
        with pytest.raises(StoreError, match="is closed"):
            opened.assessments()

    def test_missing_file_without_create(self, tmp_path: Path) -> None:
        """Opening an existing workspace (export) does not create one."""
        with pytest.raises(StoreError, match="no workspace at"):
            Store.open(tmp_path / "missing.db", create=False)
        assert not (tmp_path / "missing.db").exists()


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


class TestBadFiles:
    @pytest.mark.parametrize("content", [
        pytest.param(b"flows: []\n" * 200, id="yaml"),
        pytest.param(b"SQLite format 3\x00" + b"\xff" * 4000, id="damaged-header"),
        pytest.param(bytes(range(256)) * 20, id="binary"),
    ])
    def test_not_a_database(self, tmp_path: Path, content: bytes) -> None:
        """A file that is not an SQLite database is named in a user error, and left as it was."""
        path = _write_bytes(tmp_path / "answers.db", content)
        with pytest.raises(StoreError) as raised:
            Store.open(path)
        assert raised.value.exit_code == 2
        assert str(path) in raised.value.report() and "not an Arbitre workspace" in raised.value.report()
        assert path.read_bytes() == content

    def test_database_of_another_program(self, tmp_path: Path) -> None:
        """An SQLite database with tables of its own is not taken for an (old) workspace."""
        path = tmp_path / "other.db"
        connection = sqlite3.connect(path)
        connection.execute("CREATE TABLE photos (id INTEGER)")
        connection.commit()
        connection.close()
        with pytest.raises(StoreError, match="of another program, not an Arbitre workspace"):
            Store.open(path)

    def test_a_directory(self, tmp_path: Path) -> None:
        """A folder given as the database is a clear error."""
        with pytest.raises(StoreError, match="is a directory"):
            Store.open(tmp_path)

    def test_from_a_newer_arbitre(self, tmp_path: Path) -> None:
        """A workspace whose schema is newer than this version knows is refused, saying so."""
        path = tmp_path / "w.db"
        Store.open(path).close()
        connection = sqlite3.connect(path)
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        connection.close()
        with pytest.raises(StoreError, match=rf"written by a newer Arbitre \(workspace schema {SCHEMA_VERSION + 1}, "
                                             rf"this version knows up to {SCHEMA_VERSION}\)"):
            Store.open(path)


class TestMigrations:
    def test_an_older_workspace_is_upgraded_keeping_its_data(self, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
        """Opening a workspace written at an older schema applies the later steps, in order, once."""
        path = tmp_path / "w.db"
        with Store.open(path) as old:
            aid = old.create_assessment("kept", "fr").id
        later = (*store_module.MIGRATIONS,
                 ("ALTER TABLE assessments ADD COLUMN client TEXT NOT NULL DEFAULT ''",),
                 ("CREATE TABLE tags (assessment_id TEXT NOT NULL REFERENCES assessments (id), tag TEXT)",))
        monkeypatch.setattr(store_module, "MIGRATIONS", later)
        monkeypatch.setattr(store_module, "SCHEMA_VERSION", len(later))
        with Store.open(path) as upgraded:
            assert upgraded.assessment(aid).name == "kept"  # type: ignore[union-attr]
        with Store.open(path):  # opening again applies nothing twice
            pass
        connection = sqlite3.connect(path)
        assert connection.execute("PRAGMA user_version").fetchone()[0] == len(later)
        assert connection.execute("SELECT client FROM assessments").fetchall() == [("",)]
        connection.close()

    def test_a_failing_step_leaves_the_workspace_as_it_was(self, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
        """Migrations run in one transaction: a step that fails undoes the steps before it."""
        path = tmp_path / "w.db"
        Store.open(path).close()
        later = (*store_module.MIGRATIONS, ("CREATE TABLE fine (x)",), ("CREATE TABLE broken (",))
        monkeypatch.setattr(store_module, "MIGRATIONS", later)
        monkeypatch.setattr(store_module, "SCHEMA_VERSION", len(later))
        with pytest.raises(StoreError):
            Store.open(path)
        connection = sqlite3.connect(path)
        assert connection.execute("PRAGMA user_version").fetchone()[0] == len(later) - 2
        assert connection.execute("SELECT count(*) FROM sqlite_master WHERE name = 'fine'").fetchone()[0] == 0
        connection.close()


class TestSecrets:
    def test_a_secret_is_made_once_and_kept_by_the_file(self, tmp_path: Path) -> None:
        """A workspace's secret is 32 random bytes, the same each time the file is opened (here by two
        processes at once, each opening it fresh), another in another workspace."""
        path = tmp_path / "w.db"
        Store.open(path).close()
        script = ("import sys; from pathlib import Path; from web.store import Store; "
                  "s = Store.open(Path(sys.argv[1])); print(s.secret('csrf').hex()); s.close()")
        runs = [subprocess.Popen([sys.executable, "-c", script, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
                for _ in range(2)]
        made = {run.communicate(timeout=60)[0].strip() for run in runs}
        with Store.open(path) as again, Store.open(tmp_path / "other.db") as other:
            assert made == {again.secret("csrf").hex()} and len(again.secret("csrf")) == 32
            assert other.secret("csrf") != again.secret("csrf")

    def test_a_schema_1_workspace_gains_its_secrets_keeping_its_data(self, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
        """A workspace written before the secrets table (schema 1) is upgraded on opening, its
        assessments kept."""
        path = tmp_path / "w.db"
        monkeypatch.setattr(store_module, "MIGRATIONS", store_module.MIGRATIONS[:1])
        monkeypatch.setattr(store_module, "SCHEMA_VERSION", 1)
        with Store.open(path) as old:
            aid = old.create_assessment("kept", "fr").id
        monkeypatch.undo()
        with Store.open(path) as upgraded:
            assert upgraded.assessment(aid).name == "kept"  # type: ignore[union-attr]
            assert len(upgraded.secret("csrf")) == 32
        connection = sqlite3.connect(path)
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
        connection.close()


class TestDefaultPath:
    def test_environment_variable_wins(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """$ARBITRE_DB names the workspace when it is set."""
        monkeypatch.setenv("ARBITRE_DB", str(tmp_path / "mine.db"))
        assert default_path() == tmp_path / "mine.db"

    def test_user_data_directory_otherwise(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """Without it, the workspace lives in the user's data directory."""
        monkeypatch.delenv("ARBITRE_DB", raising=False)
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
        assert default_path() == tmp_path / "arbitre" / "workspace.db"


WRITER = Path(__file__).resolve().parent / "workspace_writer.py"


def _writer(db: Path, aid: str, user: str, total: int, go: Path | None = None) -> subprocess.Popen[str]:
    """A separate process answering into the workspace (tests/workspace_writer.py)."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, str(WRITER), str(db), aid, user, str(total), *([str(go)] if go else [])],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)


def _answered(answers: str) -> list[str]:
    return [line.split(":")[0] for line in answers.splitlines()]


class TestConcurrentUsers:
    QUESTIONS = 15

    def test_twenty_users_lose_no_answer(self, tmp_path: Path) -> None:
        """Twenty users answer at once, ten in threads sharing one store and ten in processes of their
        own, some on their own assessment and some on one shared assessment: afterwards every answer
        of every user is in its draft exactly once, every version has its own number, and the file is
        sound."""
        db = tmp_path / "workspace.db"
        go = tmp_path / "go"
        store = Store.open(db)
        shared = store.create_assessment("shared workshop", "fr").id
        users = [f"u{n:02d}" for n in range(20)]
        target = {user: shared if n % 2 else store.create_assessment(f"own {user}", "en").id
                  for n, user in enumerate(users)}
        in_threads, in_processes = users[:10], users[10:]
        processes = [_writer(db, target[user], user, self.QUESTIONS, go) for user in in_processes]
        failures: list[BaseException] = []

        def user_in_thread(user: str) -> None:
            try:
                while not go.exists():
                    time.sleep(0.01)
                for number in range(1, self.QUESTIONS + 1):
                    workspace_writer.answer(store, target[user], user, number)
                version = store.add_version(target[user], store.draft(target[user]).answers,  # type: ignore[union-attr]
                                            author=user, audit_json="{}")
                store.override_with_record(target[user], version.number, "billing", "hybrid", f"decided by {user}",
                                           user, same_record)
            except BaseException as exc:  # reported by the test below
                failures.append(exc)

        threads = [threading.Thread(target=user_in_thread, args=(user,)) for user in in_threads]
        for thread in threads:
            thread.start()
        go.touch()
        for thread in threads:
            thread.join()
        outputs = [process.communicate(timeout=300) for process in processes]
        assert failures == []
        assert [process.returncode for process in processes] == [0] * 10, [err for _, err in outputs]

        for user in users:
            draft = store.draft(target[user])
            assert draft is not None
            mine = [key for key in _answered(draft.answers) if key.startswith(f"{user}_")]
            assert mine == [f"{user}_q{n}" for n in range(1, self.QUESTIONS + 1)], user
            assert [key for key in draft.state["answered"] if key.startswith(f"{user}_")] == mine
        shared_draft = store.draft(shared)
        assert shared_draft is not None and len(_answered(shared_draft.answers)) == 10 * self.QUESTIONS
        assert [v.number for v in store.versions(shared)] == list(range(1, 11))
        assert sorted(v.author for v in store.versions(shared)) == sorted(u for u in users if target[u] == shared)
        assert sum(len(store.overrides(shared, n)) for n in range(1, 11)) == 10
        assert store.integrity() == []
        store.close()


class TestKilledWriter:
    def test_kill_during_writes_loses_nothing_committed(self, tmp_path: Path) -> None:
        """A writer killed with SIGKILL in the middle of its writes, three times over: the file stays
        sound, and every answer and version it reported committed is there when the store is opened again."""
        db = tmp_path / "workspace.db"
        with Store.open(db) as store:
            aid = store.create_assessment("killed", "en").id
        committed: list[str] = []
        versions: list[int] = []
        for round_ in range(3):
            writer = _writer(db, aid, f"w{round_}", 0)
            assert writer.stdout is not None
            seen = 0
            for line in writer.stdout:  # killed once it has committed a good number of answers
                kind, user, number = line.split()
                (committed.append(f"{user}_q{number}") if kind == "committed" else versions.append(int(number)))
                seen += kind == "committed"
                if seen == 45 + 7 * round_:
                    writer.send_signal(signal.SIGKILL)
                    break
            rest, _ = writer.communicate(timeout=60)
            assert writer.returncode == -signal.SIGKILL
            for line in rest.splitlines():  # what it printed before the signal landed
                kind, user, number = line.split()
                (committed.append(f"{user}_q{number}") if kind == "committed" else versions.append(int(number)))
            with Store.open(db) as reopened:
                assert reopened.integrity() == []
                draft = reopened.draft(aid)
                assert draft is not None
                held = _answered(draft.answers)
                assert [key for key in committed if key not in held] == []
                assert set(versions) <= {v.number for v in reopened.versions(aid)}
                assert held == draft.state["answered"]  # answers and state written together, or neither
        assert len(versions) >= 12


def test_an_assessment_made_with_its_first_version_in_one_go(tmp_path: Path) -> None:
    """An assessment created with answers has them as version 1 from the start (one transaction: an
    upload never leaves an empty assessment behind)."""
    with Store.open(tmp_path / "w.db") as store:
        created = store.create_assessment("Uploaded", "fr", answers="organisation: {}\n", author="Ana", note="from x")
        [version] = store.versions(created.id)
        assert (version.number, version.answers, version.author, version.note) == (1, "organisation: {}\n", "Ana",
                                                                                   "from x")
        assert store.add_version(created.id, "flows: []\n").number == 2
