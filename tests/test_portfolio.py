"""Portfolios through the installed command: ``recommend`` on several files, folders and globs,
the HTML ``report`` and the provider ``brief``.

Each test runs the command through click's runner in this process (standard error is not a terminal)
on copies of ``examples/*.yaml`` in a temporary folder, but for what only a process shows (results
written as soon as they are ready, the progress bar on a terminal): the installed ``arbitre`` entry point
in a subprocess. The runs whose output several tests read are made once per module. What a
command should print is worked out here from the answers files and from ``recommend --format
json``, not from the code that renders it. Small answers
files of their own (a US health plan, flows all kept in-house, names full of markup) are in
``tests/portfolio/``.
"""

from __future__ import annotations

import errno
import html
import json
import math
import os
import re
import selectors
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import markupsafe
import pytest
import yaml

from conftest import arbitre_in_process
from engine.problems import phrase, say

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "portfolio"
ARBITRE = Path(sys.executable).parent / "arbitre"
NAMES = sorted(p.name for p in EXAMPLES.glob("*.yaml"))  # acme-retail, health-insurer, telecom-operator, us-retail...
ACME, HEALTH, TELECOM, US_RETAIL = NAMES
BAR = "#" * 78
NARROW = "\u202f"  # French puts it before : ; ? ! and %
SUMMARY = re.compile(r"^(\d+) files?, (\d+) flows?: (\d+) to outsource, (\d+) to split, (\d+) to keep in-house"
                     r"(?:; (\d+) files? could not be read)?\.$")
BAD_YAML = """\
organisation:
  name: Bad Co
  country: FR
  currency: EUR
flows:
  - id: faxes
    channel: fax
    monthly_volume: 100
    aht_seconds: 60
"""  # line 7: the channel


def arbitre(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command with nothing on standard input and capture what it prints (standard error is no
    terminal), in this process: what is only the process's own (results written as they are ready, the
    progress bar on a terminal) runs the installed entry point in a subprocess below."""
    return arbitre_in_process(*args, cwd=cwd)


def ok(run: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert run.returncode == 0, run.stderr
    return run


def summary_counts(stderr: str) -> tuple[int, ...]:
    """The counts of the summary line, the last line of standard error."""
    match = SUMMARY.match(stderr.splitlines()[-1])
    assert match, f"no summary line at the end of standard error:\n{stderr}"
    return tuple(int(g or 0) for g in match.groups())


def decisions(data: dict[str, Any]) -> list[str]:
    return [flow["decision"] for flow in data["flows"]]


def expected_summary(jsons: list[dict[str, Any]], files: int, bad: int = 0) -> tuple[int, ...]:
    """The summary's counts from single-file runs: files, flows, outsource, hybrid, keep_internal, bad."""
    found = [d for data in jsons for d in decisions(data)]
    return (files, len(found), found.count("outsource"), found.count("hybrid"), found.count("keep_internal"), bad)


def section(path: str, text: str) -> str:
    """A batch's text section for one file: a rule, the path, then what a one-file run prints."""
    return f"{BAR}\n# {path}\n{text}\n"


