"""The messages of the command line in French: each error a user can meet outside the answers' own
problems (a YAML or JSON syntax, an audit record and its key, the options, a bid, an export, a file that
cannot be written), worded in French under --lang fr with its place (file, line, field, value), and in
English as before; and the line each command ends with once it has written its files.

A YAML or JSON parser's own account of the fault is its own (and differs by version): only the French
frame around it is asserted."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest

from conftest import arbitre_in_process
from engine.problems import os_reason, say
from test_problems_french import french

ANSWERS = ("organisation: {country: FR}\nflows:\n"
           "  - id: a\n    channel: phone\n    monthly_volume: 9000\n    aht_seconds: 240\n"
           "  - id: b\n    channel: email\n    monthly_volume: 800\n    aht_seconds: 300\n")

# Files a case can name: {tmp}/NAME, written with this text (a missing one is not written).
FILES = {
    "answers.yaml": ANSWERS,
    "unclosed.yaml": 'flows:\n  - id: a\n    name: "unclosed\n',
    "indented.yaml": "flows:\n  - id: a\n   channel: phone\n",
    "broken.json": '{"flows": [\n',
    "record.json": '{"schema": "arbitre-audit/1"}',
    "folder-as-file": "not a folder",
    "bid.csv": "lot;price\n",
    "empty.csv": "",
    "one/answers.yaml": ANSWERS,
    "hdr.csv": "Date,Interval,Queue,Offered,Handled,AHT\n",
    "rows.csv": "Date,Interval,Queue,Offered,Handled,AHT\n2025-01-06,09:00,Q,twelve,1,300\n"
                "2025-01-06,09:30,Q,1,2,300\n2025-01-06,10:00,Q,1500,1200,0\n",
    "cols.csv": "Date,Queue,Offered\n",
    "short.csv": "Date,Interval,Queue,Offered,Handled,AHT\n2025-01-06,09:00,Q,10,9,300\n",
    "kept.yaml": "organisation: {country: FR}\nflows:\n  - id: k\n    channel: phone\n    activity: key_accounts\n"
                 "    monthly_volume: 650\n    aht_seconds: 720\n    complexity: high\n    brand_criticality: high\n"
                 "    customer_value: high\n    unique_know_how: true\n",
    "peaks.yaml": "flows:\n  - id: a\n    channel: phone\n    monthly_volume: 100\n    aht_seconds: 60\n"
                  "    peak_ratio: 1.2\n    monthly_profile: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]\n",
}

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "acme-retail.yaml"

# (the command, the French message, the English one): {tmp} is the test's folder, {example} the bundled
# example (which has lots to put to tender). A message ending in
# "..." is the start of what is printed (the parser's own detail follows); else the whole of it.
MESSAGES = [
    pytest.param(
        "recommend {tmp}/unclosed.yaml",
        "erreur : impossible de lire les réponses de {tmp}/unclosed.yaml\n  {tmp}/unclosed.yaml:4: YAML non valide : ...",
        "error: cannot read the answers in {tmp}/unclosed.yaml\n  {tmp}/unclosed.yaml:4: not valid YAML: ...",
        id="yaml-unclosed-quote"),
    pytest.param(
        "recommend {tmp}/indented.yaml",
        "erreur : impossible de lire les réponses de {tmp}/indented.yaml\n  {tmp}/indented.yaml:3: YAML non valide : ...",
        "error: cannot read the answers in {tmp}/indented.yaml\n  {tmp}/indented.yaml:3: not valid YAML: ...",
        id="yaml-bad-indentation"),
    pytest.param(
        "recommend {tmp}/broken.json",
        "erreur : impossible de lire les réponses de {tmp}/broken.json\n  {tmp}/broken.json:2: JSON non valide : ...",
        "error: cannot read the answers in {tmp}/broken.json\n  {tmp}/broken.json:2: not valid JSON: ...",
        id="json-syntax"),
    pytest.param(
        "recommend {tmp}/peaks.yaml",
        "erreur : {tmp}/peaks.yaml : 1 problème dans les réponses\n  {tmp}/peaks.yaml:2: flows[0]: peak_ratio 1,2 ne "
        "concorde pas avec monthly_profile, dont le mois le plus chargé vaut 1,85 fois la moyenne : n'indiquez que "
        "l'un des deux, ou mettez-les en accord\n",
        "error: {tmp}/peaks.yaml: 1 problem in the answers\n  {tmp}/peaks.yaml:2: flows[0]: peak_ratio 1.2 disagrees "
        "with monthly_profile, whose busiest month is 1.85 times its average: give one of them, or make them agree\n",
        id="figure-decimal-comma"),
    pytest.param(
        "explain {tmp}/record.json",
        "erreur : {tmp}/record.json n'est pas un enregistrement d'audit Arbitre\n"
        "  {tmp}/record.json:1: format: valeur attendue : 'arbitre-audit-record'\n",
        "error: {tmp}/record.json is not an Arbitre audit record\n"
        "  {tmp}/record.json:1: format: expected 'arbitre-audit-record'\n",
        id="record-not-a-record"),
    pytest.param(
        "explain {tmp}/nothere.json",
        "erreur : impossible de lire l'enregistrement d'audit {tmp}/nothere.json\n"
        "  {tmp}/nothere.json: enregistrement d'audit introuvable\n",
        "error: cannot read the audit record {tmp}/nothere.json\n  {tmp}/nothere.json: no such audit record\n",
        id="record-missing"),
    pytest.param(
        "explain {tmp}/broken.json",
        "erreur : impossible de lire l'enregistrement d'audit {tmp}/broken.json\n"
        "  {tmp}/broken.json:2: JSON non valide : ...",
        "error: cannot read the audit record {tmp}/broken.json\n  {tmp}/broken.json:2: not valid JSON: ...",
        id="record-not-json"),
    pytest.param(
        "explain {tmp}/record.json --key-file {tmp}/nokey",
        "erreur : impossible d'utiliser le fichier de clé {tmp}/nokey\n  {tmp}/nokey: fichier de clé introuvable ; "
        "créez-en un avec : head -c 32 /dev/urandom > KEYFILE\n",
        "error: cannot use the key file {tmp}/nokey\n"
        "  {tmp}/nokey: no such key file; make one with: head -c 32 /dev/urandom > KEYFILE\n",
        id="key-file-missing"),
    pytest.param(
        "recommend {tmp}/answers.yaml --flow c",
        "erreur : --flow 'c' : aucun flux de {tmp}/answers.yaml n'a cet identifiant ; les flux sont : a, b\n",
        "error: --flow 'c': no flow with that id in {tmp}/answers.yaml; the flows are: a, b\n",
        id="flow-unknown"),
    pytest.param(
        "recommend {tmp}/answers.yaml --override a=maybe --reason test",
        "erreur : --override 'a=maybe' : il faut FLOW_ID=DECISION, la décision étant à choisir "
        "parmi : outsource, hybrid, keep_internal\n",
        "error: --override 'a=maybe': expected FLOW_ID=DECISION, the decision one of outsource, hybrid, keep_internal\n",
        id="override-not-a-decision"),
    pytest.param(
        "recommend {tmp}/answers.yaml --override c=outsource --reason test",
        "erreur : --override 'c=outsource' : aucun flux n'a l'identifiant 'c' ; les flux sont : a, b\n",
        "error: --override 'c=outsource': no flow with the id 'c'; the flows are: a, b\n",
        id="override-unknown-flow"),
    pytest.param(
        "recommend {tmp}/answers.yaml --override a=outsource",
        "erreur : une décision remplacée demande une raison : ajoutez --reason TEXT (elle est conservée avec la "
        "décision)\n",
        "error: an override needs a reason: add --reason TEXT (it is kept beside the override)\n",
        id="override-without-reason"),
    pytest.param(
        "recommend {tmp}/answers.yaml --out {tmp}/answers.yaml",
        "erreur : --out {tmp}/answers.yaml est le fichier de réponses lu : il serait remplacé ; choisissez un autre "
        "fichier\n",
        "error: --out {tmp}/answers.yaml is the answers file being read: it would be replaced; choose another file\n",
        id="out-is-the-answers"),
    pytest.param(
        "recommend {tmp}/one --audit {tmp}/record-out.json",
        "erreur : --audit ne vaut que pour un fichier de réponses nommé seul, pas pour un dossier, un motif ou "
        "plusieurs chemins ({tmp}/one donne 1 fichier) : nommez le fichier lui-même\n",
        "error: --audit applies to one answers file named alone, not to a folder, a pattern or several paths "
        "({tmp}/one gives 1 file): name the file itself\n",
        id="audit-with-a-folder"),
    pytest.param(
        "tender {tmp}/answers.yaml --out {tmp}/folder-as-file",
        "erreur : --out {tmp}/folder-as-file est un fichier : indiquez un répertoire pour le dossier d'appel "
        "d'offres\n",
        "error: --out {tmp}/folder-as-file is a file: give a folder for the tender pack\n",
        id="out-is-a-file"),
    pytest.param(
        "bids {tmp}/answers.yaml {tmp}/bid.csv",
        "erreur : {tmp}/bid.csv : une offre est la grille de prix renvoyée (.xlsx) ou une offre écrite en YAML ou en "
        "JSON (.yaml, .yml, .json), pas un fichier .csv : enregistrez la grille en .xlsx\n",
        "error: {tmp}/bid.csv: a bid is the returned pricing grid (.xlsx) or a bid written as YAML or JSON "
        "(.yaml, .yml, .json), not a .csv: save the grid as .xlsx\n",
        id="bid-suffix"),
    pytest.param(
        "bids {tmp}/answers.yaml {tmp}/nothere.yaml",
        "erreur : impossible de lire l'offre de {tmp}/nothere.yaml\n  {tmp}/nothere.yaml: fichier d'offre introuvable\n",
        "error: cannot read the bid in {tmp}/nothere.yaml\n  {tmp}/nothere.yaml: no such bid\n",
        id="bid-missing"),
    pytest.param(
        "bids {tmp}/answers.yaml {tmp}/nothere.xlsx",
        "erreur : impossible de lire l'offre de {tmp}/nothere.xlsx\n...",
        "error: cannot read the bid in {tmp}/nothere.xlsx\n...",
        id="bid-grid-missing"),
    pytest.param(
        "recommend {tmp}/answers.yaml --policy {tmp}/nopolicy",
        "erreur : impossible de charger la politique de {tmp}/nopolicy\n"
        "  {tmp}/nopolicy: n'est pas un dossier contenant un policy.yaml\n",
        "error: cannot load the policy in {tmp}/nopolicy\n  {tmp}/nopolicy: is not a directory with a policy.yaml\n",
        id="policy-missing"),
    pytest.param(
        "import acd {tmp}/empty.csv --out {tmp}/imported.yaml",
        "erreur : impossible d'importer {tmp}/empty.csv\n  {tmp}/empty.csv:1: le fichier est vide : il faut une "
        "ligne d'en-tête, puis une ligne par file et par intervalle\n",
        "error: cannot import {tmp}/empty.csv\n"
        "  {tmp}/empty.csv:1: the file is empty: expected a header row, then one row per queue and interval\n",
        id="acd-empty"),
    pytest.param(
        "import acd {tmp}/nothere.csv --out {tmp}/imported.yaml",
        "erreur : impossible d'importer {tmp}/nothere.csv\n  {tmp}/nothere.csv: fichier introuvable\n",
        "error: cannot import {tmp}/nothere.csv\n  {tmp}/nothere.csv: no such file\n",
        id="acd-missing"),
    pytest.param(
        "import acd {tmp}/hdr.csv --out {tmp}/imported.yaml",
        "erreur : impossible d'importer {tmp}/hdr.csv\n  {tmp}/hdr.csv:2: aucune ligne de trafic après l'en-tête\n",
        "error: cannot import {tmp}/hdr.csv\n  {tmp}/hdr.csv:2: no row of traffic after the header\n",
        id="acd-header-only"),
    pytest.param(
        "import acd {tmp}/rows.csv --out {tmp}/imported.yaml",
        "erreur : impossible d'importer {tmp}/rows.csv : 3 problèmes dans ses lignes\n"
        "  {tmp}/rows.csv:2: colonne Offered : trouvé 'twelve', attendu un nombre entier de contacts "
        "(de 0 à 100\u202f000\u202f000)\n"
        "  {tmp}/rows.csv:3: colonne Handled : trouvé '2', attendu au plus le 1 contact présenté\n"
        "  {tmp}/rows.csv:4: colonne AHT : trouvé '0', attendu une durée de traitement supérieure à 0 pour "
        "1\u202f200 contacts traités\n",
        "error: cannot import {tmp}/rows.csv: 3 problems in its rows\n"
        "  {tmp}/rows.csv:2: column Offered: found 'twelve', expected a whole number of contacts (0 to 100,000,000)\n"
        "  {tmp}/rows.csv:3: column Handled: found '2', expected no more than the 1 contact offered\n"
        "  {tmp}/rows.csv:4: column AHT: found '0', expected a handling time above 0 for 1,200 contacts handled\n",
        id="acd-rows"),
    pytest.param(
        "import acd {tmp}/cols.csv --out {tmp}/imported.yaml",
        "erreur : impossible d'importer {tmp}/cols.csv : ses colonnes ne sont pas celles d'un export par "
        "intervalle\n  {tmp}/cols.csv:1: colonne handled : absente : trouvé Date, Queue, Offered, il faut un "
        "en-tête comme handled, answered, traites, repondus (ou nommez-le dans un fichier de correspondance : "
        "columns: {{handled: VOTRE EN-TÊTE}})\n...",
        "error: cannot import {tmp}/cols.csv: its columns are not those of an interval export\n"
        "  {tmp}/cols.csv:1: column handled: missing: found Date, Queue, Offered, expected a header such as "
        "handled, answered, traites, repondus (or name it in a mapping file: columns: {{handled: YOUR HEADER}})\n...",
        id="acd-columns"),
    pytest.param(
        "import acd {tmp}/short.csv --out {tmp}/imported.yaml",
        "erreur : impossible d'importer {tmp}/short.csv : un profil mensuel demande douze mois entiers\n"
        "  {tmp}/short.csv: l'export va du 2025-01-06 au 2025-01-06 : 0 mois entiers, il en faut 12 ; exportez une "
        "année entière d'intervalles\n",
        "error: cannot import {tmp}/short.csv: a monthly profile needs twelve whole months\n"
        "  {tmp}/short.csv: the export runs from 2025-01-06 to 2025-01-06: 0 whole months, expected 12; export a "
        "whole year of intervals\n",
        id="acd-short-year"),
    *(pytest.param(
        f"{command} {{tmp}}/answers.yaml --out {{tmp}}/nofolder/x.md",
        "erreur : impossible d'écrire {tmp}/nofolder/x.md\n  {tmp}/nofolder/x.md: fichier ou dossier introuvable\n",
        "error: cannot write {tmp}/nofolder/x.md\n  {tmp}/nofolder/x.md: No such file or directory\n",
        id=f"{command}-out-in-no-folder") for command in ("recommend", "brief", "report")),
    pytest.param(
        "recommend {tmp}/answers.yaml --out {tmp}/answers.yaml/x.md",
        "erreur : impossible d'écrire {tmp}/answers.yaml/x.md\n  {tmp}/answers.yaml/x.md: un élément du chemin n'est "
        "pas un dossier\n",
        "error: cannot write {tmp}/answers.yaml/x.md\n  {tmp}/answers.yaml/x.md: Not a directory\n",
        id="out-under-a-file"),
    pytest.param(
        "ask --save {tmp}/nofolder/x.yaml",
        "erreur : impossible d'écrire {tmp}/nofolder/x.yaml : le dossier {tmp}/nofolder n'existe pas\n",
        "error: cannot write {tmp}/nofolder/x.yaml: the folder {tmp}/nofolder does not exist\n",
        id="ask-save-in-no-folder"),
    pytest.param(
        "ask --resume {tmp}/unclosed.yaml",
        "erreur : impossible de reprendre à partir de {tmp}/unclosed.yaml\n  {tmp}/unclosed.yaml:4: YAML non valide : ...",
        "error: cannot resume from {tmp}/unclosed.yaml\n  {tmp}/unclosed.yaml:4: not valid YAML: ...",
        id="ask-resume-not-yaml"),
    pytest.param(
        "tender {example} --out {tmp}/folder-as-file/pack",
        "erreur : impossible de créer {tmp}/folder-as-file/pack\n  {tmp}/folder-as-file/pack: un élément du chemin "
        "n'est pas un dossier\n",
        "error: cannot create {tmp}/folder-as-file/pack\n  {tmp}/folder-as-file/pack: Not a directory\n",
        id="tender-out-under-a-file"),
    pytest.param(
        "tender {tmp}/kept.yaml --out {tmp}/pack",
        "erreur : aucun flux de {tmp}/kept.yaml n'est recommandé pour l'externalisation ou le partage (hybride) : rien "
        "à mettre en appel d'offres ; ajoutez --all-flows pour mettre tous les flux en appel d'offres\n",
        "error: no flow of {tmp}/kept.yaml is recommended for outsourcing or a split (hybrid): nothing to put to "
        "tender; add --all-flows to put every flow to tender\n",
        id="tender-no-lots"),
    pytest.param(
        "recommend {tmp}/answers.yaml {tmp}/nomatch*.yaml",
        "erreur : aucun fichier de réponses dans {tmp}/nomatch*.yaml (extensions cherchées : .yaml, .yml, .json)\n...",
        "error: no answers files in {tmp}/nomatch*.yaml (looked for .yaml, .yml, .json)\n...",
        id="glob-matching-nothing-beside-a-file"),
]

# (the command, what it says in French once its files are written, in English).
WROTE = [
    pytest.param("brief {tmp}/answers.yaml --out {tmp}/brief.md", "écrit : {tmp}/brief.md\n",
                 "wrote {tmp}/brief.md\n", id="brief"),
    pytest.param("report {tmp}/answers.yaml --out {tmp}/report.html", "écrit : {tmp}/report.html\n",
                 "wrote {tmp}/report.html\n", id="report"),
    pytest.param("recommend {tmp}/answers.yaml --out {tmp}/out.txt --audit {tmp}/record.json",
                 "enregistrement d'audit écrit : {tmp}/record.json\nécrit : {tmp}/out.txt\n",
                 "wrote the audit record {tmp}/record.json\nwrote {tmp}/out.txt\n", id="recommend-audit"),
    pytest.param("recommend {tmp}/answers.yaml {tmp}/kept.yaml --format jsonl --out {tmp}/all.jsonl",
                 "...écrit : {tmp}/all.jsonl\n", "...wrote {tmp}/all.jsonl\n", id="recommend-several"),
    pytest.param("tender {example} --out {tmp}/pack",
                 "écrits : {tmp}/pack/specification.md et {tmp}/pack/pricing-grid.xlsx (4 lots)\n",
                 "wrote {tmp}/pack/specification.md and {tmp}/pack/pricing-grid.xlsx (4 lots)\n", id="tender"),
]


def _write_files(tmp_path: Path) -> None:
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")


def _run(tmp_path: Path, command: str, *lang: str) -> tuple[int, str]:
    _write_files(tmp_path)
    run = arbitre_in_process(*command.format(tmp=tmp_path, example=EXAMPLE).split(), *lang)
    return run.returncode, run.stderr


def _matches(printed: str, want: str) -> bool:
    """A message ending in "..." is the start of what is printed, one starting with "..." its end."""
    if want.endswith("..."):
        return printed.startswith(want[:-3])
    return printed.endswith(want[3:]) if want.startswith("...") else printed == want


def test_a_policy_error_in_french(tmp_path: Path) -> None:
    """A policy whose rule file is not YAML: the headline and the file's problem in French, one problem
    in the singular; in English as before."""
    import shutil

    policy = tmp_path / "policy"
    shutil.copytree(Path(__file__).resolve().parent.parent / "rules", policy)
    (policy / "risk.yaml").write_text("rules: [\n", encoding="utf-8")
    (tmp_path / "answers.yaml").write_text(ANSWERS, encoding="utf-8")
    french_run = arbitre_in_process("recommend", tmp_path / "answers.yaml", "--policy", policy, "--lang", "fr")
    assert french_run.returncode == 2
    assert french_run.stderr.startswith(french(f"erreur : la politique de {policy} a 1 problème\n"
                                               f"  {policy}/risk.yaml:2: YAML non valide : ")), french_run.stderr
    english = arbitre_in_process("recommend", tmp_path / "answers.yaml", "--policy", policy)
    assert english.stderr.startswith(f"error: the policy in {policy} has 1 problem\n"
                                     f"  {policy}/risk.yaml:2: not valid YAML: "), english.stderr


def test_a_changed_record_in_french(tmp_path: Path) -> None:
    """A record changed after it was written: the digest check, headline and problem, in French."""
    answers = tmp_path / "answers.yaml"
    answers.write_text(ANSWERS, encoding="utf-8")
    record = tmp_path / "record.json"
    assert arbitre_in_process("recommend", answers, "--audit", record).returncode == 0
    data = json.loads(record.read_text(encoding="utf-8"))
    data["organisation"] = "Someone else"
    record.write_text(json.dumps(data, indent=1), encoding="utf-8")
    run = arbitre_in_process("explain", record, "--lang", "fr")
    assert run.returncode == 2
    headline, problem = run.stderr.splitlines()
    assert headline == french(f"erreur : l'enregistrement d'audit {record} a été modifié après son écriture : son "
                              "contenu ne correspond plus à son empreinte")
    assert problem.startswith(f"  {record}:") and french(": digest: empreinte enregistrée sha256:") in problem


# Each message with the exit code it comes with: an error (2) or the files a command wrote (0).
SAID = [*(pytest.param(*case.values, 2, id=case.id) for case in MESSAGES),
        *(pytest.param(*case.values, 0, id=f"wrote-{case.id}") for case in WROTE)]


@pytest.mark.parametrize(("command", "fr", "en", "exit_code"), SAID)
def test_french(tmp_path: Path, command: str, fr: str, en: str, exit_code: int) -> None:
    """Under --lang fr the error (or the files written) is said in French, at its place."""
    code, printed = _run(tmp_path, command, "--lang", "fr")
    assert code == exit_code
    assert _matches(printed, french(fr.format(tmp=tmp_path))), printed


@pytest.mark.parametrize(("command", "fr", "en", "exit_code"), SAID)
def test_english_unchanged(tmp_path: Path, command: str, fr: str, en: str, exit_code: int) -> None:
    """Without --lang the same reads in English, as it always has."""
    code, printed = _run(tmp_path, command)
    assert code == exit_code
    assert _matches(printed, en.format(tmp=tmp_path)), printed


def test_a_tender_with_no_lot_writes_nothing(tmp_path: Path) -> None:
    """A tender of a file whose only flow is kept in-house is refused before its folder is made."""
    code, _ = _run(tmp_path, "tender {tmp}/kept.yaml --out {tmp}/pack")
    assert code == 2 and not (tmp_path / "pack").exists()


def test_a_glob_matching_nothing_beside_a_file(tmp_path: Path) -> None:
    """A pattern that matches nothing beside a file is reported as a missing file is: the file is still
    recommended, exit 2."""
    _write_files(tmp_path)
    run = arbitre_in_process("recommend", tmp_path / "answers.yaml", tmp_path / "nomatch*.yaml", "--format", "jsonl")
    assert run.returncode == 2
    assert [json.loads(line)["file"] for line in run.stdout.splitlines()] == [str(tmp_path / "answers.yaml")]
    assert "nomatch*.yaml (looked for" in run.stderr


@pytest.mark.parametrize(("number", "fr", "en"), [
    pytest.param(errno.EACCES, "permission refusée", "Permission denied", id="EACCES"),
    pytest.param(errno.ENOSPC, "plus de place sur le disque", "No space left on device", id="ENOSPC"),
    pytest.param(errno.EROFS, "système de fichiers en lecture seule", "Read-only file system", id="EROFS"),
    pytest.param(errno.ENAMETOOLONG, "File name too long", "File name too long", id="another-as-the-system-says"),
])
def test_the_systems_reason(number: int, fr: str, en: str) -> None:
    """The system's common reasons are worded in French; another is shown as the system says it."""
    reason = os_reason(OSError(number, "File name too long" if number == errno.ENAMETOOLONG else en))
    assert (say(reason, "fr"), say(reason, "en")) == (fr, en)
