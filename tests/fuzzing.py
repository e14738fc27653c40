"""Fuzzing the command line: hostile inputs for each loader, run in-process, judged the same way.

Four loaders read what a user hands Arbitre, and each has its seeds and its commands:

- ``answers``: the files of ``examples/``, run through ``recommend`` (text, markdown, json, jsonl,
  tipping points off; on for a one-flow file), ``report`` and ``brief``;
- ``policy``: a copy of ``rules/`` with one file mutated, run through ``rules check`` and
  ``recommend --policy``;
- ``records``: the audit record of ``examples/acme-retail.yaml``, mutated then sealed again
  (``engine.analysis.audit.canonical``, over what the loader will parse) so that the change reaches
  past the seal check, run through ``explain``, ``explain --verify`` and ``explain --why-not``;
- ``cases``: a policy case file of ``rules/tests/``, run through ``rules test``.

A mutation parses the seed to data and changes it (a hostile value in place of a value: huge, tiny,
negative, NaN and infinity spellings, 4,401-digit integers, wrong types, control characters, lone
surrogates, very long text, a YAML tag, an alias; a key deleted, renamed or added; a flow
duplicated; a ``file:`` pointed at a secret), then sometimes changes the text itself (truncated, a
byte flipped, nested deep). Every choice comes from one ``random.Random``: a case is a pure
function of its loader and its seed, so ``case_for("policy", 1234)`` is the same input on any run.

Each case runs in-process through click's ``CliRunner`` with ``ARBITRE_DEBUG`` unset, in a folder
that also holds ``secret.env``, a file of credentials whose marker must never be shown. The verdict:
success is an exit the command documents (0, 2 for a user error, and 1 for ``rules check`` and
``rules test`` when the policy has problems or a case fails, 3 for ``explain --verify`` when a
decision changed) with no traceback, no ``internal error`` and no secret in the output. A failure's
``kind`` (exception type and the innermost project function it was raised in) deduplicates what
``benchmarks/fuzz.py`` saves under ``tests/regressions/<loader>/``, replayed by
``tests/test_regressions.py``. ``tests/test_fuzz.py`` runs a few dozen cases a loader in
``make test``; ``make fuzz`` runs thousands in worker processes with a deadline and a memory cap.
"""

from __future__ import annotations

import gc
import hashlib
import json
import random
import re
import shutil
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
CASE_FILES = sorted((RULES / "tests").glob("*.yaml"))
REGRESSIONS = ROOT / "tests" / "regressions"
LOADERS = ("answers", "policy", "records", "cases")

MARKER = "ARBITRE-FUZZ-SECRET-5d0c1f"
SECRET_NAME = "secret.env"
SECRET_TEXT = (f"# production credentials\nARBITRE_API_TOKEN={MARKER}\n"
               f"DATABASE_URL=postgres://admin:{MARKER}@db.internal/prod\n")
# Where a mutated path may point: the secret beside the input, a folder up, and from a policy copy.
SECRET_PATHS = [SECRET_NAME, f"../{SECRET_NAME}", f"../../{SECRET_NAME}", "policy/../secret.env"]

