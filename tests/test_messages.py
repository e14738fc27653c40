"""What reaches the user's terminal from their files: a short quote of a wrong value, never a file's
contents, and never a control character the terminal would obey (clear the screen, set the title).

The commands run in-process through click's runner, as a user would type them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli import main
from engine.errors import excerpt, printable

ROOT = Path(__file__).resolve().parent.parent

# Names holding escape sequences: clear the screen, set the window title, and the one-byte CSI (C1).
NAMED_WITH_ESCAPES = """\
organisation:
  name: "Acme \\e[2J\\e]0;owned\\a"
  country: FR
flows:
  - id: orders
    name: "Orders \\x9b31m red \\x7f"
    channel: phone
    monthly_volume: 1200
    aht_seconds: 240
"""
RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\x7f")


def run(*args: str | Path) -> Result:
    """``arbitre ARGS`` in-process, from the repository root."""
    return CliRunner().invoke(main, [str(arg) for arg in args], catch_exceptions=False)


class TestExcerpt:
    @pytest.mark.parametrize(("value", "shown"), [
        pytest.param("fax", "'fax'", id="short-text"),
        pytest.param("a" * 50, "'" + "a" * 40 + "...'", id="long-text-is-cut"),
        pytest.param("API_KEY=secret\nDB=x", "'API_KEY=secret\\nDB=x'", id="newline-escaped"),
        pytest.param("\x1b[2J\x9b\x7f", "'\\x1b[2J\\x9b\\x7f'", id="controls-escaped"),
        pytest.param(-5, "-5", id="number"),
        pytest.param(None, "null", id="null-as-written"),
        pytest.param(True, "true", id="boolean-as-written"),
        pytest.param(list(range(100)), "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 1...", id="long-list-is-cut"),
    ])
    def test_excerpt(self, value: object, shown: str) -> None:
        """A quoted value is one line, escapes shown, a few dozen characters at most."""
        assert excerpt(value) == shown

    def test_printable_keeps_lines_and_escapes_the_rest(self) -> None:
        """Newlines and tabs lay text out; every other control character is written as an escape."""
        assert printable("a\tb\nc\x1b[2J\r\x00\x9b\x7fé") == "a\tb\nc\\x1b[2J\\x0d\\x00\\x9b\\x7fé"


class TestNoFileContents:
    def test_a_file_of_one_value_is_not_quoted(self, tmp_path: Path) -> None:
        """An env file given for answers is said to be text, and none of it is shown."""
        env = tmp_path / "prod.env"
        env.write_text("API_KEY=secret\nDB=x\n", encoding="utf-8")
        result = run("recommend", env)
        assert result.exit_code == 2
        assert result.stderr == (f"error: {env} is not an answers file\n"
                                 f"  {env}:1: the document is text; expected a mapping with organisation: and flows:\n")

    def test_a_case_naming_any_file_does_not_print_it(self, tmp_path: Path) -> None:
        """``rules test`` on a case whose ``file:`` names a file of secrets reports it without its contents."""
        secrets = tmp_path / "secrets.txt"
        secrets.write_text("admin:x:0:0:admin:/home/admin:/bin/bash\nAPI_KEY=hunter2\n", encoding="utf-8")
        cases = tmp_path / "cases.yaml"
        cases.write_text(f"- note: a file that is not answers\n  file: {secrets}\n  want: {{a: {{decision: outsource}}}}\n",
                         encoding="utf-8")
        result = run("rules", "test", cases)
        assert result.exit_code == 1
        assert f"{secrets}:1: the document is text; expected a mapping" in result.stdout
        assert "hunter2" not in result.stdout
        assert "admin" not in result.stdout

    def test_a_long_wrong_value_is_cut(self, tmp_path: Path) -> None:
        """A wrong value of a thousand characters is quoted by its first forty."""
        answers = tmp_path / "a.yaml"
        answers.write_text("flows:\n  - id: a\n    channel: " + "x" * 1000 + "\n    monthly_volume: 1\n"
                           "    aht_seconds: 1\n", encoding="utf-8")
        result = run("recommend", answers)
        assert result.exit_code == 2
        assert f"flows[0].channel: '{'x' * 40}...' is not one of phone," in result.stderr
        assert "x" * 41 not in result.stderr


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An answers file whose organisation and flow are named with escape sequences."""
    path = tmp_path_factory.mktemp("escapes") / "answers.yaml"
    path.write_text(NAMED_WITH_ESCAPES, encoding="utf-8")
    return path