# ---------------------------------------------------------------------------------------------
# Shared runs
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with copies of the examples and, in bad/, a file with a wrong channel on line 7."""
    folder = tmp_path_factory.mktemp("portfolio")
    for name in NAMES:
        shutil.copy(EXAMPLES / name, folder / name)
    (folder / "bad").mkdir()
    (folder / "bad" / "bad.yaml").write_text(BAD_YAML, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def answers() -> dict[str, dict[str, Any]]:
    """The examples and the fixtures, as plain data."""
    files = [*(EXAMPLES / n for n in NAMES), *sorted(FIXTURES.glob("*.yaml"))]
    return {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in files}


@pytest.fixture(scope="module")
def single_json(work: Path) -> dict[str, dict[str, Any]]:
    """``recommend FILE --format json`` for each example, one file per run."""
    return {name: json.loads(ok(arbitre_in_process("recommend", name, "--format", "json", cwd=work)).stdout)
            for name in NAMES}


@pytest.fixture(scope="module")
def single_text(work: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    """``recommend FILE`` (text) for two examples, one file per run."""
    return {name: ok(arbitre_in_process("recommend", name, cwd=work)) for name in (ACME, HEALTH)}


@pytest.fixture(scope="module")
def fixture_json() -> dict[str, dict[str, Any]]:
    """``recommend --format json`` for the answers files of tests/portfolio/."""
    return {p.name: json.loads(ok(arbitre_in_process("recommend", p, "--format", "json")).stdout)
            for p in sorted(FIXTURES.glob("*.yaml"))}


# ---------------------------------------------------------------------------------------------
# recommend on several files
# ---------------------------------------------------------------------------------------------


class TestBatchRecommend:
    def test_two_files_give_one_section_each_and_a_summary(self, work: Path, single_text: Any,
                                                           single_json: dict[str, Any]) -> None:
        """Text: a section per file, each exactly what a one-file run prints; the summary line on
        standard error counts files, flows and decisions as the single-file runs add up; nothing else
        on standard error (no progress bar on a pipe)."""
        run = ok(arbitre("recommend", ACME, HEALTH, cwd=work))
        assert run.stdout == section(ACME, single_text[ACME].stdout) + section(HEALTH, single_text[HEALTH].stdout)
        assert len(run.stderr.splitlines()) == 1, run.stderr
        assert summary_counts(run.stderr) == expected_summary([single_json[ACME], single_json[HEALTH]], 2)
        assert "recommending" not in run.stderr and "\r" not in run.stderr

    def test_one_file_behaves_as_before(self, single_text: Any, single_json: dict[str, Any]) -> None:
        """One answers file: no section header, no summary on standard error, JSON is one object
        without a "file" key: what the command printed before it took several files."""
        run = single_text[ACME]
        assert run.stderr == ""
        assert run.stdout.startswith("Arbitre recommendation - Acme Retail\n")
        assert BAR not in run.stdout
        assert isinstance(single_json[ACME], dict) and "file" not in single_json[ACME]
        assert [f["id"] for f in single_json[ACME]["flows"]] == [
            "order-taking", "support-chat", "complaints-email", "key-accounts", "after-sales", "social-care"]

    def test_a_folder_is_searched_with_its_subfolders(self, work: Path, single_json: dict[str, Any]) -> None:
        """A folder: its .yaml, .yml and .json files, subfolders included, other files left alone."""
        clients = work / "clients"
        (clients / "north" / "deeper").mkdir(parents=True)
        shutil.copy(work / ACME, clients / "north" / ACME)
        shutil.copy(work / TELECOM, clients / "north" / "deeper" / "telecom.yml")
        data = yaml.safe_load((work / HEALTH).read_text(encoding="utf-8"))
        (clients / "health.json").write_text(json.dumps(data), encoding="utf-8")
        (clients / "notes.txt").write_text("not answers\n", encoding="utf-8")
        (clients / "north" / "README.md").write_text("# not answers\n", encoding="utf-8")
        (clients / "empty").mkdir()
        run = ok(arbitre("recommend", "clients", "--format", "jsonl", cwd=work))
        got = {line["file"]: line for line in map(json.loads, run.stdout.splitlines())}
        expected = {"clients/north/acme-retail.yaml": ACME, "clients/north/deeper/telecom.yml": TELECOM,
                    "clients/health.json": HEALTH}
        assert set(got) == set(expected)
        for path, name in expected.items():
            assert decisions(got[path]) == decisions(single_json[name])
        assert summary_counts(run.stderr) == expected_summary([single_json[n] for n in expected.values()], 3)

    @pytest.mark.parametrize("pattern, names", [
        ("*.yaml", NAMES),
        ("clients2/**/*.y*ml", [ACME, TELECOM]),
    ], ids=["star", "recursive"])
    def test_a_quoted_glob_is_expanded(self, work: Path, single_json: dict[str, Any], pattern: str,
                                       names: list[str]) -> None:
        """A pattern given as it is (no shell to expand it) is expanded by the command itself."""
        (work / "clients2" / "a" / "b").mkdir(parents=True, exist_ok=True)
        shutil.copy(work / ACME, work / "clients2" / "a" / ACME)
        shutil.copy(work / TELECOM, work / "clients2" / "a" / "b" / "telecom.yml")
        (work / "clients2" / "a" / "other.txt").write_text("x", encoding="utf-8")
        run = ok(arbitre("recommend", pattern, "--format", "jsonl", cwd=work))
        lines = [json.loads(line) for line in run.stdout.splitlines()]
        assert [decisions(line) for line in lines] == [decisions(single_json[n]) for n in names]
        assert len({line["file"] for line in lines}) == len(names)
        assert summary_counts(run.stderr) == expected_summary([single_json[n] for n in names], len(names))

    def test_jsonl_is_one_object_a_line_per_file(self, work: Path, single_json: dict[str, Any]) -> None:
        """--format jsonl: one valid JSON object a line, one line per file, with "file" and exactly
        what ``recommend FILE --format json`` gives for that file."""
        run = ok(arbitre("recommend", *NAMES, "--format", "jsonl", cwd=work))
        assert run.stdout.endswith("\n")
        lines = run.stdout.splitlines()
        assert len(lines) == len(NAMES)
        for name, line in zip(NAMES, lines):
            data = json.loads(line)
            assert isinstance(data, dict)
            assert data.pop("file") == name
            assert data == single_json[name]
        assert run.stderr.splitlines() == [run.stderr.splitlines()[-1]]  # the summary only
        assert summary_counts(run.stderr) == expected_summary([single_json[n] for n in NAMES], len(NAMES))

    def test_json_with_several_files_is_one_array(self, work: Path, single_json: dict[str, Any]) -> None:
        """--format json with several files: one valid JSON array of the per-file objects."""
        run = ok(arbitre("recommend", HEALTH, US_RETAIL, "--format", "json", cwd=work))
        data = json.loads(run.stdout)
        assert isinstance(data, list) and len(data) == 2
        assert data == [{"file": HEALTH, **single_json[HEALTH]}, {"file": US_RETAIL, **single_json[US_RETAIL]}]

    def test_a_bad_file_is_reported_and_the_run_goes_on(self, work: Path, single_text: Any,
                                                        single_json: dict[str, Any]) -> None:
        """Text: the bad file's problem on standard error with file:line, the good files before and
        after it still have their sections, the summary counts it, exit 2."""
        run = arbitre("recommend", ACME, "bad/bad.yaml", HEALTH, cwd=work)
        assert run.returncode == 2, run.stderr
        assert "bad/bad.yaml:7: flows[0].channel: 'fax' is not one of" in run.stderr
        assert run.stdout == section(ACME, single_text[ACME].stdout) + section(HEALTH, single_text[HEALTH].stdout)
        assert "bad/bad.yaml" not in run.stdout
        assert summary_counts(run.stderr) == expected_summary([single_json[ACME], single_json[HEALTH]], 3, bad=1)
        assert "Traceback" not in run.stderr

    def test_a_bad_file_in_jsonl_has_an_error_line(self, work: Path, single_json: dict[str, Any]) -> None:
        """jsonl: a line per file in order, the bad file's with "error" (its file:line problem)."""
        run = arbitre("recommend", TELECOM, "bad/bad.yaml", US_RETAIL, "--format", "jsonl", cwd=work)
        assert run.returncode == 2, run.stderr
        first, bad, last = (json.loads(line) for line in run.stdout.splitlines())
        assert first == {"file": TELECOM, **single_json[TELECOM]}
        assert last == {"file": US_RETAIL, **single_json[US_RETAIL]}
        assert set(bad) == {"file", "error"} and bad["file"] == "bad/bad.yaml"
        assert "bad/bad.yaml:7: flows[0].channel" in bad["error"]
        assert "bad/bad.yaml:7: flows[0].channel" in run.stderr
        assert summary_counts(run.stderr)[-1] == 1

    def test_a_missing_file_is_reported(self, work: Path, single_text: Any) -> None:
        """A missing file among good ones: named on standard error, the others still done, exit 2."""
        run = arbitre("recommend", ACME, "absent.yaml", cwd=work)
        assert run.returncode == 2
        assert "absent.yaml: no such answers file" in run.stderr
        assert run.stdout == section(ACME, single_text[ACME].stdout)
        assert summary_counts(run.stderr)[0] == 2 and summary_counts(run.stderr)[-1] == 1
        jsonl = arbitre("recommend", ACME, "absent.yaml", "--format", "jsonl", cwd=work)
        assert jsonl.returncode == 2
        lines = [json.loads(line) for line in jsonl.stdout.splitlines()]
        assert [line["file"] for line in lines] == [ACME, "absent.yaml"]
        assert "no such answers file" in lines[1]["error"]

    @pytest.mark.parametrize("where", ["nothing-here", "no-match-*.yaml"])
    def test_nothing_found_is_a_user_error(self, work: Path, where: str) -> None:
        """A folder (with a subfolder) holding no answers file, or a glob matching nothing: exit 2
        with a message that says where it looked and for what."""
        (work / "nothing-here" / "sub").mkdir(parents=True, exist_ok=True)
        (work / "nothing-here" / "sub" / "notes.txt").write_text("x", encoding="utf-8")
        run = arbitre("recommend", where, cwd=work)
        assert run.returncode == 2
        assert run.stdout == ""
        assert f"error: no answers files in {where} (looked for .yaml, .yml, .json)" in run.stderr

    @pytest.mark.parametrize("option", [
        ["--audit", "audit.json"],
        ["--override", "order-taking=keep_internal", "--reason", "Board, 12 May"],
        ["--flow", "order-taking"],
    ], ids=["audit", "override", "flow"])
    def test_one_file_options_are_refused_with_several_files(self, work: Path, option: list[str]) -> None:
        """--audit, --override and --flow apply to one answers file: with two, exit 2, say so, write nothing."""
        run = arbitre("recommend", ACME, TELECOM, *option, cwd=work)
        assert run.returncode == 2
        assert (f"{option[0]} applies to one answers file named alone, not to a folder, a pattern or several paths "
                f"({ACME} {TELECOM} gives 2 files): name the file itself") in run.stderr
        assert run.stdout == ""
        assert not (work / "audit.json").exists()

    def test_flow_with_several_files_is_refused_in_jsonl_too(self, work: Path) -> None:
        run = arbitre("recommend", ACME, TELECOM, "--flow", "order-taking", "--format", "jsonl", cwd=work)
        assert run.returncode == 2
        assert "--flow applies to one answers file" in run.stderr

    def test_an_unknown_flow_in_jsonl_is_a_user_error(self, work: Path) -> None:
        run = arbitre("recommend", ACME, "--flow", "nope", "--format", "jsonl", cwd=work)
        assert run.returncode == 2
        assert "no flow with that id" in run.stderr

    def test_a_missing_single_file_with_audit_is_reported_as_missing(self, work: Path) -> None:
        run = arbitre("recommend", "absent.yaml", "--audit", "rec.json", cwd=work)
        assert run.returncode == 2
        assert "absent.yaml: no such answers file" in run.stderr
        assert "were given" not in run.stderr

    def test_a_missing_single_file_in_json_prints_nothing(self, work: Path) -> None:
        run = arbitre("recommend", "absent.yaml", "--format", "json", cwd=work)
        assert run.returncode == 2
        assert "absent.yaml: no such answers file" in run.stderr
        assert run.stdout == ""
        assert not SUMMARY.match(run.stderr.splitlines()[-1])

    def test_out_with_jsonl_writes_the_file_atomically(self, work: Path, single_json: dict[str, Any]) -> None:
        """--out with jsonl: the file holds the lines, nothing on standard output, no temporary file left."""
        out = work / "results"
        out.mkdir()
        run = ok(arbitre("recommend", ACME, TELECOM, "--format", "jsonl", "--out", "results/all.jsonl", cwd=work))
        assert run.stdout == ""
        assert "wrote results/all.jsonl" in run.stderr
        assert [p.name for p in out.iterdir()] == ["all.jsonl"]
        lines = (out / "all.jsonl").read_text(encoding="utf-8").splitlines()
        assert [json.loads(line) for line in lines] == [{"file": ACME, **single_json[ACME]},
                                                       {"file": TELECOM, **single_json[TELECOM]}]


