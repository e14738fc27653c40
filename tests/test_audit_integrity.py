"""What ``arbitre explain`` trusts in an audit record: nothing before the record is checked.

A record is checked against its schema before any use, so a record of the wrong shape is a user
error even when whoever edited it computed its digest again ("re-sealed" it, as anyone can). Only a
signature made with a key the user holds tells an edit by someone without the key. The commands run
in-process through click's runner, on one record of the small answers fixture.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml
from click.testing import CliRunner, Result

from cli import main

FIXTURES = Path(__file__).parent / "audit"
MINIMAL = FIXTURES / "minimal.yaml"
KEY = secrets.token_hex(16).encode()  # printable, so that a test can tell it is never printed
FLOW = "bare"
# explain, explain --verify and explain --why-not: each must refuse a record that is not sound
COMMANDS = {"explain": (), "verify": ("--verify",), "why-not": ("--flow", FLOW, "--why-not", "keep_internal")}


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def refused(result: Result, *fragments: str) -> None:
    """Exit 2, every fragment in the message, nothing explained and no traceback."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    for fragment in fragments:
        assert fragment in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


def reseal(data: dict[str, Any], key: bytes | None = None) -> dict[str, Any]:
    """The record with its digest computed again, as anyone can (and signed again with ``key``):
    SHA-256 of the canonical JSON (keys sorted, no spaces, UTF-8) without the digest and signature."""
    body = {name: value for name, value in data.items() if name not in ("digest", "signature")}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    out = {**body, "digest": "sha256:" + hashlib.sha256(canonical).hexdigest()}
    if key is not None:
        out["signature"] = "hmac-sha256:" + hmac.new(key, canonical, hashlib.sha256).hexdigest()
    return out