# Hostile values, as YAML text put in place of a value (the dumper could not write most of them).
HOSTILE_YAML = [
    "1e400", "-1e400", "5e-324", "1e-320", "2.2250738585072014e-308", "1.7976931348623157e308", "0", "-0.0",
    "-1", "-273", "9" * 4401, "-" + "9" * 4401, "1" + "0" * 30, "-9223372036854775809", ".nan", ".NaN", ".inf",
    "-.inf", "NaN", "inf", "Infinity", "0x1F", "0o17", "1_000", "1:30", "2024-01-01", "''", "~", "null", "[]",
    "{}", "[1, 2, 3]", "{a: 1}", "[[]]", "true", "false", "yes", "NO", "high", "outsource", '"\\e[2J\\e[H"',
    '"\\x1b]0;pwned\\x07"', '"\\uD800"', '"\\uDFFF x"', '"\\0"', '"a\\nb: c\\r\\n- d"', '"\\u202e\\u2066"',
    "'" + "x" * 20_000 + "'", "'" + "é" * 3000 + "'", "!!int high", "!!bool maybe", "!!float nope",
    "!!int 12", "!!str 12", "!!python/object/apply:os.system ['echo pwned']", "!!python/name:os.system",
    "!!binary aGVsbG8=", "!!timestamp 2024-01-01", "!!set {a, b}", "!!omap [a: 1]", "!custom 5",
    "&anchor 5", "*undefined", "[" * 100 + "]" * 100, "{a: " * 80 + "1" + "}" * 80, "'{{ 7 * 7 }}'",
    "'{% for x in range(10**9) %}x{% endfor %}'", "'<script>alert(1)</script>'", "'../secret.env'",
]
# Hostile values in JSON text (records): what a JSON file can say.
HOSTILE_JSON = [
    "1e400", "-1e400", "5e-324", "1e-320", "0", "-0.0", "-1", "9" * 4401, "-" + "9" * 4401, "1" + "0" * 30,
    "NaN", "Infinity", "-Infinity", "null", "true", "false", '""', "[]", "{}", "[1, 2]", '{"a": 1}', "[[]]",
    '"\\u001b[2J\\u001b[H"', '"\\ud800"', '"\\udfff x"', '"\\u0000"', '"a\\nb"', '"' + "x" * 20_000 + '"',
    "[" * 100 + "]" * 100, '"{{ 7 * 7 }}"', '"{% for x in range(10**9) %}x{% endfor %}"', '"../secret.env"',
    '"outsource"', '"hybrid"', '"keep_internal"', '"sha256:' + "0" * 64 + '"', '"2024-02-30T25:61:61Z"',
]
TEXT_NOISE = ["!!int high", "!!python/object:os.system", "&a ", "*a", "<<: *a", "? ", "- ", "{", "]", "'", '"',
              "\t", "\x00", "\ufeff", "\x1b[2J", "%YAML 1.1\n", "---\n", "...\n", "#", ": ", "|\n", ">-\n"]


@dataclass
class Case:
    """One fuzzed input: the files it needs and the command that reads them.

    ``files`` are written in the case folder; ``command`` names them through ``{dir}`` (that
    folder) and the repository through ``{root}``. ``replaces``: the bundled policy file that a
    policy case's mutated file replaces in its copy ``{dir}/policy``.
    """

    loader: str
    seed: int
    command: list[str]
    files: dict[str, bytes]
    input_name: str
    summary: str
    replaces: str | None = None

    def argv(self, folder: Path) -> list[str]:
        return [part.replace("{dir}", str(folder)).replace("{root}", str(ROOT)) for part in self.command]


@dataclass
class Outcome:
    """What a case did: its exit code, its output, and what was wrong with it (None when nothing)."""

    exit_code: int
    output: str
    failure: str | None = None       # internal, memory, secret (hang is decided by the parent)
    kind: str = ""                   # exception type @ innermost project function, for deduplication
    where: str = ""                  # that frame's file:line, and the innermost frame of all
    detail: str = ""                 # the exception's message (first line, cut short)
    extra: dict[str, Any] = field(default_factory=dict)


# --- structure-aware mutation ----------------------------------------------------------------

Path_ = tuple[Any, ...]