def _open_fifo_for_writing(fifo: Path, proc: subprocess.Popen[str], seconds: float = 60) -> int:
    """Wait until the command opens ``fifo`` to read it (it has then finished the files before it)."""
    end = time.monotonic() + seconds
    while True:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno != errno.ENXIO:
                raise
        else:
            os.set_blocking(fd, True)
            return fd
        if proc.poll() is not None:
            pytest.fail(f"the command ended before reading {fifo.name}: {proc.communicate()}")
        if time.monotonic() > end:
            proc.kill()
            pytest.fail(f"the command never read {fifo.name}")
        time.sleep(0.02)


def _feed(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data):]
    os.close(fd)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
class TestWrittenAsReady:
    """The second answers file is a named pipe: the command blocks on it, which shows what it has
    already written (and where) while the run is still going on."""

    def test_each_result_is_on_standard_output_as_soon_as_it_is_ready(self, work: Path,
                                                                     single_json: dict[str, Any]) -> None:
        folder = work / "stream"
        folder.mkdir()
        fifo = folder / "slow.yaml"
        os.mkfifo(fifo)
        proc = subprocess.Popen([str(ARBITRE), "recommend", ACME, "stream/slow.yaml", "--format", "jsonl"], cwd=work,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        fd = _open_fifo_for_writing(fifo, proc)
        try:
            with selectors.DefaultSelector() as sel:
                sel.register(proc.stdout, selectors.EVENT_READ)  # type: ignore[arg-type]
                assert sel.select(timeout=10), "the first file's line is not out while the second is read"
            first = json.loads(proc.stdout.readline())  # type: ignore[union-attr]
            assert first == {"file": ACME, **single_json[ACME]}
        finally:
            _feed(fd, (work / TELECOM).read_bytes())
        rest, stderr = proc.communicate(timeout=60)
        fifo.unlink()
        assert proc.returncode == 0, stderr
        assert json.loads(rest) == {"file": "stream/slow.yaml", **single_json[TELECOM]}

    def test_out_is_replaced_only_when_the_run_ends(self, work: Path) -> None:
        """While the run goes on, the results go to a temporary file beside --out and the old file is
        untouched; at the end the temporary file has replaced it and nothing else is left."""
        folder = work / "atomic"
        folder.mkdir()
        fifo = folder / "slow.yaml"
        os.mkfifo(fifo)
        out = folder / "out" / "r.jsonl"
        out.parent.mkdir()
        out.write_text("old\n", encoding="utf-8")
        proc = subprocess.Popen([str(ARBITRE), "recommend", ACME, "atomic/slow.yaml", "--format", "jsonl",
                                 "--out", "atomic/out/r.jsonl"], cwd=work,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        fd = _open_fifo_for_writing(fifo, proc)
        try:
            assert out.read_text(encoding="utf-8") == "old\n"
            temporary = [p.name for p in out.parent.iterdir() if p.name != "r.jsonl"]
            assert len(temporary) == 1 and temporary[0].startswith(".r.jsonl.") and temporary[0].endswith(".tmp")
        finally:
            _feed(fd, (work / HEALTH).read_bytes())
        stdout, stderr = proc.communicate(timeout=60)
        fifo.unlink()
        assert proc.returncode == 0, stderr
        assert stdout == ""
        assert [p.name for p in out.parent.iterdir()] == ["r.jsonl"]
        assert [json.loads(line)["file"] for line in out.read_text(encoding="utf-8").splitlines()] == [
            ACME, "atomic/slow.yaml"]


def _on_a_terminal(args: list[str], cwd: Path, stdout_too: bool) -> tuple[int, bytes, bytes]:
    """Run with standard error (and standard output, if ``stdout_too``) on a pseudo-terminal."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([str(ARBITRE), *args], cwd=cwd, stdin=subprocess.DEVNULL,
                            stdout=slave if stdout_too else subprocess.PIPE, stderr=slave)
    os.close(slave)
    terminal, piped = bytearray(), bytearray()
    streams = {master: terminal}
    if proc.stdout is not None:
        streams[proc.stdout.fileno()] = piped
    end = time.monotonic() + 60
    with selectors.DefaultSelector() as sel:
        for fd in streams:
            sel.register(fd, selectors.EVENT_READ)
        while streams and time.monotonic() < end:
            for key, _ in sel.select(timeout=1):
                try:
                    chunk = os.read(key.fd, 65536)
                except OSError:  # the terminal's other end is closed
                    chunk = b""
                if chunk:
                    streams[key.fd] += chunk
                else:
                    sel.unregister(key.fd)
                    del streams[key.fd]
    os.close(master)
    if proc.stdout is not None:
        proc.stdout.close()
    return proc.wait(timeout=60), bytes(piped), bytes(terminal)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
class TestProgressBar:
    def test_a_bar_on_a_terminal_when_the_results_go_elsewhere(self, work: Path) -> None:
        """Standard error on a terminal, results piped: the bar is drawn; the results are intact."""
        code, results, terminal = _on_a_terminal(["recommend", ACME, TELECOM, "--format", "jsonl"], work,
                                                 stdout_too=False)
        assert code == 0
        assert b"recommending" in terminal and b"2/2" in terminal
        assert [json.loads(line)["file"] for line in results.decode().splitlines()] == [ACME, TELECOM]

    def test_no_bar_when_the_results_go_to_the_same_terminal(self, work: Path) -> None:
        code, _, terminal = _on_a_terminal(["recommend", ACME, TELECOM, "--format", "jsonl"], work, stdout_too=True)
        assert code == 0
        assert b"recommending" not in terminal
        assert b'{"file": "acme-retail.yaml"' in terminal and b'{"file": "telecom-operator.yaml"' in terminal
        assert b"\r\n2 files, " in terminal


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------

REPORTS = [(name, "en") for name in NAMES] + [(ACME, "fr"), (HEALTH, "fr")]


@pytest.fixture(scope="module")
def reports(work: Path) -> dict[tuple[str, str], str]:
    """``report FILE --out R.html`` for every example in English and two in French."""
    out = {}
    for name, lang in REPORTS:
        target = work / f"{Path(name).stem}.{lang}.html"
        run = ok(arbitre_in_process("report", name, "--lang", lang, "--out", target, cwd=work))
        assert run.stdout == "" and run.stderr == say(phrase("wrote", path=str(target)), lang) + "\n"
        out[name, lang] = target.read_text(encoding="utf-8")
    return out


def part(page: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}">(.*?)</section>', page, re.S)
    assert match, f"no section #{section_id}"
    return match.group(1)


def chart(page: str, section_id: str, variant: str = "wide") -> str:
    """One drawing of a section's chart: ``wide`` (desktop and paper) or ``narrow`` (a phone)."""
    match = re.search(rf'<svg class="chart {variant}"(.*?)</svg>', part(page, section_id), re.S)
    assert match, f"no {variant} chart in #{section_id}"
    return match.group(1)


def fmt_number(value: float, lang: str) -> str:
    """Whole numbers as each language writes them: 5,000 and 5 000 (narrow no-break space)."""
    text = f"{value:,.0f}"
    return text.replace(",", "\u202f") if lang == "fr" else text


def fmt_percent(value: float, lang: str) -> str:
    """A whole percentage as each language writes it: 30% and 30 % (narrow no-break space)."""
    return f"{fmt_number(value, lang)}{'%' if lang == 'en' else NARROW + '%'}"


# How French writes the currencies of the examples beside an amount.
FRENCH_SIGNS = {"EUR": "€", "USD": "$US"}


def parameter(name: str) -> float:
    data = yaml.safe_load((ROOT / "rules" / "parameters.yaml").read_text(encoding="utf-8"))
    params = data.get("parameters", data)
    return float(params[name]["value"])


def marks(svg_part: str) -> list[tuple[str, str, str]]:
    """(decision class, flow id, inner markup) of every ``<g class="mark ...">``."""
    return re.findall(r'<g class="mark (\w+)" data-flow="([^"]*)">(.*?)</g>', svg_part, re.S)


def mark_x(inner: str) -> float:
    """The horizontal centre of a map mark: a circle, a diamond path or a 12-pixel square."""
    if m := re.search(r'<circle cx="([\d.]+)"', inner):
        return float(m.group(1))
    if m := re.search(r'<path d="M([\d.]+) ', inner):
        return float(m.group(1))
    m = re.search(r'<rect x="([\d.]+)"', inner)
    assert m, inner
    return float(m.group(1)) + 6


OPTION_ORDER = ("keep_internal", "outsource", "overflow", "after_hours", "tier1")
GREEN, RED = "#2f7d4f", "#b42318"


def amount_in(value: float, currency: str, lang: str) -> str:
    """A whole amount with its currency, as the report's summary writes it."""
    whole = fmt_number(value, lang)
    return f"{currency}\u00a0{whole}" if lang == "en" else f"{whole}\u00a0{FRENCH_SIGNS[currency]}"


def decision_options(flow: dict[str, Any]) -> list[str]:
    """The options the decision takes: outsource, keep in-house, or a hybrid's splits."""
    return list(flow["split"]) if flow["decision"] == "hybrid" else [flow["decision"]]


def standing(flow: dict[str, Any]) -> str | None:
    """The costed option that stands: outsource, or for a hybrid its split with the best saving."""
    options = flow["costs"]["options"]
    priced = [name for name in decision_options(flow) if name in options]
    return max(priced, key=lambda name: options[name]["saving_pct"]) if priced else None


@pytest.mark.parametrize("key", REPORTS, ids=[f"{Path(n).stem}-{lang}" for n, lang in REPORTS])
class TestReport:
    def test_self_contained(self, reports: dict[tuple[str, str], str], key: tuple[str, str]) -> None:
        """Nothing from the network: no URL but an SVG namespace, no script, link, @import, font,
        image, frame, or external href/src."""
        page = reports[key]
        assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
        assert set(re.findall(r"https?://[^\s\"'<>)]*", page)) <= {"http://www.w3.org/2000/svg"}
        lowered = page.lower()
        for forbidden in ("<script", "<link", "@import", "@font-face", "url(", "<img", "<iframe", "<object",
                          "<embed", "src=", "<image", "<use"):
            assert forbidden not in lowered, forbidden
        assert all(href.startswith("#") for href in re.findall(r'href="([^"]*)"', page))
        assert f'<html lang="{key[1]}">' in page

    def test_one_mark_in_each_chart_and_one_card_per_flow(self, reports: dict[tuple[str, str], str],
                                                          single_json: dict[str, Any], key: tuple[str, str]) -> None:
        page, ids = reports[key], [f["id"] for f in single_json[key[0]]["flows"]]
        for section in ("map", "costs"):
            for variant in ("wide", "narrow"):
                found = marks(chart(page, section, variant))
                assert sorted(flow for _, flow, _ in found) == sorted(ids), (section, variant)
        assert page.count('<article class="card') == len(ids)
        for flow_id in ids:
            assert page.count(f'id="flow-{flow_id}"') == 1

    def test_the_policy_volume_thresholds_are_drawn_to_scale(self, reports: dict[tuple[str, str], str],
                                                             single_json: dict[str, Any],
                                                             key: tuple[str, str]) -> None:
        """The thresholds of rules/parameters.yaml (300 and 5,000) are dashed lines labelled with
        their values; every flow's mark sits on the same log scale of volume."""
        small, massive = parameter("small_volume_max"), parameter("massive_volume_min")
        assert (small, massive) == (300, 5000)
        lines = re.findall(r'<g class="threshold">\s*<line x1="([\d.]+)" x2="([\d.]+)" y1="[\d.]+" y2="[\d.]+"'
                           r'[^>]*stroke-dasharray[^>]*/>\s*<text[^>]*>([^<]*)</text>', chart(reports[key], "map"))
        assert len(lines) == 2
        xs = {}
        for x1, x2, label in lines:
            assert x1 == x2  # upright lines
            value = next(v for v in (small, massive) if f"({fmt_number(v, key[1])})" in label)
            xs[value] = float(x1)
        assert set(xs) == {small, massive}
        per_decade = (xs[massive] - xs[small]) / (math.log10(massive) - math.log10(small))
        answers = yaml.safe_load((EXAMPLES / key[0]).read_text(encoding="utf-8"))
        volumes = {f["id"]: float(f["monthly_volume"]) for f in answers["flows"]}
        for _, flow_id, inner in marks(chart(reports[key], "map")):
            expected = xs[small] + per_decade * (math.log10(volumes[flow_id]) - math.log10(small))
            assert mark_x(inner) == pytest.approx(expected, abs=0.3), flow_id

    def test_summary_counts_are_the_decisions(self, reports: dict[tuple[str, str], str],
                                              single_json: dict[str, Any], key: tuple[str, str]) -> None:
        tiles = dict(re.findall(r'<div class="tile (\w+)"><div class="n">(\d+)</div>', part(reports[key], "summary")))
        found = decisions(single_json[key[0]])
        assert {k: int(v) for k, v in tiles.items()} == {
            "total": len(found), "outsource": found.count("outsource"), "hybrid": found.count("hybrid"),
            "keep_internal": found.count("keep_internal")}

    def test_savings_are_the_sums_of_the_flows_going_out_or_split(self, reports: dict[tuple[str, str], str],
                                                                  single_json: dict[str, Any],
                                                                  key: tuple[str, str]) -> None:
        """Over the flows going out or split that have a quote: the in-house cost a month against the
        option that stands (outsource, or a hybrid's split with the best saving), its one-off costs
        spread over the contract; the monthly and yearly savings, their share and the one-off costs
        in all, recomputed from recommend --format json."""
        data, lang = single_json[key[0]], key[1]
        inhouse = chosen = one_off = 0.0
        counted = []
        for flow in data["flows"]:
            name = standing(flow) if flow["decision"] != "keep_internal" else None
            if name is None:
                continue
            options, term = flow["costs"]["options"], flow["costs"]["term_months"]
            inhouse += options["keep_internal"]["monthly"]
            chosen += options[name]["monthly"] + options[name]["one_off"] / term
            one_off += options[name]["one_off"]
            counted.append(flow["decision"])
        assert "outsource" in counted, "every example has flows going out with a quote"
        currency = yaml.safe_load((EXAMPLES / key[0]).read_text(encoding="utf-8"))["organisation"]["currency"]
        summary = part(reports[key], "summary")
        money = re.search(r'<div class="money">(.*?)</div>\s*<table', summary, re.S)
        assert money, "no money figures in the summary"
        shown = re.findall(r"<b[^>]*>([^<]*)</b>", money.group(1))
        assert shown == [amount_in(v, currency, lang) for v in (inhouse, chosen, inhouse - chosen, one_off)]
        assert f"({fmt_percent(100 * (1 - chosen / inhouse), lang)})" in summary
        assert amount_in(12 * (inhouse - chosen), currency, lang) in summary
        assert f'<b style="color:{GREEN}">{amount_in(inhouse - chosen, currency, lang)}</b>' in summary

    def test_the_summary_table_counts_split_flows_and_no_saving_for_kept_ones(
            self, reports: dict[tuple[str, str], str], single_json: dict[str, Any], key: tuple[str, str]) -> None:
        """A row per flow going out or split, in the order of the answers, with the option that stands;
        the flows kept in-house in one muted row whose saving is '-', never green."""
        data, lang = single_json[key[0]], key[1]
        summary = part(reports[key], "summary")
        rows = re.findall(r'<tr class="(\w+)" data-flow="([^"]*)">(.*?)</tr>', summary, re.S)
        assert [(d, f) for d, f, _ in rows] == [(f["decision"], f["id"]) for f in data["flows"]
                                                 if f["decision"] != "keep_internal"]
        for (_, flow_id, cells), flow in zip(rows, [f for f in data["flows"] if f["decision"] != "keep_internal"]):
            name = standing(flow)
            if flow["decision"] == "hybrid" and name is not None:
                words = yaml.safe_load((ROOT / "explanations" / lang / "labels.yaml").read_text(encoding="utf-8"))
                assert f"({words['option_names'][name]})" in cells, flow_id
        kept = [f for f in data["flows"] if f["decision"] == "keep_internal"]
        row = re.search(r'<tr class="kept">(.*?)</tr>', summary, re.S)
        assert (row is not None) == bool(kept)
        if row:
            cells = re.findall(r"<td[^>]*>([^<]*)</td>", row.group(1))
            assert cells[0].startswith(str(len(kept)))
            assert cells[-2:] == ["-", "-"]
            assert GREEN not in row.group(1)

    def test_the_cost_chart_has_one_bar_per_option(self, reports: dict[tuple[str, str], str],
                                                    single_json: dict[str, Any], key: tuple[str, str]) -> None:
        """Per flow, one bar per option costed in recommend --format json, in a fixed order, each as
        wide as its cost per contact on one scale; the decision's options outlined; beside each
        option but keeping in-house, its saving, in green when positive and red when negative on the
        decision's options only (a saving not taken is no saving); a flow without a quote has keeping
        in-house only and says so."""
        data, page = single_json[key[0]], reports[key]
        found = {flow_id: inner for _, flow_id, inner in marks(chart(page, "costs"))}
        scale = []
        for flow in data["flows"]:
            inner, options = found[flow["id"]], flow["costs"]["options"]
            bars = re.findall(r'<rect class="bar( recommended)?" data-option="(\w+)" x="[\d.]+" y="[\d.]+" '
                              r'width="([\d.]+)"', inner)
            assert [b[1] for b in bars] == [o for o in OPTION_ORDER if o in options], flow["id"]
            assert [b[1] for b in bars if b[0]] == [o for o in decision_options(flow) if o in options]
            scale += [float(width) / options[name]["per_contact"] for _, name, width in bars]
            values = re.findall(r'<text class="tick value" x="[\d.]+" y="[\d.]+">([^<]*)(?: · <tspan font-weight="700"'
                                r'(?: style="fill:([^"]+)")?>([^<]*)</tspan>)?</text>', inner)
            assert len(values) == len(bars), flow["id"]
            for (amount, colour, saving), (_, name, _) in zip(values, bars):
                pct = options[name]["saving_pct"]
                if name == "keep_internal":
                    assert saving == ""
                elif name not in decision_options(flow):
                    assert colour == "" and fmt_number(abs(pct), key[1]) in saving, (flow["id"], name)
                elif round(pct) > 0:
                    assert colour == GREEN and fmt_number(pct, key[1]) in saving, (flow["id"], name)
                elif round(pct) < 0:
                    assert colour == RED and fmt_number(-pct, key[1]) in saving, (flow["id"], name)
            assert ('<text class="tick no-quote"' in inner) == ("outsource" not in options), flow["id"]
        assert max(scale) == pytest.approx(min(scale), rel=0.05)  # one scale (widths rounded to 0.1 px)

    def test_the_cost_chart_lines_do_not_overlap(self, reports: dict[tuple[str, str], str],
                                                  key: tuple[str, str]) -> None:
        """Every line of text in the cost chart has its own height: at most one text in the left
        column and one right of it on a line, lines at least 13 px apart, all inside the drawing,
        which grows with the rows."""
        costs = chart(reports[key], "costs")
        height = float(re.search(r' viewBox="0 0 760 ([\d.]+)"', costs).group(1))  # type: ignore[union-attr]
        texts = [(float(x), float(y)) for x, y in re.findall(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"', costs)]
        lines: dict[float, list[float]] = {}
        for x, y in texts:
            lines.setdefault(y, []).append(x)
        for y, xs in lines.items():
            assert len([x for x in xs if x < 150]) <= 1 and len([x for x in xs if x >= 150]) <= 1, (y, xs)
            assert 0 < y < height
        ys = sorted(lines)
        assert all(b - a >= 13 for a, b in zip(ys, ys[1:])), ys

    def test_print_styles_for_a4(self, reports: dict[tuple[str, str], str], key: tuple[str, str]) -> None:
        page = reports[key]
        assert re.search(r"@page\s*\{[^}]*size:\s*A4", page)
        assert "@media print" in page


@pytest.mark.parametrize("lang, ruled_out, reason", [
    ("en", "Ruled out", "no standard contractual clauses are recorded"),
    ("fr", "Exclu", "aucune clause contractuelle type"),
])
def test_a_vetoed_option_says_why_on_its_card(reports: dict[tuple[str, str], str], lang: str, ruled_out: str,
                                              reason: str) -> None:
    """The health insurer's claims flow may not go out (RSK-07): its card says why, not only which rule."""
    card = re.search(r'<article class="card[^"]*" id="flow-claims-phone">(.*?)</article>',
                     reports[HEALTH, lang], re.S)
    assert card, "no card for claims-phone"
    vetoes = card.group(1).split(f"<h4>{ruled_out}</h4>")[1].split("</ul>")[0]
    assert reason in html.unescape(vetoes) and "RSK-07" in vetoes


class TestReportMore:
    def test_markup_in_names_is_shown_escaped_only(self, tmp_path: Path) -> None:
        """A flow named <script>alert(1)</script>, another and the organisation named
        "quotes" & <b>: every occurrence in the page is escaped, none is markup."""
        out = tmp_path / "hostile.html"
        ok(arbitre("report", FIXTURES / "hostile.yaml", "--out", out))
        page = out.read_text(encoding="utf-8")
        assert "<script" not in page.lower()
        for raw in ("<script>alert(1)</script>", '"quotes" & <b>'):
            escaped = str(markupsafe.escape(raw))
            assert raw not in page
            assert page.count(escaped) >= 3  # at least the map, the cost chart and the card
            assert html.unescape(page).count(raw) == page.count(escaped)
        assert "<h1>Contact flows - outsourcing recommendation - &#34;quotes&#34; &amp; &lt;b&gt;</h1>" in page
        assert "<h3>&lt;script&gt;alert(1)&lt;/script&gt;</h3>" in page

    def test_an_override_is_shown_with_its_reason(self, work: Path, single_json: dict[str, Any]) -> None:
        """The person's decision is shown on the flow's card with the reason (escaped), and the
        summary counts and totals follow it."""
        out = work / "override.html"
        ok(arbitre("report", ACME, "--override", "complaints-email=outsource", "--reason", "Board & CFO, 12 May",
                   "--out", out, cwd=work))
        page = out.read_text(encoding="utf-8")
        card = re.search(r'<article class="card (\w+)" id="flow-complaints-email">(.*?)</article>', page, re.S)
        assert card and card.group(1) == "outsource"
        assert re.search(r'<div class="override">.*Outsource.*hybrid.*Reason: Board &amp; CFO, 12 May</div>',
                         card.group(2))
        assert page.count('<div class="override">') == 1
        tiles = dict(re.findall(r'<div class="tile (\w+)"><div class="n">(\d+)</div>', page))
        found = ["outsource" if f["id"] == "complaints-email" else f["decision"] for f in single_json[ACME]["flows"]]
        assert int(tiles["outsource"]) == found.count("outsource") and int(tiles["keep_internal"]) == found.count(
            "keep_internal")
        assert "1 decision(s) were overridden by a person" in page
        inhouse = sum(f["costs"]["options"]["keep_internal"]["monthly"] for f in single_json[ACME]["flows"]
                      if f["id"] in ("order-taking", "support-chat", "complaints-email")
                      or f["decision"] == "hybrid")
        assert f"<b>EUR\u00a0{inhouse:,.0f}</b>" in page

    def test_default_out_is_the_file_stem_in_the_current_folder(self, work: Path, tmp_path: Path) -> None:
        run = ok(arbitre("report", work / TELECOM, cwd=tmp_path))
        assert run.stdout == ""
        assert "wrote telecom-operator-report.html" in run.stderr
        assert [p.name for p in tmp_path.iterdir()] == ["telecom-operator-report.html"]
        assert "Ondas Telecom" in (tmp_path / "telecom-operator-report.html").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# brief
# ---------------------------------------------------------------------------------------------

LANGUAGE_NAMES = {"en": {"fr": "French", "de": "German", "en": "English", "es": "Spanish", "tr": "Turkish",
                         "pl": "Polish", "ca": "Catalan"},
                  "fr": {"fr": "français", "de": "allemand", "en": "anglais", "es": "espagnol", "tr": "turc",
                         "pl": "polonais", "ca": "catalan"}}
CHANNELS = {"phone": "phone", "chat": "chat", "email": "email", "letter": "letters", "social": "social networks"}
BRIEF_RUNS = [(n, lang) for n in [*NAMES, "us-health.yaml", "all-internal.yaml"] for lang in ("en", "fr")]


def source(name: str) -> Path:
    return EXAMPLES / name if (EXAMPLES / name).exists() else FIXTURES / name


@pytest.fixture(scope="module")
def briefs() -> dict[tuple[str, str], str]:
    out = {}
    for name, lang in BRIEF_RUNS:
        run = ok(arbitre_in_process("brief", source(name), "--lang", lang))
        assert run.stderr == ""
        out[name, lang] = run.stdout
    return out


@pytest.fixture(scope="module")
def all_json(single_json: dict[str, Any], fixture_json: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {**single_json, **fixture_json}


def brief_sections(text: str) -> dict[str, tuple[str, str]]:
    """Flow id -> (name, the section's text) of every ``## Name (`id`)`` section."""
    parts = re.split(r"^## (.+) \(`([^`]+)`\)$", text, flags=re.M)
    return {parts[i + 1]: (parts[i], parts[i + 2]) for i in range(1, len(parts) - 1, 3)}


def table_rows(text: str) -> dict[str, list[str]]:
    """Flow name -> cells of the brief's table (the rows after the header and its rule)."""
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    return {cells[0]: cells for cells in ([c.strip() for c in line.strip("|").split("|")] for line in lines[1:])}


def going_out(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in data["flows"] if f["decision"] in ("outsource", "hybrid")]


def flow_answers(answers: dict[str, Any], name: str, flow_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    doc = answers[name]
    return doc["organisation"], next(f for f in doc["flows"] if f["id"] == flow_id)


EXAMPLE_BRIEFS = [*NAMES, "us-health.yaml"]


@pytest.mark.parametrize("name", EXAMPLE_BRIEFS, ids=[Path(n).stem for n in EXAMPLE_BRIEFS])
class TestBrief:
    def test_only_the_flows_going_out_or_split(self, briefs: dict[tuple[str, str], str],
                                               all_json: dict[str, Any], name: str) -> None:
        text = briefs[name, "en"]
        expected = [f["id"] for f in going_out(all_json[name])]
        assert expected, "each of these files has flows going out"
        assert list(brief_sections(text)) == expected
        assert list(table_rows(text)) == [f["name"] for f in going_out(all_json[name])]
        for flow in all_json[name]["flows"]:
            if flow["decision"] == "keep_internal":
                assert f"(`{flow['id']}`)" not in text and flow["name"] not in text

    def test_channel_volumes_handling_time_and_hours(self, briefs: dict[tuple[str, str], str],
                                                     all_json: dict[str, Any], answers: dict[str, Any],
                                                     name: str) -> None:
        """Per flow: channel, average and busiest month (volume x peak ratio), handling time as m:ss,
        hours a week; in the table and in the flow's section."""
        text = briefs[name, "en"]
        rows, sections = table_rows(text), brief_sections(text)
        for flow in going_out(all_json[name]):
            org, given = flow_answers(answers, name, flow["id"])
            volume = given["monthly_volume"]
            peak = volume * given.get("peak_ratio", 1.0)
            aht = int(given["aht_seconds"])
            hours = given.get("coverage_hours_needed", org.get("opening_hours_per_week"))
            row = rows[flow["name"]]
            assert row[1] == CHANNELS[given["channel"]]
            assert row[3:] == [f"{volume:,.0f}", f"{peak:,.0f}", f"{aht // 60}:{aht % 60:02d}", f"{hours:,.0f}"]
            body = sections[flow["id"]][1]
            assert f"- **Channel**: {CHANNELS[given['channel']]};" in body
            assert f"{volume:,.0f} contacts in an average month, {peak:,.0f} in the busiest" in body
            assert f"- **Handling time**: {aht // 60}:{aht % 60:02d} ({aht} s)" in body
            assert f"- **Hours a week**: {hours:,.0f} hours a week to cover" in body

    def test_scope(self, briefs: dict[tuple[str, str], str], all_json: dict[str, Any], answers: dict[str, Any],
                   name: str) -> None:
        """The whole flow when it goes out; for a split, what is split: the overflow share and the
        contacts beyond the average month, the hours beyond the in-house team's, tier 1 only."""
        sections = brief_sections(briefs[name, "en"])
        for flow in going_out(all_json[name]):
            org, given = flow_answers(answers, name, flow["id"])
            scope = re.search(r"^\*\*Scope\.\*\* (.*)$", sections[flow["id"]][1], re.M)
            assert scope, flow["id"]
            scope_text = scope.group(1)
            if flow["decision"] == "outsource":
                assert scope_text == "The whole flow, at every hour it is open."
                continue
            assert flow["split"], flow["id"]
            if "overflow" in flow["split"]:
                ratio, volume = given["peak_ratio"], given["monthly_volume"]
                assert "overflow at peaks" in scope_text.lower() or "overflow" in scope_text.lower()
                assert f"about {100 * (1 - 1 / ratio):.0f}% of the contacts" in scope_text
                assert f"some {volume * ratio - volume:,.0f} contacts in the busiest month" in scope_text
            if "after_hours" in flow["split"]:
                needed, opening = given["coverage_hours_needed"], org["opening_hours_per_week"]
                assert f"After hours: {needed - opening:.0f} hours a week beyond the in-house team's {opening}" \
                    in scope_text
            if "tier1" in flow["split"]:
                assert "Tier 1 only" in scope_text
            if "after_hours" not in flow["split"]:
                assert "After hours" not in scope_text

    def test_sizing_of_each_part_for_a_month_on_average_and_the_busiest_month(
            self, briefs: dict[tuple[str, str], str], all_json: dict[str, Any], answers: dict[str, Any],
            name: str) -> None:
        """Per part asked of the provider (the whole flow, or each split): what it asks (the hours
        beyond the in-house team's for after hours, the share of the year's contacts for the
        overflow, the routine share for tier 1), then its contacts and FTE a month on average and in
        the busiest month; the busiest month's FTE is the option's provider_fte, the average's in
        proportion to the contacts."""
        sections = brief_sections(briefs[name, "en"])
        labels = {"outsource": "The whole flow", "overflow": "Overflow at peaks", "after_hours": "After hours",
                  "tier1": "Tier 1"}
        for flow in going_out(all_json[name]):
            org, given = flow_answers(answers, name, flow["id"])
            body = sections[flow["id"]][1]
            assert "- **Indicative sizing**: " in body
            volume, ratio = float(given["monthly_volume"]), float(given.get("peak_ratio", 1.0))
            peak = volume * ratio
            parts = re.findall(r"^  - \*\*([^*]+)\*\*: (.*)$", body, re.M)
            asked = decision_options(flow)
            assert [label for label, _ in parts] == [labels[o] for o in asked], flow["id"]
            for option_name, (_, line) in zip(asked, parts):
                option = flow["costs"]["options"].get(option_name)
                if option is None:
                    continue
                share = option["provider_share_pct"]
                average = volume * (share / 100)
                busiest = peak - volume if option_name == "overflow" else peak * (share / 100)
                fte = option["provider_fte"]
                assert f"in the busiest month, about {busiest:,.0f} contacts and {fte:.1f} FTE" in line, line
                assert f"a month on average, about {average:,.0f} contacts and {fte * average / busiest:.1f} FTE" \
                    in line, line
                if option_name == "after_hours":
                    gap = given["coverage_hours_needed"] - org["opening_hours_per_week"]
                    assert line.startswith(f"{gap:.0f} hours a week beyond the in-house team's "
                                           f"{org['opening_hours_per_week']}, about {share:.0f}% of the contacts;")
                elif option_name == "overflow":
                    assert f"about {share:.0f}% of the year's contacts" in line
                elif option_name == "tier1":
                    assert line.startswith(f"the routine contacts, about {share:.0f}% of the contacts")
                else:
                    hours = given.get("coverage_hours_needed", org.get("opening_hours_per_week"))
                    assert line.startswith(f"every contact, over the flow's {hours:.0f} hours a week;")
            if asked:
                assert "- FTE are counted at the busiest month, the provider's team, sized for its pricing model. " in body

    def test_certifications(self, briefs: dict[tuple[str, str], str], all_json: dict[str, Any],
                            answers: dict[str, Any], name: str) -> None:
        """PCI DSS for card data; HIPAA BAA only for health data of a US organisation; ISO 27001 for
        highly sensitive or regulated data; none otherwise."""
        sections = brief_sections(briefs[name, "en"])
        for flow in going_out(all_json[name]):
            org, given = flow_answers(answers, name, flow["id"])
            regulated = given.get("regulated_data", [])
            expected = set()
            if "payment_card" in regulated:
                expected.add("PCI DSS")
            if "health" in regulated and org.get("country") == "US":
                expected.add("HIPAA BAA")
            if given.get("data_sensitivity") == "high" or regulated:
                expected.add("ISO 27001")
            line = re.search(r"^- \*\*Certifications required\*\*: (.*)$", sections[flow["id"]][1], re.M)
            assert line, flow["id"]
            shown = set() if line.group(1) == "none" else set(line.group(1).split(", "))
            assert shown == expected, flow["id"]

    @pytest.mark.parametrize("lang", ["en", "fr"])
    def test_no_internal_cost_or_quote_amount(self, briefs: dict[tuple[str, str], str], all_json: dict[str, Any],
                                              answers: dict[str, Any], name: str, lang: str) -> None:
        """Neither the company's costs (hourly cost, cost per contact, monthly cost) nor a provider's
        quote or price appears, in any way a number is written; no amount in a currency at all."""
        text = briefs[name, lang]
        # the peak ratio is shown on purpose, and 1.35 is also a quote in health-insurer.yaml
        text = re.sub(r"\((?:peak ratio|ratio de pointe) [\d.,]+\)", "", text)
        assert text != briefs[name, lang]
        org = answers[name]["organisation"]
        assert not re.search(rf"({org['currency']}|€|\$)\s?\d|\d\s?({org['currency']}|€)", text)
        amounts: list[float] = [float(org["loaded_hourly_cost"])]
        for flow in all_json[name]["flows"]:
            m = flow["metrics"]
            amounts += [m["inhouse_cost_per_contact"]]
            amounts += [m[k] for k in ("provider_cost_per_contact",) if m.get(k) is not None]
        for given in answers[name]["flows"]:
            amounts += [float(v) for v in (given.get("vendor_quote") or {}).values()]
        for amount in amounts:
            for written in {f"{amount:.2f}", f"{amount:,.2f}", f"{amount:.2f}".replace(".", ",")}:
                assert not re.search(rf"(?<![\d.,]){re.escape(written)}(?!\d)", text), (amount, written)
        for flow in all_json[name]["flows"]:
            for key in ("inhouse_cost_monthly", "provider_cost_monthly", "base_cost", "hidden_cost"):
                if flow["metrics"].get(key):
                    assert fmt_number(flow["metrics"][key], lang) not in text, (flow["id"], key)
        # Nor any option's cost or saving: the cost comparison stays with the company.
        for flow in all_json[name]["flows"]:
            for option_name, option in flow["costs"]["options"].items():
                for key in ("monthly", "one_off", "per_contact", "term_total", "inhouse_monthly", "provider_monthly",
                            "governance_monthly", "transition_cost", "exit_cost"):
                    value = option[key]
                    if value and value >= 1:
                        written = {f"{value:.2f}", f"{value:,.2f}", f"{value:.2f}".replace(".", ",")}
                        if value >= 1000:
                            written.add(fmt_number(value, lang))
                        for form in written:
                            assert not re.search(rf"(?<![\d.,\u202f]){re.escape(form)}(?![\d\u202f])", text), \
                                (flow["id"], option_name, key, form)
        for word in ("saving", "saves", "économi", "quote", "devis", "payback"):
            assert word not in text.lower(), word


@pytest.mark.parametrize("name", [
    ACME, HEALTH,
    TELECOM,
    US_RETAIL, "us-health.yaml"], ids=lambda n: Path(n).stem)
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_brief_names_the_languages(briefs: dict[tuple[str, str], str], all_json: dict[str, Any],
                                   answers: dict[str, Any], name: str, lang: str) -> None:
    """Each flow's languages by their names (German, allemand), from the ISO codes of the answers."""
    label = "Languages" if lang == "en" else "Langues"
    sections = brief_sections(briefs[name, lang])
    for flow in going_out(all_json[name]):
        _, given = flow_answers(answers, name, flow["id"])
        line = re.search(rf"^- \*\*{label}\*\*\s?:\s?(.*)$", sections[flow["id"]][1], re.M)
        assert line, flow["id"]
        names = line.group(1).split(";")[0].strip().split(", ")
        assert names == [LANGUAGE_NAMES[lang][code] for code in given["languages"]], flow["id"]



@pytest.mark.parametrize("name, lang, line", [
    pytest.param(ACME, "en", "- Customers' country: France", id="acme-en"),
    pytest.param(ACME, "fr", "- Pays des clients\u202f: France", id="acme-fr"),
    pytest.param(US_RETAIL, "en", "- Customers' country: United States", id="us-retail-en"),
    pytest.param(US_RETAIL, "fr", "- Pays des clients\u202f: États-Unis", id="us-retail-fr"),
])
def test_brief_names_the_country(briefs: dict[tuple[str, str], str], name: str, lang: str, line: str) -> None:
    """The customers' country by its name in the brief's language, not its ISO code."""
    assert line in briefs[name, lang].splitlines()

class TestBriefMore:
    def test_hipaa_only_for_a_us_organisation(self, briefs: dict[tuple[str, str], str]) -> None:
        """Health data of a German insurer asks no HIPAA BAA; a US health plan's flows all do."""
        assert "HIPAA" not in briefs[HEALTH, "en"] and "HIPAA" not in briefs[HEALTH, "fr"]
        sections = brief_sections(briefs["us-health.yaml", "en"])
        assert list(sections) == ["claims-status", "premium-payments"]
        assert "- **Certifications required**: HIPAA BAA, ISO 27001" in sections["claims-status"][1]
        assert "PCI DSS" in sections["premium-payments"][1] and "HIPAA BAA" in sections["premium-payments"][1]

    def test_french_brief_is_french(self, briefs: dict[tuple[str, str], str], single_json: dict[str, Any]) -> None:
        text = briefs[HEALTH, "fr"]
        assert text.startswith("# Cahier des charges prestataire - Hanse Gesundheit (health insurer)\n")
        assert list(brief_sections(text)) == [f["id"] for f in going_out(single_json[HEALTH])]
        for french in ("| Flux | Canal | Périmètre | Mois moyen | Mois le plus chargé |", "**Périmètre.** Tout le flux",
                       "- **Langues**\u202f: allemand", "38\u202f000 contacts en un mois moyen, 51\u202f300 le mois",
                       "- **Certifications exigées**\u202f: ISO 27001", "Écrit par arbitre brief",
                       "**Périmètre.**"):
            assert french in text, french
        for english in ("Scope", "Languages", "Certifications required", "Handling time", "Average month",
                        "The whole flow", "contacts in an average month", "Written by", "phone;"):
            assert english not in text, english

    @pytest.mark.parametrize("lang, sentence", [
        ("en", "No flow is recommended out or split: there is nothing to ask a provider for."),
        ("fr", "Aucun flux n'est à externaliser ni à partager\u202f: il n'y a rien à demander à un prestataire."),
    ])
    def test_nothing_going_out_says_there_is_nothing_to_ask(self, briefs: dict[tuple[str, str], str],
                                                            fixture_json: dict[str, Any], lang: str,
                                                            sentence: str) -> None:
        assert going_out(fixture_json["all-internal.yaml"]) == []
        text = briefs["all-internal.yaml", lang]
        assert sentence in text
        assert brief_sections(text) == {} and table_rows(text) == {}

    @pytest.mark.parametrize("lang, sizing, busiest", [
        ("en", "- **Indicative sizing**: ", "in the busiest month, about {contacts} contacts and {fte} FTE"),
        ("fr", "- **Dimensionnement indicatif**\u202f: ", "le mois le plus chargé, environ {contacts} contacts et {fte} ETP"),
    ])
    def test_the_holiday_overflow_is_sized_for_its_busiest_month(self, briefs: dict[tuple[str, str], str],
                                                                 single_json: dict[str, Any], lang: str,
                                                                 sizing: str, busiest: str) -> None:
        """The US retailer's care line splits its holiday overflow: the provider is told the contacts
        of the busiest month beyond the average month and the FTE the cost model sizes for it, in
        English and in French (a narrow no-break space before the colon and the semicolon)."""
        flow = next(f for f in single_json[US_RETAIL]["flows"] if f["id"] == "customer-care-phone")
        assert flow["decision"] == "hybrid" and flow["split"] == ["overflow"]
        body = brief_sections(briefs[US_RETAIL, lang])["customer-care-phone"][1]
        fte = flow["costs"]["options"]["overflow"]["provider_fte"]
        fte_text = f"{fte:.1f}" if lang == "en" else f"{fte:.1f}".replace(".", ",")
        assert sizing in body
        assert busiest.format(contacts=fmt_number(150000 * 1.9 - 150000, lang), fte=fte_text) in body
        if lang == "fr":
            assert "Les ETP s'entendent au mois le plus chargé, équipe du prestataire, dimensionnée selon son mode de " \
                   "tarification. Le mois moyen est la moyenne des douze mois" in body
            assert not re.search(r"\w [:;]", body.replace(NARROW, "~"))  # every space before : ; is a narrow no-break one

    def test_out_writes_the_file(self, tmp_path: Path, briefs: dict[tuple[str, str], str]) -> None:
        out = tmp_path / "brief.md"
        run = ok(arbitre("brief", EXAMPLES / ACME, "--out", out))
        assert run.stdout == ""
        assert f"wrote {out}" in run.stderr
        assert out.read_text(encoding="utf-8") == briefs[ACME, "en"]
        assert [p.name for p in tmp_path.iterdir()] == ["brief.md"]