def key_file(folder: Path, content: bytes = KEY, mode: int = 0o600) -> Path:
    path = folder / "arbitre.key"
    path.write_bytes(content)
    path.chmod(mode)
    return path


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A record signed by ``recommend --audit --key-file``, its key, and the same record unsigned."""
    folder = tmp_path_factory.mktemp("integrity")
    key, signed = key_file(folder), folder / "signed.json"
    result = run("recommend", MINIMAL, "--audit", signed, "--key-file", key)
    assert result.exit_code == 0, result.output
    assert "(signed)" in result.stderr
    data = json.loads(signed.read_text(encoding="utf-8"))
    unsigned = {name: value for name, value in data.items() if name != "signature"}
    return {"key": key, "signed": signed, "data": data, "unsigned": unsigned}


def write(folder: Path, data: dict[str, Any], name: str = "record.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def edited(data: dict[str, Any], edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    copy = json.loads(json.dumps(data))
    edit(copy)
    return reseal(copy)


def _set(path: tuple[str | int, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        node = data
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value
    return edit


def _pop(path: tuple[str | int, ...]) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        node = data
        for step in path[:-1]:
            node = node[step]
        del node[path[-1]]
    return edit


POINT = {"field": "colour", "direction": "below", "current": 1.0, "value": 0.5, "unchanged_at": 0.6,
         "decision": "outsource", "split": []}
# Re-sealed records of the wrong shape: the edit, and the field path the message must name.
WRONG_SHAPES = [
    pytest.param(_set(("policy", "rules", 0, "when"), {"all": []}), "policy.rules[0].when", id="empty-all"),
    pytest.param(_set(("policy", "rules", 0, "then"), {}), "policy.rules[0].then", id="rule-concludes-nothing"),
    pytest.param(_set(("answers", "flows", 0, "languages"), "fr"), "answers.flows[0].languages", id="languages-text"),
    pytest.param(_set(("answers", "flows", 0, "monthly_volume"), -5), "answers.flows[0].monthly_volume",
                 id="negative-volume"),
    pytest.param(_set(("flows", 0, "metrics", "hidden_cost"), None), "flows[0].metrics.hidden_cost",
                 id="hidden-cost-null"),
    pytest.param(_pop(("flows", 0, "metrics", "paid_hours")), "flows[0].metrics.paid_hours", id="metric-missing"),
    pytest.param(_set(("flows", 0, "metrics", "agents_busy_hour"), 3), "flows[0].metrics",
                 id="agents-without-service-level"),
    pytest.param(_set(("flows", 0, "monthly_volume"), 0), "flows[0].monthly_volume", id="no-volume"),
    pytest.param(_pop(("flows", 0, "scores", "hybrid")), "flows[0].scores.hybrid", id="score-missing"),
    pytest.param(_pop(("policy", "cost_model", "shrinkage")), "policy.cost_model.shrinkage", id="assumption-missing"),
    pytest.param(_set(("flows", 0, "tipping_points"), {"points": [POINT], "flips": []}),
                 "flows[0].tipping_points.points[0].field", id="unknown-lever"),
    pytest.param(_set(("flows", 0, "tipping_points"), {"points": [{**POINT, "field": "aht_seconds", "unit": "x"}],
                                                       "flips": []}),
                 "flows[0].tipping_points.points[0].unit", id="unknown-unit"),
]


class TestWrongShape:
    @pytest.mark.parametrize("command", list(COMMANDS))
    @pytest.mark.parametrize(("edit", "where"), WRONG_SHAPES)
    def test_refused_before_any_use(self, made: dict[str, Any], tmp_path: Path, command: str,
                                    edit: Callable[[dict[str, Any]], None], where: str) -> None:
        """The same located message from every command, though the digest matches the content."""
        path = write(tmp_path, edited(made["unsigned"], edit))
        refused(run("explain", path, *COMMANDS[command]), "does not follow its schema", f"{where}")

    @pytest.mark.parametrize(("place", "written", "expected"), [
        # the reader refuses a number too large at its line, before the record is looked at
        (("flows", 0, "margin"), "1e400", ("record.json:", "the number '1e400' is not a finite number")),
        (("organisation",), '"\\ud800"', ("holds a value JSON cannot carry", "organisation: ", "a lone surrogate")),
    ], ids=["number-out-of-range", "lone-surrogate"])
    def test_a_value_json_cannot_carry(self, made: dict[str, Any], tmp_path: Path, place: tuple[str | int, ...],
                                       written: str, expected: tuple[str, ...]) -> None:
        """Whatever digest it carries, the record is refused at the value, not while computing one."""
        marker = "MARKER-9f1c"
        text = json.dumps(edited(made["unsigned"], _set(place, marker)), indent=1)
        path = tmp_path / "record.json"
        path.write_text(text.replace(f'"{marker}"', written), encoding="utf-8")
        for args in COMMANDS.values():
            refused(run("explain", path, *args), *expected)


    @pytest.mark.parametrize("written", ["1e400", "nan", "-inf"])
    def test_a_number_written_as_text_that_is_not_finite(self, made: dict[str, Any], tmp_path: Path,
                                                         written: str) -> None:
        """Text the schema reads as a number ("1e400", as YAML reads a plain 1e400) is refused at its
        field once read, not printed as inf nor failing the JSON output."""
        path = write(tmp_path, edited(made["unsigned"], _set(("flows", 0, "margin"), written)))
        for args in [*COMMANDS.values(), ("--format", "json")]:
            refused(run("explain", path, *args), "holds a value JSON cannot carry", "flows[0].margin: ",
                    "not a finite number")

class TestYamlRecord:
    def test_read_like_json(self, made: dict[str, Any], tmp_path: Path) -> None:
        """A record kept as YAML is the same record: it explains as the JSON one does."""
        path = tmp_path / "record.yaml"
        path.write_text(yaml.safe_dump(made["unsigned"], allow_unicode=True), encoding="utf-8")
        as_json = run("explain", write(tmp_path, made["unsigned"]))
        as_yaml = run("explain", path)
        assert as_yaml.exit_code == as_json.exit_code == 0, as_yaml.output
        assert as_yaml.stdout == as_json.stdout

    @pytest.mark.parametrize(("text", "message"), [
        ("format: arbitre-audit-record\nx: !!python/object/apply:os.system [echo]\n", "tag"),
        ("format: arbitre-audit-record\nmargin: .inf\n", "margin: inf is not a finite number"),
        ("format: arbitre-audit-record\nanswers: {1: one}\n", "answers: has the key '1'; keys are text"),
        ("format: arbitre-audit-record\nx:\n" + "".join(
            f"  - &a{i} [{', '.join([f'*a{i - 1}' if i else 'lol'] * 9)}]\n" for i in range(10)),
         "aliases expand the value that starts here"),
    ], ids=["python-tag", "infinity", "number-key", "aliases-of-aliases"])
    def test_through_the_safe_loader(self, tmp_path: Path, text: str, message: str) -> None:
        path = tmp_path / "record.yaml"
        path.write_text(text, encoding="utf-8")
        refused(run("explain", path), str(path), message)


def forged(data: dict[str, Any]) -> dict[str, Any]:
    """A signed record given an override and an earlier date, its digest computed again."""
    def edit(copy: dict[str, Any]) -> None:
        copy["flows"][0]["override"] = {"decision": "keep_internal", "reason": "Board decision"}
        copy["created_at"] = "2020-01-01T09:00:00Z"
    return {**edited(data, edit), "signature": data["signature"]}


class TestSignature:
    def test_a_signed_record_checks(self, made: dict[str, Any]) -> None:
        result = run("explain", made["signed"], "--verify", "--key-file", made["key"])
        assert result.exit_code == 0, result.output
        assert "Same decisions" in result.stdout
        assert f"the record's signature matches the key in {made['key']}" in result.stderr

    def test_a_forged_record_is_refused(self, made: dict[str, Any], tmp_path: Path) -> None:
        """A re-sealed record passes the digest; with the key, every command refuses it."""
        path = write(tmp_path, forged(made["data"]))
        for args in COMMANDS.values():
            refused(run("explain", path, *args, "--key-file", made["key"]),
                    "the signature does not match: the record was changed after it was signed, or the key differs")

    def test_without_the_key_a_signed_record_is_not_checked(self, made: dict[str, Any], tmp_path: Path) -> None:
        """The digest alone cannot tell the forgery: the command says the signature went unchecked."""
        result = run("explain", write(tmp_path, forged(made["data"])), "--verify")
        assert result.exit_code == 0, result.output
        assert "the record is signed; its signature was not checked" in result.stderr

    def test_another_key_is_refused(self, made: dict[str, Any], tmp_path: Path) -> None:
        other = key_file(tmp_path, secrets.token_bytes(32))
        refused(run("explain", made["signed"], "--key-file", other), "the signature does not match")

    def test_an_unsigned_record_with_a_key_is_refused(self, made: dict[str, Any], tmp_path: Path) -> None:
        """Removing the signature does not escape the check: a key asks for one."""
        refused(run("explain", write(tmp_path, made["unsigned"]), "--verify", "--key-file", made["key"]),
                "is not signed")

    def test_an_unsigned_record_explains_and_verifies_as_before(self, made: dict[str, Any], tmp_path: Path) -> None:
        path = write(tmp_path, made["unsigned"])
        for args in (("--verify",), ()):
            result = run("explain", path, *args)
            assert result.exit_code == 0, result.output
            assert "signature" not in result.stderr

    def test_the_key_is_never_printed(self, made: dict[str, Any], tmp_path: Path) -> None:
        results = [run("explain", made["signed"], "--key-file", made["key"]),
                   run("explain", write(tmp_path, forged(made["data"])), "--key-file", made["key"]),
                   run("explain", made["signed"], "--key-file", key_file(tmp_path, KEY[:10]))]
        for result in results:
            assert KEY[:10].decode() not in result.output


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
class TestKeyFile:
    @pytest.mark.parametrize(("content", "mode", "message"), [
        (b"", 0o600, "holds 0 bytes; a key needs at least 16"),
        (b"short key", 0o600, "holds 9 bytes; a key needs at least 16"),
        (KEY, 0o644, "other users may read or change it (mode 644); make it private: chmod 600"),
        (KEY, 0o620, "other users may read or change it (mode 620)"),
        (b"k" * 5000, 0o600, "holds more than 4096 bytes: is it the key file?"),
    ], ids=["empty", "short", "world-readable", "group-writable", "huge"])
    def test_refused_to_sign_and_to_check(self, made: dict[str, Any], tmp_path: Path, content: bytes, mode: int,
                                          message: str) -> None:
        key = key_file(tmp_path, content, mode)
        refused(run("explain", made["signed"], "--key-file", key), f"cannot use the key file {key}", message)
        refused(run("recommend", MINIMAL, "--audit", tmp_path / "r.json", "--key-file", key), message)
        assert not (tmp_path / "r.json").exists()

    @pytest.mark.parametrize(("name", "message"), [("absent.key", "no such key file"),
                                                   (os.devnull, "is not a regular file")], ids=["absent", "device"])
    def test_not_a_key_file(self, made: dict[str, Any], tmp_path: Path, name: str, message: str) -> None:
        """A device is refused before it is read (a key read from a stream could be endless)."""
        refused(run("explain", made["signed"], "--key-file", tmp_path / name), "cannot use the key file", message)

    def test_a_key_needs_a_record_to_sign(self, made: dict[str, Any]) -> None:
        refused(run("recommend", MINIMAL, "--key-file", made["key"]), "--key-file signs the audit record")

    def test_the_record_cannot_replace_the_key(self, made: dict[str, Any]) -> None:
        refused(run("recommend", MINIMAL, "--audit", made["key"], "--key-file", made["key"]), "the same file")


class TestSize:
    def test_a_record_too_large_to_read_back_is_not_written(self, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
        """What ``explain`` would refuse to read, ``recommend --audit`` refuses to write, saying what to do."""
        import engine.analysis.audit as audit

        monkeypatch.setattr(audit, "MAX_RECORD_BYTES", 1000)
        record = tmp_path / "record.json"
        result = run("recommend", MINIMAL, "--audit", record, "--no-tipping-points")
        assert result.exit_code == 2, result.output
        assert "a record may hold" in result.stderr and "--flow" in result.stderr
        assert not record.exists()

    def test_a_file_larger_than_a_record_may_be_is_refused_unread(self, made: dict[str, Any], tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
        import engine.analysis.audit as audit

        monkeypatch.setattr(audit, "MAX_RECORD_BYTES", 1000)
        refused(run("explain", write(tmp_path, made["unsigned"])), "the most Arbitre reads in one audit record")
