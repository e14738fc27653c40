"""Which files ``arbitre recommend FOLDER`` takes: answers files, not the other YAML and JSON files kept
beside them (an import mapping, a bid, a policy), which are named on standard error and left out. A file
named on its own is always read, whatever it holds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import arbitre_in_process

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def test_the_bundled_examples_folder_recommends_every_answers_file() -> None:
    """examples/ holds four answers files and the telephony import's mapping: four files are
    recommended, the mapping is named as left out, and the run succeeds."""
    run = arbitre_in_process("recommend", EXAMPLES, "--format", "jsonl")
    assert run.returncode == 0, run.stderr
    files = sorted(Path(json.loads(line)["file"]).name for line in run.stdout.splitlines())
    assert files == sorted(p.name for p in EXAMPLES.glob("*.yaml"))
    assert "left out 1 file that is not answers" in run.stderr and "acme-mapping.yaml" in run.stderr


@pytest.mark.parametrize("name, text", [
    ("mapping.yaml", "columns: {queue: File}\nflows:\n  orders: {queues: [Q1]}\n"),
    ("policy.yaml", "parameters:\n  x: {value: 1, source: s}\n"),
    ("package.json", '{"name": "x", "flows": {"a": 1}}'),
    ("counts.yaml", "flows: 3\n"),
], ids=["import-mapping", "policy-file", "json-other", "no-list-of-flows"])
def test_other_files_in_a_folder_are_left_out(tmp_path: Path, name: str, text: str) -> None:
    """An import mapping, a policy file, another program's JSON, a file without a list of flows: named on
    standard error, left out, and the run goes on with the answers files."""
    shutil.copy(EXAMPLES / "acme-retail.yaml", tmp_path / "acme.yaml")
    (tmp_path / name).write_text(text, encoding="utf-8")
    run = arbitre_in_process("recommend", tmp_path, "--format", "jsonl")
    assert run.returncode == 0, run.stderr
    assert [Path(json.loads(line)["file"]).name for line in run.stdout.splitlines()] == ["acme.yaml"]
    assert name in run.stderr


@pytest.mark.parametrize("text, expected", [
    ("organisation: {country: FR}\nflows: {a: 1}\n", "flows"),
    ("flows: {a: 1}\norganisation: {country: FR}\n", "flows"),
    ("base: &flows [{id: a}]\nflows: *flows\n", ""),
    ("flows: [\n", ""),
    ("- a\n- b\n", ""),
], ids=["organisation-given", "organisation-after-flows", "flows-an-alias", "broken-yaml", "a-list"])
def test_answers_with_a_mistake_are_still_read_and_reported(tmp_path: Path, text: str, expected: str) -> None:
    """A file meant as answers (it names an organisation), YAML that cannot be read, or a top level that is
    not a mapping, is read and its problem reported, exit 2: such a mistake is never left out."""
    shutil.copy(EXAMPLES / "acme-retail.yaml", tmp_path / "acme.yaml")
    (tmp_path / "client.yaml").write_text(text, encoding="utf-8")
    run = arbitre_in_process("recommend", tmp_path, "--format", "jsonl")
    assert run.returncode == 2 and "client.yaml" in run.stderr and expected in run.stderr


def test_a_file_named_on_its_own_is_always_read() -> None:
    """Named on the command line (or matched by a glob), a file is read whatever it holds."""
    run = arbitre_in_process("recommend", EXAMPLES / "acd" / "acme-mapping.yaml")
    assert run.returncode == 2 and "flows: a mapping is not a list" in run.stderr


def test_a_large_file_in_a_folder_is_read_and_its_size_reported(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A file above the peek's size is taken as answers without reading it through, so that the reader
    reports it (here: not answers) rather than a long silent peek leaving it out."""
    from engine import answers

    shutil.copy(EXAMPLES / "acme-retail.yaml", tmp_path / "acme.yaml")
    (tmp_path / "dump.json").write_text(json.dumps({"rows": list(range(2000))}), encoding="utf-8")
    monkeypatch.setattr(answers, "PEEK_BYTES", 1000)
    run = arbitre_in_process("recommend", tmp_path, "--format", "jsonl")
    assert run.returncode == 2 and "dump.json" in run.stderr and "left out" not in run.stderr