class TestNoTerminalEscapes:
    @pytest.mark.parametrize("fmt", ["text", "markdown"])
    def test_recommend_shows_escapes(self, answers: Path, fmt: str) -> None:
        """The names' control characters are shown as escapes in the text and Markdown outputs."""
        result = run("recommend", answers, "--format", fmt)
        assert result.exit_code == 0, result.output
        assert not any(c in result.stdout for c in RAW_CONTROLS)
        assert "Orders \\x9b31m red \\x7f" in result.stdout

    @pytest.mark.parametrize("fmt", ["json", "jsonl"])
    def test_json_keeps_the_names_as_they_are(self, answers: Path, fmt: str) -> None:
        """JSON carries the names unchanged, escaped as JSON allows, so no control reaches the terminal."""
        result = run("recommend", answers, "--format", fmt)
        read = json.loads(result.stdout)
        assert read["organisation"] == "Acme \x1b[2J\x1b]0;owned\x07"
        assert read["flows"][0]["name"] == "Orders \x9b31m red \x7f"
        assert not any(c in result.stdout for c in RAW_CONTROLS)

    def test_the_brief_shows_escapes(self, answers: Path) -> None:
        """The provider brief, Markdown sent outside the company, carries the names escaped too."""
        result = run("brief", answers)
        assert result.exit_code == 0, result.output
        assert not any(c in result.stdout for c in RAW_CONTROLS)
        assert "Acme \\x1b\\[2J\\x1b\\]0;owned\\x07" in result.stdout  # Markdown escapes the brackets

    def test_explain_shows_escapes(self, answers: Path, tmp_path: Path) -> None:
        """An explanation from an audit record, and why not another option, escape the names too."""
        record = tmp_path / "audit.json"
        assert run("recommend", answers, "--audit", record).exit_code == 0
        for args in ((), ("--why-not", "outsource", "--flow", "orders"), ("--verify",)):
            result = run("explain", record, *args)
            assert result.exit_code == 0, result.output
            assert not any(c in result.stdout for c in RAW_CONTROLS), args
        assert "Acme \\x1b[2J\\x1b]0;owned\\x07" in run("explain", record).stdout

    def test_errors_show_escapes(self, tmp_path: Path) -> None:
        """A wrong value and an unknown field holding escapes are reported with the escapes shown."""
        answers = tmp_path / "a.yaml"
        answers.write_text('flows:\n  - id: a\n    channel: "\\e[2Jfax"\n    "\\e]0;t\\a": 1\n'
                           "    monthly_volume: 1\n    aht_seconds: 1\n", encoding="utf-8")
        result = run("recommend", answers)
        assert result.exit_code == 2
        assert not any(c in result.stderr for c in RAW_CONTROLS)
        assert f"{answers}:3: flows[0].channel: '\\x1b[2Jfax' is not one of" in result.stderr
        assert f"{answers}:4: flows[0].\\x1b]0;t\\x07: unknown field '\\x1b]0;t\\x07'" in result.stderr

    def test_rules_test_shows_escapes(self, answers: Path, tmp_path: Path) -> None:
        """``rules test`` prints a case's note and its flows' names with the escapes shown."""
        cases = tmp_path / "cases.yaml"
        cases.write_text(f'- note: "clears \\e[2J the screen"\n  file: {answers}\n'
                         "  want:\n    orders: {decision: outsource}\n", encoding="utf-8")
        result = run("rules", "test", cases)
        assert result.exit_code == 1
        assert not any(c in result.stdout for c in RAW_CONTROLS)
        assert "clears \\x1b[2J the screen" in result.stdout


class TestQuestionnaireConsole:
    def test_what_it_says_and_asks_shows_escapes(self, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
        """A resumed draft's names reach the questionnaire's lines and prompts escaped, never raw."""
        import io

        from cli import TerminalConsole

        monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))
        console = TerminalConsole()
        console.say("Flow: Orders \x1b[2J\x9b")
        assert console.ask("Keep \x1b]0;owned\x07? ") == "yes"
        shown = capsys.readouterr()
        assert not any(c in shown.out + shown.err for c in RAW_CONTROLS)
        assert "Orders \\x1b[2J\\x9b" in shown.err and "Keep \\x1b]0;owned\\x07? " in shown.err
