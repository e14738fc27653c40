"""The command line, run for real: the installed ``arbitre`` entry point in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli import main

GOLDEN_ANSWERS = Path(__file__).parent / "golden" / "answers.yaml"
ARBITRE = Path(sys.executable).parent / "arbitre"


def arbitre(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed entry point and capture what it prints."""
    return subprocess.run([str(ARBITRE), *map(str, args)], capture_output=True, text=True, timeout=60, cwd=cwd)


class TestRecommend:
    def test_text_names_every_flow_and_its_decision(self) -> None:
        """The default output is text with a decision per flow."""
        run = arbitre("recommend", GOLDEN_ANSWERS)
        assert run.returncode == 0, run.stderr
        assert "Order taking (orders)" in run.stdout
        assert "Decision: OUTSOURCE" in run.stdout
        assert "Decision: KEEP IN-HOUSE" in run.stdout

    def test_json_follows_the_contract(self) -> None:
        """--format json has the policy and, per flow, the contract fields of docs/domain.md."""
        run = arbitre("recommend", GOLDEN_ANSWERS, "--format", "json")
        assert run.returncode == 0, run.stderr
        data = json.loads(run.stdout)
        assert set(data["policy"]) == {"name", "version", "digest"}
        assert data["policy"]["digest"].startswith("sha256:")
        flows = {f["id"]: f for f in data["flows"]}
        assert list(flows) == ["orders", "key-accounts", "complaints"]
        for flow in flows.values():
            assert {"id", "decision", "split", "scores", "fired_rules", "explanation"} <= set(flow)
            assert flow["decision"] in {"outsource", "hybrid", "keep_internal"}
            assert set(flow["scores"]) == {"outsource", "hybrid", "keep_internal"}
        assert flows["orders"]["decision"] == "outsource"
        assert "CLS-12" in flows["orders"]["fired_rules"]
        assert flows["orders"]["metrics"]["savings_pct"] > 15

    def test_json_says_the_currency_of_its_amounts(self) -> None:
        """--format json names the organisation's currency at the top and in each flow's costs: the
        amounts mean nothing without it."""
        run = arbitre("recommend", GOLDEN_ANSWERS, "--format", "json")
        assert run.returncode == 0, run.stderr
        data = json.loads(run.stdout)
        assert data["currency"] == "EUR"
        assert {flow["costs"]["currency"] for flow in data["flows"]} == {"EUR"}

    def test_french_markdown(self) -> None:
        """--lang fr --format markdown speaks French in Markdown."""
        run = arbitre("recommend", GOLDEN_ANSWERS, "--lang", "fr", "--format", "markdown")
        assert run.returncode == 0, run.stderr
        assert run.stdout.startswith("# Recommandation Arbitre")
        assert "**Décision\u202f: EXTERNALISER**" in run.stdout

    def test_one_flow(self) -> None:
        """--flow ID recommends on that flow only."""
        run = arbitre("recommend", GOLDEN_ANSWERS, "--flow", "complaints", "--format", "json")
        assert [f["id"] for f in json.loads(run.stdout)["flows"]] == ["complaints"]

    def test_unknown_flow_is_a_user_error(self) -> None:
        """An unknown --flow id exits 2 and lists the flows."""
        run = arbitre("recommend", GOLDEN_ANSWERS, "--flow", "nope")
        assert run.returncode == 2
        assert "no flow with that id" in run.stderr and "orders, key-accounts, complaints" in run.stderr

    def test_out_writes_the_file(self, tmp_path: Path) -> None:
        """--out writes the result to a file and nothing else is left beside it."""
        out = tmp_path / "rec.md"
        run = arbitre("recommend", GOLDEN_ANSWERS, "--format", "markdown", "--out", out)
        assert run.returncode == 0, run.stderr
        assert run.stdout == ""
        assert out.read_text(encoding="utf-8").startswith("# Arbitre recommendation")
        assert [p.name for p in tmp_path.iterdir()] == ["rec.md"]

    def test_out_into_a_missing_folder_is_a_user_error(self, tmp_path: Path) -> None:
        """Writing into a folder that does not exist exits 2 with the path."""
        run = arbitre("recommend", GOLDEN_ANSWERS, "--out", tmp_path / "no" / "rec.txt")
        assert run.returncode == 2
        assert "cannot write" in run.stderr and "Traceback" not in run.stderr

    def test_out_on_a_write_protected_file_is_refused(self, tmp_path: Path) -> None:
        """--out on a read-only file (mode 444) exits 2 and leaves the file as it was, as cp would."""
        out = tmp_path / "rec.txt"
        out.write_text("kept", encoding="utf-8")
        out.chmod(0o444)
        run = arbitre("recommend", GOLDEN_ANSWERS, "--out", out)
        assert run.returncode == 2
        assert f"{out}: is write-protected" in run.stderr and "Traceback" not in run.stderr
        assert out.read_text(encoding="utf-8") == "kept"

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing answers file exits 2 and names it."""
        run = arbitre("recommend", tmp_path / "absent.yaml")
        assert run.returncode == 2
        assert f"{tmp_path / 'absent.yaml'}: no such answers file" in run.stderr

    def test_bad_policy_directory(self, tmp_path: Path) -> None:
        """A policy directory without policy.yaml exits 2."""
        run = arbitre("recommend", GOLDEN_ANSWERS, "--policy", tmp_path)
        assert run.returncode == 2
        assert "policy.yaml: no such policy file" in run.stderr

    def test_bad_option_value(self) -> None:
        """An option value outside its choices exits 2 with the choices."""
        run = arbitre("recommend", GOLDEN_ANSWERS, "--format", "pdf")
        assert run.returncode == 2
        assert "'pdf' is not one of 'text', 'markdown', 'json'" in run.stderr


FULL_DISK = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full (a device that is always full)")


class TestOutputsThatCannotBeWritten:
    """A full disk, a killed run: the user is told which output failed, and nothing half-written is left."""

    @pytest.fixture()
    def one_flow(self, tmp_path: Path) -> Path:
        """A small answers file: the run is quick."""
        answers = tmp_path / "one.yaml"
        answers.write_text("flows:\n  - {id: orders, name: Orders, channel: phone, monthly_volume: 9000, "
                           "aht_seconds: 240}\n", encoding="utf-8")
        return answers

    @FULL_DISK
    def test_out_on_a_full_disk_is_a_user_error_and_leaves_no_audit_record(self, tmp_path: Path,
                                                                             one_flow: Path) -> None:
        """The audit record is kept only once the output it records has been written."""
        run = arbitre("recommend", one_flow, "--format", "json", "--out", "/dev/full", "--audit", tmp_path / "r.json")
        assert run.returncode == 2
        assert "cannot write /dev/full" in run.stderr and "Traceback" not in run.stderr
        assert [p.name for p in tmp_path.iterdir()] == ["one.yaml"]

    @FULL_DISK
    def test_standard_output_on_a_full_disk_is_a_user_error(self, tmp_path: Path, one_flow: Path) -> None:
        """One clear error (no second one when Python flushes at exit), and no audit record of the output."""
        with open("/dev/full", "w") as full:
            run = subprocess.run([str(ARBITRE), "recommend", str(one_flow), "--format", "json",
                                  "--audit", str(tmp_path / "r.json")],
                                 stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
        assert run.returncode == 2
        assert run.stderr == "error: cannot write to standard output: No space left on device\n"
        assert [p.name for p in tmp_path.iterdir()] == ["one.yaml"]

    @FULL_DISK
    def test_standard_output_on_a_full_disk_in_french(self, one_flow: Path) -> None:
        """Under --lang fr the same error, in French."""
        with open("/dev/full", "w") as full:
            run = subprocess.run([str(ARBITRE), "recommend", str(one_flow), "--lang", "fr"],
                                 stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
        assert run.returncode == 2
        assert run.stderr == "erreur\u202f: impossible d'écrire sur la sortie standard\u202f: plus de place sur le disque\n"

    @FULL_DISK
    @pytest.mark.parametrize("args", [["--help"], ["--version"], ["recommend", "--help"]])
    def test_help_on_a_full_disk_is_a_user_error(self, args: list[str]) -> None:
        """Where no command runs (click prints the help or the version itself), the same one clear error."""
        with open("/dev/full", "w") as full:
            run = subprocess.run([str(ARBITRE), *args], stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
        assert run.returncode == 2
        assert run.stderr == "error: cannot write to standard output: No space left on device\n"

    @staticmethod
    def _stopped_while_writing(tmp_path: Path, signum: int, ignored: tuple[int, ...] = (),
                               then: str | None = None) -> tuple[Path, int, str]:
        """A run with ``--out`` sent ``signum`` once its temporary output exists (its answers come from a
        pipe nobody writes to: the run waits there, unless ``then`` is written to it after the signal): the
        output file, which held ``old``, the run's exit code and what it printed on standard error. The run
        starts with the ending signals as a terminal gives them (not as a test run started in the background
        gives them: a shell starts ``cmd &`` ignoring SIGINT, and a signal ignored at the start stays
        ignored), but for those ``ignored``."""
        answers = tmp_path / "answers.yaml"
        os.mkfifo(answers)
        out = tmp_path / "out" / "rec.txt"
        out.parent.mkdir()
        out.write_text("old", encoding="utf-8")

        # The run inherits the dispositions this process has when it starts it: set for that moment only
        # (no code runs in the child between fork and exec, which is not safe in a process with threads).
        endings = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        saved = {ending: signal.signal(ending, signal.SIG_IGN if ending in ignored else signal.SIG_DFL)
                 for ending in endings}
        blocked = signal.pthread_sigmask(signal.SIG_UNBLOCK, endings)
        try:
            proc = subprocess.Popen([str(ARBITRE), "recommend", str(answers), "--out", str(out)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            for ending, handler in saved.items():
                signal.signal(ending, handler)
        try:
            deadline = time.monotonic() + 30
            while len(list(out.parent.iterdir())) < 2 and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            assert len(list(out.parent.iterdir())) == 2, "the temporary output never appeared"
            proc.send_signal(signum)
            if then is not None:
                _write_to_its_reader(answers, then, proc, deadline=time.monotonic() + 30)
            _, stderr = proc.communicate(timeout=30)
        finally:
            proc.kill()
            proc.communicate()
        return out, proc.returncode, stderr

    @pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name)
    def test_a_signal_during_the_run_leaves_no_temporary_file(self, tmp_path: Path, signum: signal.Signals) -> None:
        """A run stopped by a signal it can catch removes its temporary file and leaves the old output."""
        out, returncode, stderr = self._stopped_while_writing(tmp_path, signum)
        assert returncode in (128 + signum, 130), stderr
        assert "Traceback" not in stderr
        assert [p.name for p in out.parent.iterdir()] == ["rec.txt"]
        assert out.read_text(encoding="utf-8") == "old"

    @pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
    def test_a_signal_ignored_from_the_start_stays_ignored(self, tmp_path: Path, one_flow: Path,
                                                          signum: signal.Signals) -> None:
        """A run started ignoring a signal (``nohup arbitre ...``) is not ended by it: it goes on and
        writes its output."""
        then = one_flow.read_text(encoding="utf-8")
        out, returncode, stderr = self._stopped_while_writing(tmp_path, signum, ignored=(signum,), then=then)
        assert returncode == 0, stderr
        assert [p.name for p in out.parent.iterdir()] == ["rec.txt"]
        assert "Decision:" in out.read_text(encoding="utf-8")

    def test_the_next_run_removes_what_kill_9_left(self, tmp_path: Path, one_flow: Path) -> None:
        """SIGKILL cannot be caught: its temporary file stays until the same output is written again."""
        out, _, _ = self._stopped_while_writing(tmp_path, signal.SIGKILL)
        assert len(list(out.parent.iterdir())) == 2
        run = arbitre("recommend", one_flow, "--format", "json", "--out", out)
        assert run.returncode == 0, run.stderr
        assert [p.name for p in out.parent.iterdir()] == ["rec.txt"]


def _write_to_its_reader(fifo: Path, text: str, proc: subprocess.Popen[str], deadline: float) -> None:
    """Write ``text`` to the named pipe ``fifo`` once ``proc`` reads it (not waiting for a reader that
    has ended)."""
    while True:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError:  # no reader yet
            assert proc.poll() is None and time.monotonic() < deadline, "the run never read its answers"
            time.sleep(0.01)
    os.set_blocking(fd, True)
    with open(fd, "w", encoding="utf-8") as pipe:
        pipe.write(text)


class TestHelp:
    @pytest.mark.parametrize("name", sorted(main.commands))
    def test_every_command_has_help(self, name: str) -> None:
        """Every command documents itself."""
        run = arbitre(name, "--help")
        assert run.returncode == 0
        assert main.commands[name].help and main.commands[name].help.split("\n")[0] in run.stdout

    def test_version(self) -> None:
        """--version prints the package version."""
        run = arbitre("--version")
        assert run.returncode == 0 and run.stdout.startswith("arbitre ")


class TestWhatAUserMightDo:
    """Mistakes and habits found by trying the tool as a new user would."""

    @pytest.mark.parametrize("command, option", [
        ("recommend", "--out"), ("recommend", "--audit"), ("report", "--out"), ("brief", "--out")])
    def test_an_output_that_is_the_answers_file_is_refused(self, tmp_path: Path, command: str, option: str) -> None:
        answers = tmp_path / "in.yaml"
        answers.write_bytes(GOLDEN_ANSWERS.read_bytes())
        run = arbitre(command, answers, option, answers)
        assert run.returncode == 2
        assert "is the answers file being read" in run.stderr
        assert answers.read_bytes() == GOLDEN_ANSWERS.read_bytes()

    def test_out_and_audit_on_the_same_file_are_refused(self, tmp_path: Path) -> None:
        run = arbitre("recommend", GOLDEN_ANSWERS, "--out", tmp_path / "a.json", "--audit", tmp_path / "a.json")
        assert run.returncode == 2 and "name the same file" in run.stderr
        assert not (tmp_path / "a.json").exists()

    def test_a_reader_that_stops_reading_ends_the_command_quietly(self) -> None:
        examples = Path(__file__).resolve().parent.parent / "examples"
        shell = f"'{ARBITRE}' recommend '{examples}' --format jsonl | head -c 10 >/dev/null; echo ${{PIPESTATUS[0]}}"
        run = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=120)
        assert "internal error" not in run.stderr and "BrokenPipe" not in run.stderr
        assert run.stdout.strip() == "0"

    @pytest.mark.parametrize("content", [b"\x00\x01\xff binary", b"flows:\n  - id: a\n   channel: phone\n"])
    def test_resuming_an_unreadable_file_is_a_user_error(self, tmp_path: Path, content: bytes) -> None:
        bad = tmp_path / "bad.yaml"
        bad.write_bytes(content)
        run = subprocess.run([str(ARBITRE), "ask", "--resume", str(bad)], input="", capture_output=True, text=True,
                             timeout=60, cwd=tmp_path)
        assert run.returncode == 2, run.stderr
        assert "cannot resume from" in run.stderr and "bad.yaml:" in run.stderr
        assert "internal error" not in run.stderr

    def test_a_broken_parameters_file_is_reported_once(self, tmp_path: Path) -> None:
        import shutil

        copy = tmp_path / "rules"
        shutil.copytree(Path(__file__).resolve().parent.parent / "rules", copy)
        text = (copy / "parameters.yaml").read_text(encoding="utf-8")
        (copy / "parameters.yaml").write_text(text.replace("  small_volume_max:\n", " savings_floor:\n", 1),
                                              encoding="utf-8")
        run = arbitre("rules", "check", "--policy", copy)
        assert run.returncode == 1
        assert "not valid YAML" in run.stdout and "unknown parameter" not in run.stdout, run.stdout

    def test_rules_test_from_inside_a_policy_copy(self, tmp_path: Path) -> None:
        import shutil

        root = Path(__file__).resolve().parent.parent
        shutil.copytree(root / "rules", tmp_path / "rules")
        shutil.copytree(root / "examples", tmp_path / "examples")
        run = arbitre("rules", "test", "--policy", ".", cwd=tmp_path / "rules")
        assert run.returncode == 0, run.stdout[-2000:]
        assert "0 failed" in run.stdout