def _nodes(data: Any, at: Path_ = ()) -> list[Path_]:
    """Every path in ``data``: the root, each mapping value and each list item, depth first."""
    out = [at]
    if isinstance(data, dict):
        for key, value in data.items():
            out += _nodes(value, (*at, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            out += _nodes(value, (*at, index))
    return out


def _get(data: Any, at: Path_) -> Any:
    for key in at:
        data = data[key]
    return data


def _set(data: Any, at: Path_, value: Any) -> Any:
    if not at:
        return value
    _get(data, at[:-1])[at[-1]] = value
    return data


class Mutator:
    """Changes a parsed document in place of values and keys; hostile values become placeholders
    that ``render`` replaces by their raw text (YAML or JSON), so that any spelling gets through."""

    def __init__(self, rng: random.Random, hostile: list[str], secret_keys: tuple[str, ...] = ()) -> None:
        self.rng = rng
        self.hostile = hostile
        self.raw: dict[str, str] = {}
        self.secret_keys = secret_keys
        self.done: list[str] = []

    def placeholder(self, text: str) -> str:
        name = f"FUZZRAW{len(self.raw)}X"
        self.raw[name] = text
        return name

    def mutate(self, data: Any, count: int) -> Any:
        for _ in range(count):
            data = self.once(data)
        return data

    def once(self, data: Any) -> Any:
        rng = self.rng
        paths = _nodes(data)
        at = rng.choice(paths[1:] or paths)
        value = _get(data, at)
        parent = _get(data, at[:-1]) if at else None
        op = rng.choices(["hostile", "borrow", "delete", "rename", "add", "duplicate", "wrap", "scale", "secret"],
                         [30, 12, 10, 8, 8, 8, 6, 12, 6])[0]
        if op == "secret":
            keys = [p for p in paths if p and p[-1] in self.secret_keys]
            if keys:
                at = rng.choice(keys)
            self.done.append(f"{_dotted(at)} = secret path")
            return _set(data, at, rng.choice(SECRET_PATHS))
        if op == "borrow":
            other = _get(data, rng.choice(paths))
            self.done.append(f"{_dotted(at)} = the value of another field")
            return _set(data, at, json.loads(json.dumps(other, default=str)))
        if op == "delete" and at:
            del parent[at[-1]]
            self.done.append(f"{_dotted(at)} deleted")
            return data
        if op == "rename" and isinstance(parent, dict):
            new = rng.choice([str(at[-1]).upper(), str(at[-1])[:-1], "", " " + str(at[-1]), "x" * 300,
                              str(rng.choice(list(parent))) + "_", "\x1b[2J", "__class__"])
            parent[self.placeholder(json.dumps(new))] = parent.pop(at[-1])
            self.done.append(f"{_dotted(at)} renamed")
            return data
        if op == "add":
            target = rng.choice([p for p in paths if isinstance(_get(data, p), (dict, list))] or [()])
            box = _get(data, target)
            keys = [p[-1] for p in paths if p and isinstance(p[-1], str)]
            if isinstance(box, dict) and keys:
                key = rng.choice(keys)
                box[key if key not in box else key + "_extra"] = self.placeholder(rng.choice(self.hostile))
            elif isinstance(box, list):
                box.append(json.loads(json.dumps(rng.choice(box), default=str)) if box else
                           self.placeholder(rng.choice(self.hostile)))
            self.done.append(f"{_dotted(target)} gained an entry")
            return data
        if op == "duplicate" and isinstance(parent, list):
            parent.insert(at[-1], json.loads(json.dumps(value, default=str)))
            self.done.append(f"{_dotted(at)} duplicated")
            return data
        if op == "wrap":
            self.done.append(f"{_dotted(at)} wrapped")
            return _set(data, at, rng.choice([[value], {"value": value}, [value, value]]))
        if op == "scale" and isinstance(value, (int, float)) and not isinstance(value, bool):
            factor = rng.choice([0, -1, 10**rng.randint(3, 400), 10.0**-rng.randint(3, 320), 0.5, 1.0001])
            try:
                scaled: Any = value * factor
            except OverflowError:
                scaled = self.placeholder("1e400")
            if isinstance(scaled, float) and scaled != scaled:
                scaled = self.placeholder(".nan")
            self.done.append(f"{_dotted(at)} scaled by {str(factor)[:12]}")
            return _set(data, at, scaled if not isinstance(scaled, int) or abs(scaled) < 10**4000
                        else self.placeholder("9" * 4401))
        text = rng.choice(self.hostile)
        self.done.append(f"{_dotted(at)} = {text[:40]!r}{'...' if len(text) > 40 else ''}")
        return _set(data, at, self.placeholder(text))

    def render_yaml(self, data: Any) -> str:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1 << 20)
        return self._substitute(text)

    def render_json(self, data: Any) -> str:
        return self._substitute(json.dumps(data, ensure_ascii=False, indent=1))

    def _substitute(self, text: str) -> str:
        for name, raw in self.raw.items():
            text = text.replace(f'"{name}"', raw).replace(f"'{name}'", raw).replace(name, raw)
        return text


def _dotted(at: Path_) -> str:
    return "".join(f"[{k}]" if isinstance(k, int) else f".{str(k)[:30]}" for k in at).lstrip(".") or "(root)"


def mangle_text(text: str, rng: random.Random) -> tuple[str, str]:
    """A change to the text itself, and what it was."""
    op = rng.choice(["truncate", "flip", "noise", "nest", "alias-bomb", "crlf", "duplicate-line"])
    if op == "truncate":
        return text[: rng.randrange(len(text) + 1)], "truncated"
    if op == "flip":
        data = bytearray(text.encode("utf-8", "surrogatepass"))
        if data:
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        return data.decode("utf-8", "surrogateescape"), "a bit flipped"
    lines = text.split("\n")
    where = rng.randrange(len(lines))
    if op == "noise":
        line = lines[where]
        cut = rng.randrange(len(line) + 1)
        lines[where] = line[:cut] + rng.choice(TEXT_NOISE) + line[cut:]
        return "\n".join(lines), f"noise on line {where + 1}"
    if op == "nest":
        depth = rng.choice([50, 65, 200, 5000])
        return text + f"\nnested: {'[' * depth}1{']' * depth}\n", f"nested {depth} deep"
    if op == "alias-bomb":
        bomb = "bomb0: &b0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"bomb{i}: &b{i} [*b{i - 1}, *b{i - 1}, *b{i - 1}, *b{i - 1}, *b{i - 1}, *b{i - 1}]\n" for i in range(1, 9))
        return bomb + text, "aliases of aliases"
    if op == "crlf":
        return text.replace("\n", "\r\n"), "CRLF line ends"
    lines.insert(where, lines[where])
    return "\n".join(lines), f"line {where + 1} repeated"


def _encode(text: str) -> bytes:
    """The text as bytes; the undecodable bytes a flipped bit made are written back as they were."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


# --- the four loaders ------------------------------------------------------------------------

def _yaml_data(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _answers_case(rng: random.Random, seed: int) -> Case:
    source = rng.choice(EXAMPLES)
    data = _yaml_data(source)
    if rng.random() < 0.03:
        return Case("answers", seed, ["recommend", "{dir}/" + SECRET_NAME], {}, SECRET_NAME,
                    "the secret .env file given as answers")
    one_flow = rng.random() < 0.2
    if one_flow:
        data["flows"] = [rng.choice(data["flows"])]
    mutator = Mutator(rng, HOSTILE_YAML)
    data = mutator.mutate(data, rng.choice([1, 1, 1, 2, 3]))
    as_json = rng.random() < 0.1
    text = mutator.render_json(data) if as_json else mutator.render_yaml(data)
    how = list(mutator.done)
    if not as_json and rng.random() < 0.25:
        text, change = mangle_text(text, rng)
        how.append(change)
    name = "answers.json" if as_json else "answers.yaml"
    command = rng.choices([
        ["recommend", "{dir}/" + name, "--no-tipping-points", "--format", rng.choice(["text", "markdown", "json",
                                                                                        "jsonl"])],
        ["recommend", "{dir}/" + name] + (["--flow", str(data["flows"][0].get("id"))] if one_flow and isinstance(
            data, dict) and isinstance(data.get("flows"), list) and data["flows"] and isinstance(
            data["flows"][0], dict) else []),
        ["report", "{dir}/" + name, "--out", "{dir}/report.html"],
        ["brief", "{dir}/" + name],
    ], [60, 15 if one_flow else 0, 10, 15])[0]
    if rng.random() < 0.2:
        command += ["--lang", "fr"]
    return Case("answers", seed, command, {name: _encode(text)}, name,
                f"{source.name}: " + "; ".join(how))


POLICY_FILES = ["classify.yaml", "economics.yaml", "in_house.yaml", "risk.yaml", "hybrid.yaml", "parameters.yaml",
                "facts.yaml", "levers.yaml", "policy.yaml", "questions.yaml"]
POLICY_WEIGHTS = [12, 12, 10, 12, 12, 16, 6, 6, 8, 6]


def _policy_case(rng: random.Random, seed: int) -> Case:
    name = rng.choices(POLICY_FILES, POLICY_WEIGHTS)[0]
    data = _yaml_data(RULES / name)
    mutator = Mutator(rng, HOSTILE_YAML, secret_keys=("parameters", "derived_facts", "levers", "questions",
                                                     "rule_files"))
    data = mutator.mutate(data, rng.choice([1, 1, 2, 3]))
    text = mutator.render_yaml(data)
    how = list(mutator.done)
    if rng.random() < 0.2:
        text, change = mangle_text(text, rng)
        how.append(change)
    command = rng.choices([["rules", "check", "--policy", "{dir}/policy"],
                           ["recommend", "{root}/examples/acme-retail.yaml", "--policy", "{dir}/policy",
                            "--no-tipping-points", "--format", rng.choice(["text", "json"])]], [40, 60])[0]
    return Case("policy", seed, command, {f"policy/{name}": _encode(text)}, name, f"rules/{name}: " + "; ".join(how),
                replaces=name)


_BASE_RECORD: dict[str, Any] = {}


def base_record() -> dict[str, Any]:
    """The sealed audit record of examples/acme-retail.yaml, its id, time and paths made fixed so
    that every run mutates the same record (made once a process, through the command line)."""
    if not _BASE_RECORD:
        import tempfile

        from click.testing import CliRunner

        import cli
        from engine.analysis.audit import with_digest

        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / "record.json"
            run = CliRunner().invoke(cli.main, ["recommend", str(ROOT / "examples" / "acme-retail.yaml"),
                                                "--audit", str(target), "--format", "json"])
            assert run.exit_code == 0, run.output
            data = json.loads(target.read_text(encoding="utf-8"))
        gc.unfreeze()
        data.update(record_id="0" * 32, created_at="2025-01-01T00:00:00Z")
        data["source"]["file"] = "examples/acme-retail.yaml"
        data["policy"]["root"] = "rules"
        _BASE_RECORD.update(with_digest(data))
    return json.loads(json.dumps(_BASE_RECORD))


def reseal(text: str) -> str:
    """The record's text with the digest its content gives once parsed, as ``load_record`` reads it
    (unchanged when it cannot be parsed or has no digest to replace)."""
    from engine.analysis.audit import canonical
    from engine.load import DocumentError, parse_json

    try:
        data = parse_json(text, "record.json").data
        digest = "sha256:" + hashlib.sha256(canonical(data)).hexdigest()
    except (DocumentError, ValueError, TypeError, RecursionError, AttributeError):
        return text
    return re.sub(r'"digest": "sha256:[0-9a-f]{64}"\n}\s*$', f'"digest": "{digest}"\n}}\n', text)


def _records_case(rng: random.Random, seed: int) -> Case:
    data = base_record()
    flows = [f["id"] for f in data["flows"]]
    digest = data.pop("digest")
    mutator = Mutator(rng, HOSTILE_JSON)
    data = mutator.mutate(data, rng.choice([1, 1, 2, 3]))
    if isinstance(data, dict):
        data["digest"] = digest  # last, where reseal finds it
    text = mutator.render_json(data)
    how = list(mutator.done)
    sealed = rng.random() < 0.9
    if sealed:
        text = reseal(text)
    else:
        how.append("not sealed again")
    if rng.random() < 0.1:
        text, change = mangle_text(text, rng)
        how.append(change)
    flow = rng.choice(flows + ["no-such-flow"])
    command = rng.choices([
        ["explain", "{dir}/record.json", "--format", rng.choice(["text", "markdown", "json"])]
        + rng.choice([[], ["--detail", "full"], ["--lang", "fr"], ["--flow", flow]]),
        ["explain", "{dir}/record.json", "--verify"] + rng.choice([[], ["--format", "json"], ["--flow", flow]]),
        ["explain", "{dir}/record.json", "--flow", flow, "--why-not",
         rng.choice(["outsource", "hybrid", "keep_internal"])] + rng.choice([[], ["--format", "json"]]),
    ], [45, 20, 35])[0]
    return Case("records", seed, command, {"record.json": _encode(text)}, "record.json", "; ".join(how))


def _cases_case(rng: random.Random, seed: int) -> Case:
    source = rng.choice(CASE_FILES)
    data = _yaml_data(source)
    data = rng.sample(data, min(len(data), rng.choice([1, 1, 2])))
    mutator = Mutator(rng, HOSTILE_YAML, secret_keys=("file",))
    data = mutator.mutate(data, rng.choice([1, 1, 2, 3]))
    text = mutator.render_yaml(data)
    how = list(mutator.done)
    if rng.random() < 0.15:
        text, change = mangle_text(text, rng)
        how.append(change)
    return Case("cases", seed, ["rules", "test", "{dir}/cases.yaml"], {"cases.yaml": _encode(text)}, "cases.yaml",
                f"rules/tests/{source.name}: " + "; ".join(how))


MAKERS = {"answers": _answers_case, "policy": _policy_case, "records": _records_case, "cases": _cases_case}


def case_for(loader: str, seed: int) -> Case:
    """The case of ``loader`` for ``seed``: the same input on every run."""
    return MAKERS[loader](random.Random(f"{loader}:{seed}"), seed)


# --- running and judging ---------------------------------------------------------------------

def allowed_exits(command: list[str]) -> set[int]:
    """The exit codes a command documents for a run that went as designed."""
    if command[:2] in (["rules", "check"], ["rules", "test"]):
        return {0, 1, 2}
    if command[0] == "explain" and "--verify" in command:
        return {0, 2, 3}
    return {0, 2}


def prepare(case: Case, folder: Path) -> Path:
    """Lay out ``folder`` for the case (emptied first): the secret, a policy copy when needed, the inputs."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / SECRET_NAME).write_text(SECRET_TEXT, encoding="utf-8")
    if case.replaces is not None:
        shutil.copytree(RULES, folder / "policy", ignore=shutil.ignore_patterns("tests", "__pycache__"))
        (folder / "policy" / SECRET_NAME).write_text(SECRET_TEXT, encoding="utf-8")
    for name, content in case.files.items():
        (folder / name).write_bytes(content)
    return folder


def _origin(exc: BaseException) -> BaseException | None:
    """The exception behind an exit: ``reports_errors`` exits inside its ``except``, so the error it
    reported is the exit's context."""
    seen = 0
    while isinstance(exc, SystemExit) and exc.__context__ is not None and seen < 10:
        exc, seen = exc.__context__, seen + 1
    return None if isinstance(exc, SystemExit) else exc


def locate(exc: BaseException) -> tuple[str, str]:
    """The kind of an exception (its type @ the innermost project function it passed through) and
    where (that frame's file:line, then the innermost frame of all)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if f.filename.startswith(str(ROOT)) and "/.venv/" not in f.filename
            and not f.filename.startswith(str(ROOT / "tests"))]
    own = ours[-1] if ours else (frames[-1] if frames else None)
    if own is None:
        return type(exc).__name__, ""
    short = str(Path(own.filename).resolve().relative_to(ROOT)) if own.filename.startswith(str(ROOT)) \
        else Path(own.filename).name
    last = frames[-1]
    where = f"{short}:{own.lineno} in {own.name}"
    if last is not own:
        where += f" (raised in {Path(last.filename).name}:{last.lineno} {last.name})"
    return f"{type(exc).__name__}@{short}:{own.name}", where


def run_case(case: Case, folder: Path) -> Outcome:
    """Run the case in-process through the command line, in ``folder``, and judge what it did."""
    from click.testing import CliRunner

    import cli

    prepare(case, folder)
    runner = CliRunner(env={"ARBITRE_DEBUG": None})
    try:
        result = runner.invoke(cli.main, case.argv(folder), catch_exceptions=True)
    finally:
        gc.unfreeze()  # the command froze what it loaded; a long run must let it go again
    output = result.output  # standard output and error, as a terminal shows them
    outcome = Outcome(result.exit_code, output)
    escaped = result.exception is not None and not isinstance(result.exception, SystemExit)
    internal = ("Traceback" in output or "internal error" in output or escaped
                or result.exit_code not in allowed_exits(case.command))
    origin = _origin(result.exception) if internal and result.exception is not None else None
    if internal:
        outcome.failure = "memory" if isinstance(origin, MemoryError) else "internal"
        if origin is not None:
            outcome.kind, outcome.where = locate(origin)
            outcome.detail = (str(origin).splitlines() or [""])[0][:160]
        else:
            outcome.kind = f"exit {result.exit_code}@{case.command[0]}"
            outcome.detail = output.strip().splitlines()[-1][:160] if output.strip() else ""
    elif MARKER in output:
        outcome.failure = "secret"
        line = next(line for line in output.splitlines() if MARKER in line)
        outcome.kind = f"EchoedSecret@{' '.join(case.command[:2 if case.command[0] == 'rules' else 1])}"
        outcome.detail = line.replace(MARKER, "<secret>")[:160]
    return outcome


def describe(case: Case, outcome: Outcome) -> str:
    """A failure in a few lines: the input, the command, what went wrong."""
    return (f"{case.loader} seed {case.seed}: {case.summary[:300]}\n  arbitre {' '.join(case.command)}\n"
            f"  exit {outcome.exit_code}: {outcome.failure} {outcome.kind} {outcome.where}\n  {outcome.detail}")


# --- saved failures --------------------------------------------------------------------------

def saved(loader: str) -> list[dict[str, Any]]:
    """The saved failing inputs of a loader (one JSON object a line in its index.jsonl)."""
    index = REGRESSIONS / loader / "index.jsonl"
    if not index.exists():
        return []
    return [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines() if line.strip()]


def save(case: Case, failure: str, kind: str, detail: str) -> bool:
    """Keep a failing input under tests/regressions/<loader>/, once for each kind of failure."""
    if any(entry["kind"] == kind for entry in saved(case.loader)):
        return False
    folder = REGRESSIONS / case.loader
    folder.mkdir(parents=True, exist_ok=True)
    content = next(iter(case.files.values()), SECRET_TEXT.encode())
    stem = re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-")[:60]
    name = f"{stem}-{case.seed}{Path(case.input_name).suffix}"
    (folder / name).write_bytes(content)
    entry = {"file": name, "command": case.command, "input": case.input_name, "replaces": case.replaces,
             "failure": failure, "kind": kind, "detail": detail, "seed": case.seed, "summary": case.summary[:300]}
    with (folder / "index.jsonl").open("a", encoding="utf-8") as index:
        index.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return True


def replay_case(loader: str, entry: dict[str, Any]) -> Case:
    """A saved failing input as a case again."""
    content = (REGRESSIONS / loader / entry["file"]).read_bytes()
    name = f"policy/{entry['replaces']}" if entry.get("replaces") else entry["input"]
    files = {} if entry["input"] == SECRET_NAME else {name: content}
    return Case(loader, entry.get("seed", 0), entry["command"], files, entry["input"], entry.get("summary", ""),
                replaces=entry.get("replaces"))
