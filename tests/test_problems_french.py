"""The problems of an answers file in the user's language: ``--lang fr`` words them in French, from the
one catalogue of problems (``engine/problems.yaml``); English stays as it was, and so does every command
without ``--lang``."""

from __future__ import annotations

import ast
import re
import warnings
from pathlib import Path

import pytest

from conftest import ROOT, RULES, arbitre_in_process
from engine import answers
from engine.load import read_document
from engine.problems import CATALOGUE, catalogue, catalogue_problems, placeholders
from engine.typography import NARROW

with warnings.catch_warnings():  # starlette's test client names an alias anyio deprecates (anyio 4.12)
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

BAD = "organisation: {country: FR}\nflows:\n  - id: a\n    channel: phone\n    monthly_volume: -5\n    aht_seconds: abc\n"
FLOW = "  - id: {id}\n    channel: phone\n    monthly_volume: {volume}\n    aht_seconds: 60\n"


def french(text: str) -> str:
    """``text`` with a narrow no-break space where French puts one (written here as a plain space before
    ``:`` ``;`` ``?`` so that the expected messages stay readable)."""
    return text.replace(" :", f"{NARROW}:").replace(" ;", f"{NARROW};").replace(" ?", f"{NARROW}?")


def written(tmp_path: Path, text: str, name: str = "answers.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


class TestTheBadFile:
    """The file of the request: a negative volume and a handling time that is not a number."""

    def test_in_french(self, tmp_path: Path) -> None:
        """``recommend --lang fr`` says the problems in French, each at its line, exit 2."""
        path = written(tmp_path, BAD)
        run = arbitre_in_process("recommend", path, "--lang", "fr")
        assert run.returncode == 2 and run.stdout == ""
        assert run.stderr == french(
            f"erreur : {path} : 2 problèmes dans les réponses\n"
            f"  {path}:5: flows[0].monthly_volume: -5 est hors limites : il faut un nombre supérieur ou égal à 0\n"
            f"  {path}:6: flows[0].aht_seconds: 'abc' n'est pas un nombre\n")

    def test_in_english(self, tmp_path: Path) -> None:
        """Without --lang (and with --lang en) the problems read as they always have."""
        path = written(tmp_path, BAD)
        want = (f"error: {path}: 2 problems in the answers\n"
                f"  {path}:5: flows[0].monthly_volume: -5 is out of range: expected a number at least 0\n"
                f"  {path}:6: flows[0].aht_seconds: 'abc' is not a number\n")
        assert arbitre_in_process("recommend", path).stderr == want
        assert arbitre_in_process("recommend", path, "--lang", "en").stderr == want

    @pytest.mark.parametrize("command", [
        pytest.param(["report"], id="report"),
        pytest.param(["brief"], id="brief"),
        pytest.param(["tender", "--out", "pack"], id="tender"),
    ])
    def test_every_command_with_lang(self, tmp_path: Path, command: list[str]) -> None:
        """report, brief and tender say the same problems in French with --lang fr."""
        path = written(tmp_path, BAD)
        run = arbitre_in_process(*command, path, "--lang", "fr", cwd=tmp_path)
        assert run.returncode == 2
        assert run.stderr.startswith(french(f"erreur : {path} : 2 problèmes dans les réponses\n"))
        assert "'abc' n'est pas un nombre" in run.stderr

    def test_a_folder_run(self, tmp_path: Path) -> None:
        """recommend FOLDER --lang fr: a bad file's problems and the closing summary in French, the good
        file recommended; in English as before without --lang."""
        written(tmp_path, BAD, "bad.yaml")
        (tmp_path / "acme.yaml").write_text((ROOT / "examples" / "acme-retail.yaml").read_text(encoding="utf-8"),
                                            encoding="utf-8")
        run = arbitre_in_process("recommend", tmp_path, "--lang", "fr", "--format", "jsonl")
        assert run.returncode == 2 and len(run.stdout.splitlines()) == 2
        assert run.stderr.startswith(french(f"erreur : {tmp_path / 'bad.yaml'} : 2 problèmes dans les réponses\n"))
        assert run.stderr.endswith(french(
            "2 fichiers, 6 flux : 2 à externaliser, 2 à partager, 2 à garder en interne ; 1 fichier n'a pas pu être lu.\n"))
        english = arbitre_in_process("recommend", tmp_path, "--format", "jsonl").stderr
        assert english.startswith(f"error: {tmp_path / 'bad.yaml'}: 2 problems in the answers\n")
        assert english.endswith("2 files, 6 flows: 2 to outsource, 2 to split, 2 to keep in-house; "
                                "1 file could not be read.\n")

    def test_a_missing_file_and_a_file_that_is_not_utf8(self, tmp_path: Path) -> None:
        """The commonest mistakes in reading a file, in French: a file that is not there, bytes that are not
        UTF-8 (at their line); in English as before."""
        run = arbitre_in_process("recommend", tmp_path / "nothere.yaml", "--lang", "fr")
        assert run.returncode == 2 and run.stderr == french(
            f"erreur : impossible de lire les réponses de {tmp_path / 'nothere.yaml'}\n"
            f"  {tmp_path / 'nothere.yaml'}: fichier de réponses introuvable\n")
        assert arbitre_in_process("recommend", tmp_path / "nothere.yaml").stderr.endswith(": no such answers file\n")
        binary = tmp_path / "latin1.yaml"
        binary.write_bytes("flows:\n  - id: caf\xe9\n".encode("latin-1"))
        run = arbitre_in_process("recommend", binary, "--lang", "fr")
        assert run.stderr.endswith(french(f"  {binary}:2: n'est pas du texte UTF-8 (octet 18) ; enregistrez-le en UTF-8\n"))

    def test_files_left_out_of_a_folder(self, tmp_path: Path) -> None:
        """The note on the files of a folder that are not answers, in French; past ten, the rest counted."""
        (tmp_path / "acme.yaml").write_text((ROOT / "examples" / "acme-retail.yaml").read_text(encoding="utf-8"),
                                            encoding="utf-8")
        for n in range(12):
            written(tmp_path, "columns: {queue: File}\n", f"mapping-{n:02}.yaml")
        run = arbitre_in_process("recommend", tmp_path, "--lang", "fr", "--format", "jsonl")
        assert run.returncode == 0
        note = run.stderr.splitlines()[0]
        assert note.startswith(french(f"remarque : {tmp_path} : 12 fichiers laissés de côté"))
        assert note.count("mapping-") == 10 and note.endswith(" et 2 autres")
        english = arbitre_in_process("recommend", tmp_path, "--format", "jsonl").stderr.splitlines()[0]
        assert english.startswith(f"note: {tmp_path}: left out 12 files that are not answers") and \
            english.endswith(" and 2 more")

    def test_a_number_that_is_not_a_number(self, tmp_path: Path) -> None:
        """.nan for a bounded number is said to be no finite number, not to be out of its range."""
        path = written(tmp_path, "flows:\n  - id: a\n    channel: phone\n    monthly_volume: 1\n    aht_seconds: .nan\n")
        assert arbitre_in_process("recommend", path).stderr.endswith(
            f"{path}:5: flows[0].aht_seconds: nan is not a finite number\n")
        assert arbitre_in_process("recommend", path, "--lang", "fr").stderr.endswith(
            f"{path}:5: flows[0].aht_seconds: nan n'est pas un nombre fini\n")

    def test_an_unknown_key_of_a_fixed_list(self, tmp_path: Path) -> None:
        """A day of the week written in full in a weekly profile: one of the days allowed, in French too."""
        week = "    weekly_profile: {monday: [0]}\n"
        path = written(tmp_path, "flows:\n  - id: a\n    channel: phone\n    monthly_volume: 1\n    aht_seconds: 60\n"
                       + week)
        run = arbitre_in_process("recommend", path, "--lang", "fr")
        assert french("'monday' ne fait pas partie des valeurs possibles : mon, tue") in run.stderr
        assert "'monday' is not one of mon, tue" in arbitre_in_process("recommend", path).stderr


# Each family of problems: (note, answers file, the French problem line after "answers.yaml:").
FAMILIES = [
    pytest.param(
        "organisation: {country: FR}\nflows:\n  - id: a\n    channel: fax\n    monthly_volume: 100\n"
        "    aht_seconds: 60\n",
        "4: flows[0].channel: 'fax' ne fait pas partie des valeurs possibles : phone, email, chat, social, letter, other",
        id="pydantic-enum"),
    pytest.param(
        "flows:\n  - id: a\n    channel: phone\n    monthly_volume: 1.5\n    aht_seconds: 60\n",
        "4: flows[0].monthly_volume: 1.5 n'est pas un nombre entier", id="pydantic-whole-number"),
    pytest.param(
        "organisation: {currency: eur}\nflows:\n  - id: a\n    channel: phone\n    monthly_volume: 1\n"
        "    aht_seconds: 60\n",
        "1: organisation.currency: 'eur' n'est pas un code devise à trois lettres majuscules (ISO 4217), comme EUR",
        id="pydantic-pattern"),
    pytest.param(
        "flows:\n  - id: a\n    chanel: phone\n    monthly_volume: 1\n    aht_seconds: 60\n    channel: phone\n",
        "3: flows[0].chanel: champ inconnu 'chanel' ; vouliez-vous dire 'channel' ?", id="pydantic-unknown-field"),
    pytest.param(
        "flows:\n  - id: a\n    channel: phone\n    monthly_volume: 100\n    aht_seconds: 60\n    concurrency: 2\n",
        "6: flows[0].concurrency: concurrency 2 ne vaut que pour le chat : sur le canal phone, un conseiller traite "
        "un contact à la fois (retirez ce champ ou indiquez 1)", id="validator-chat-only"),
    pytest.param(
        "flows:\n  - id: a\n    channel: phone\n    monthly_volume: 1\n    aht_seconds: 60\n    current_fte: 0.001\n",
        "6: flows[0].current_fte: 0,001 ETP, c'est trop peu pour dimensionner une équipe : indiquez 0 ou au moins 0,01",
        id="validator-too-little"),
    pytest.param(
        "flows:\n  - id: a\n    channel: phone\n    monthly_volume: 1\n    aht_seconds: 60\n    vendor_quote: {}\n",
        "6: flows[0].vendor_quote: indiquez un seul prix parmi per_contact, per_hour, per_minute, per_fte_month "
        "(aucun trouvé)", id="validator-quote"),
    pytest.param(
        "flows:\n  - id: a\n    channel: phone\n    monthly_volume: {low: 900, high: 100}\n    aht_seconds: 60\n",
        "4: flows[0].monthly_volume: low (900) est supérieur à high (100) ; il faut low <= likely <= high",
        id="range-low-above-high"),
    pytest.param(
        "flows:\n  - id: a\n    channel: phone\n    monthly_volume: 1\n    aht_seconds: 240 ± -5\n",
        "5: flows[0].aht_seconds: '240 ± -5' : l'écart -5 est négatif ; il faut un écart positif ou nul",
        id="range-negative-spread"),
    pytest.param(
        "flows:\n  - id: a\n    channel: phone\n    monthly_volume: {low: -10, high: 100}\n    aht_seconds: 60\n",
        "4: flows[0].monthly_volume: borne basse : -10 est hors limites : il faut un nombre supérieur ou égal à 0",
        id="range-bound"),
    pytest.param(
        "flows:\n  - id: a\n    channel: phone\n    monthly_volume: 1\n    aht_seconds: 60\n"
        "  - id: a\n    channel: email\n    monthly_volume: 1\n    aht_seconds: 60\n",
        "6: flows[1].id: 'a' est déjà l'identifiant de flows[0], ligne 2 ; chaque identifiant doit être unique",
        id="file-duplicate-id"),
]


class TestFamilies:
    @pytest.mark.parametrize(("text", "want"), FAMILIES)
    def test_one_problem_in_french(self, tmp_path: Path, text: str, want: str) -> None:
        """Each kind of problem is worded in French, under the headline of a single problem."""
        path = written(tmp_path, text)
        run = arbitre_in_process("recommend", path, "--lang", "fr")
        assert run.returncode == 2
        assert run.stderr == french(f"erreur : {path} : 1 problème dans les réponses\n  {path}:{want}\n")

    def test_empty_file(self, tmp_path: Path) -> None:
        """An empty file: its own headline and problem, in French."""
        path = written(tmp_path, "")
        run = arbitre_in_process("recommend", path, "--lang", "fr")
        assert run.returncode == 2
        assert run.stderr == french(f"erreur : {path} est vide\n"
                                    f"  {path}:1: le fichier est vide ; il doit contenir organisation: et flows:\n")

    def test_not_a_mapping(self, tmp_path: Path) -> None:
        """A list instead of answers: said in French."""
        path = written(tmp_path, "- a\n- b\n")
        run = arbitre_in_process("recommend", path, "--lang", "fr")
        assert run.stderr == french(
            f"erreur : {path} n'est pas un fichier de réponses\n"
            f"  {path}:1: le document est une liste ; il doit contenir organisation: et flows:\n")

    def test_many_problems_counted_in_french(self, tmp_path: Path) -> None:
        """Past the listed problems, the rest are counted in French; the count grouped as French groups it."""
        flows = "".join(FLOW.format(id=f"f{index}", volume=-1) for index in range(1_053))
        path = written(tmp_path, f"flows:\n{flows}")
        run = arbitre_in_process("recommend", path, "--lang", "fr")
        lines = run.stderr.splitlines()
        assert lines[0] == french(f"erreur : {path} : 1{NARROW}053 problèmes dans les réponses")
        assert lines[-1] == f"  ... et 1{NARROW}003 autres problèmes"
        english = arbitre_in_process("recommend", path).stderr.splitlines()
        assert english[0] == f"error: {path}: 1,053 problems in the answers"
        assert english[-1] == "  ... and 1,003 more problems"


class TestWorkspaceUpload:
    def test_upload_problems_in_the_pages_language(self, tmp_path: Path) -> None:
        """A French browser's refused upload lists its problems in French; an English one in English."""
        from web.app import create_app
        from web.store import Store

        store = Store.open(tmp_path / "workspace.db")
        try:
            with TestClient(create_app(store, policy_dir=RULES), raise_server_exceptions=False) as browser:
                for header, want in (("fr", french("'abc' n'est pas un nombre")), ("en", "'abc' is not a number")):
                    page = browser.get("/", headers={"accept-language": header}).text
                    csrf = page.split('name="csrf" value="')[1].split('"')[0]
                    answer = browser.post("/assessments/upload", data={"csrf": csrf, "lang": "en"},
                                          headers={"accept-language": header},
                                          files={"file": ("bad.yaml", BAD.encode(), "application/yaml")})
                    assert answer.status_code == 400
                    assert f"bad.yaml:6: flows[0].aht_seconds: {want}" in answer.text.replace("&#39;", "'")
            assert store.assessments() == []
        finally:
            store.close()


# Where the code names a message of the catalogue: the function, and which argument is the key.
_KEY_ARGUMENT = {"phrase": 0, "invalid": 0, "_error": 0, "problem": 3, "self.problem": 1, "NoneOrAtLeast": 1,
                 "error": 1, "_file_problem": 2}
# Every module that words its messages through the catalogue (that imports engine.problems, or reads a file).
_SOURCES = sorted(str(path.relative_to(ROOT)) for path in [*(ROOT / "engine").rglob("*.py"), *(ROOT / "web").rglob("*.py"),
                                                           ROOT / "cli.py"]
                  if re.search(r"problems import|read_document\(|parse_(yaml|bytes)\(", path.read_text(encoding="utf-8")))


def _named(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return func.id if isinstance(func, ast.Name) else ""


def _strings(node: ast.expr) -> list[str]:
    """The texts an argument can be: a string, or either branch of ``a if ... else b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def keys_in_code() -> set[str]:
    """Every key of the catalogue the code names: in calls, and in the tables of keys of answers.py."""
    found: set[str] = set()
    for source in _SOURCES:
        for node in ast.walk(ast.parse((ROOT / source).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _named(node) in _KEY_ARGUMENT:
                index = _KEY_ARGUMENT[_named(node)]
                if len(node.args) > index:
                    found.update(_strings(node.args[index]))
            if isinstance(node, ast.Call):  # the kind of file a reader is given: read_document(..., what=KEY)
                found.update(key for keyword in node.keywords if keyword.arg == "what"
                             for key in _strings(keyword.value))
    tables = [*answers._EXPECTATIONS.values(), *answers._FORMS.values(), *answers._KINDS.values(),
              *(key for key, _ in answers._BOUNDS.values())]
    return found | set(tables)


# A string shaped like a key of the catalogue (``acd.expect.count``), and the names of files it leaves aside.
_KEY_SHAPE = re.compile(r"^[a-z_]+\.[a-z_.]+$")
_FILE_NAME = re.compile(r"\.(ya?ml|json)$")


def key_shaped(code: str) -> set[str]:
    """Every string constant of ``code`` shaped like a catalogue key in one of the catalogue's sections
    (the part before the first dot of its dotted keys), whatever passes it on: ``error``, a local helper
    (``refuse("record.format")``), a variable (``key = "acd.row_problem"``)."""
    sections = {key.split(".")[0] for key in catalogue() if "." in key}
    return {node.value for node in ast.walk(ast.parse(code))
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _KEY_SHAPE.match(node.value)
            and node.value.split(".")[0] in sections and not _FILE_NAME.search(node.value)}


class TestCatalogue:
    def test_both_languages_fill_in_the_same_names(self) -> None:
        """Every message has English and French text with the same placeholders."""
        assert catalogue_problems() == []

    def test_a_difference_is_found(self) -> None:
        """The check itself finds a French text that forgets a placeholder, and a missing language."""
        assert catalogue_problems({"x": {"en": "{value} is wrong", "fr": "c'est faux"}, "y": {"en": "y"}}) == [
            "x: fr fills in [], en ['value']", "y: no text in fr"]

    def test_every_key_used_exists(self) -> None:
        """Every key the code names is in the catalogue: in a call of the catalogue's functions, or any
        string shaped like a key of one of its sections (passed through a helper or a variable)."""
        used = keys_in_code() | {key for source in _SOURCES for key in key_shaped((ROOT / source).read_text(encoding="utf-8"))}
        assert len(used) > 50
        assert sorted(used - set(catalogue())) == []

    def test_a_key_passed_through_a_helper_is_checked(self) -> None:
        """The check sees a key handed to a local helper or kept in a variable, so a typo in it fails;
        a file's name is no key."""
        code = ('def f(fail, ok):\n    key = "acd.row_problems" if ok else "acd.row_problme"\n'
                '    fail("record.formt")\n    return "policy.yaml", "just words"\n')
        assert sorted(key_shaped(code) - set(catalogue())) == ["acd.row_problme", "record.formt"]

    def test_every_message_is_used(self) -> None:
        """The catalogue holds no message the code never names (in a call or a table of keys)."""
        named = keys_in_code() | {node.value for source in _SOURCES
                                  for node in ast.walk(ast.parse((ROOT / source).read_text(encoding="utf-8")))
                                  if isinstance(node, ast.Constant) and isinstance(node.value, str)}
        assert sorted(set(catalogue()) - named) == []

    def test_french_is_written_with_its_spaces(self) -> None:
        """As written in the catalogue, a French message puts a space before ; ? ! and % (printed as a narrow
        no-break space); the English ones put none before ; ? and !. (A colon cannot be checked so: French
        writes "limites :" but a field's name is written "flows:".)"""
        raw = read_document(CATALOGUE).data
        for key, texts in raw.items():
            assert not re.search(r"[^\s{]([;?!]|%(?!\w))", texts["fr"]), key
            assert not re.search(r" [;?!]", texts["en"]), key
        assert all(f" {mark}" not in texts["fr"] for texts in catalogue().values() for mark in ";?!")

    def test_escaped_braces_are_not_placeholders(self) -> None:
        """``{{low: ...}}`` in a message is text, not a name to fill in."""
        assert placeholders(catalogue()["range.unknown_key"]["en"]) == {"key"}
