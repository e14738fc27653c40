"""Arbitre's command line: thin commands over the engine and the explanations.

Every error the user can cause is reported as ``file:line: path: message`` with
exit code 2; anything else is an internal error with exit code 1. No traceback
unless ARBITRE_DEBUG is set.
"""

from __future__ import annotations

import sys

if not ((3, 10) <= sys.version_info[:2] < (3, 13)):  # pragma: no cover - checked before anything imports
    sys.stderr.write(
        f"error: Arbitre needs Python 3.10, 3.11 or 3.12; this is {sys.version.split()[0]} "
        "(durable-rules 2.0.28 does not build on 3.13).\n"
    )
    raise SystemExit(2)

import contextlib  # noqa: E402
import dataclasses  # noqa: E402
import errno  # noqa: E402
import functools  # noqa: E402
import gc  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable, Iterator, Literal, NoReturn, TypeVar  # noqa: E402

import click  # noqa: E402

# A command makes its objects in hundreds of thousands (the modules it imports, a policy, the flows) and
# almost no cycle: the cyclic collector of the installed command looks at the youngest after every 10,000
# new ones, not 700 (on the bundled example, 11 passes instead of some 200, half its time); what it finds is
# freed a little later. Set as the command starts (``entry``), not when the module is imported.
GC_YOUNGEST = 10_000

HERE = Path(__file__).resolve().parent
DEFAULT_POLICY = HERE / "rules"
F = TypeVar("F", bound=Callable[..., Any])


# Raised only by writes; every file a command writes reports its own errors (engine.files), so one of
# these reaching reports_errors comes from writing standard output.
DEVICE_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def _end(signum: int, frame: Any) -> None:
    """End the command as Ctrl-C does, so that its temporary files are removed on the way out."""
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def _ending_cleanly() -> Iterator[None]:
    """While a command runs, SIGTERM and SIGHUP end it through its ``finally`` blocks (by default they
    kill the process on the spot and leave its temporary files behind); a signal the command was started
    ignoring (``nohup``, ``trap '' TERM``) stays ignored."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, _end) for signum in (signal.SIGTERM, signal.SIGHUP)
                if signal.getsignal(signum) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _discard_stdout() -> None:
    """Send what is left for standard output to /dev/null, so that Python's flush at exit does not
    fail a second time."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def reports_errors(func: F) -> F:
    """Turn the engine's errors into messages and exit codes, once for every command."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from engine.errors import ArbitreError

        try:
            with _ending_cleanly():
                return func(*args, **kwargs)
        except ArbitreError as exc:
            from engine.problems import phrase, say

            # in the command's --lang where the catalogue of problems words the error; else English
            lang = _language(kwargs.get("lang"))
            click.echo(say(phrase("error", report=exc.report(lang)), lang), err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:
            # the reader stopped reading (| head): end quietly, as a command in a pipe does
            _discard_stdout()
            sys.exit(0)
        except OSError as exc:
            if exc.errno not in DEVICE_FULL:
                _internal_error(exc)
            _output_full(exc, kwargs.get("lang"))
        except click.exceptions.Exit:
            raise
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            _internal_error(exc)

    return wrapper  # type: ignore[return-value]


def _output_full(exc: OSError, lang: Any = None) -> NoReturn:
    """Standard output cannot take more (a full disk): a user error, said once (in the command's
    --lang), exit 2."""
    from engine.problems import os_reason, phrase, say

    _discard_stdout()
    click.echo(say(phrase("error", report=phrase("write.stdout", reason=os_reason(exc))), _language(lang)), err=True)
    sys.exit(2)


def _internal_error(exc: Exception) -> NoReturn:
    """Report a bug in one line (the traceback with ARBITRE_DEBUG set) and exit 1."""
    if os.environ.get("ARBITRE_DEBUG"):
        raise exc
    from engine.errors import printable

    click.echo(f"internal error: {type(exc).__name__}: {printable(str(exc))}\n"
               "Set ARBITRE_DEBUG=1 to see the traceback, and please report it.", err=True)
    sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="arbitre", message="%(prog)s %(version)s")
def main() -> None:
    """Arbitre: which customer-contact flows to outsource, keep in-house or split, and why."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):  # a terminal that cannot show a character shows '?'
            stream.reconfigure(errors="replace")


def policy_option(help_text: str = "Policy directory.") -> Callable[[F], F]:
    return click.option("--policy", "policy_dir", type=click.Path(path_type=Path, file_okay=False),
                        default=DEFAULT_POLICY, show_default="the bundled rules/", help=help_text)


def override_options(func: F) -> F:
    """``--override FLOW_ID=DECISION`` (repeatable) and ``--reason TEXT``."""
    func = click.option("--reason", "reasons", metavar="TEXT", multiple=True,
                        help="Why the decision is overridden: once for all overrides, or once for each.")(func)
    return click.option("--override", "overrides", metavar="FLOW_ID=DECISION", multiple=True,
                        help="A person's decision for a flow, kept beside the engine's (needs --reason). "
                             "Repeatable.")(func)


def sampling_options(func: F) -> F:
    """``--uncertainty/--no-uncertainty``, ``--samples N`` and ``--seed N``."""
    func = click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=1, show_default=True,
                        help="With --uncertainty: the seed of the draws (the same seed, the same result).")(func)
    func = click.option("--samples", type=click.IntRange(1, 100_000), default=1000, show_default=True,
                        help="With --uncertainty: the samples drawn per flow.")(func)
    return click.option("--uncertainty/--no-uncertainty", "uncertainty", default=None,
                        help="How sure each decision is: the share of sampled answers, within their ranges, in "
                             "which each option wins, and the answers it hangs on (default: on when the answers "
                             "hold ranges).")(func)


FORMATS = click.Choice(["text", "markdown", "json"])
LANGS = click.Choice(["en", "fr"])


def _language(lang: Any) -> Literal["en", "fr"]:
    """A --lang value as the explanations' language type (English for none)."""
    return "fr" if lang == "fr" else "en"


def _wrote(lang: str, path: Path, key: str = "wrote") -> None:
    """Say on standard error, in the command's language, that it wrote ``path``: a file (``wrote``), or
    an audit record (``wrote.record``, ``wrote.signed_record``)."""
    from engine.problems import phrase, say

    click.echo(say(phrase(key, path=str(path)), _language(lang)), err=True)


def _check_outputs(inputs: list[Path], **outputs: Path | None) -> None:
    """Refuse an output file that is one of the input files, or another output: it would be replaced."""
    from engine.errors import UserError
    from engine.problems import error

    def same(a: Path, b: Path) -> bool:
        try:
            return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
        except OSError:
            return False

    given = [(option, path) for option, path in outputs.items() if path is not None]
    for option, path in given:
        for source in inputs:
            if same(path, source):
                raise error(UserError, "option.is_input", option=option, path=str(path))
    for index, (option, path) in enumerate(given):
        for other, other_path in given[index + 1:]:
            if same(path, other_path):
                raise error(UserError, "option.same_file", option=option, other=other, path=str(path))


def _overrides(pairs: tuple[str, ...], reasons: tuple[str, ...], known: list[str]) -> dict[str, dict[str, str]]:
    """``--override ID=DECISION`` options with their ``--reason``: one reason for all, or one each. The
    checks are those of the workspace's override form (``engine.overrides``), worded for the options."""
    from engine.errors import UserError
    from engine.overrides import DECISIONS, OverrideProblem, override_problems, reason_missing
    from engine.problems import error

    if not pairs:
        if reasons:
            raise error(UserError, "override.reason_alone")
        return {}
    if not reasons or any(reason_missing(r) for r in reasons):
        raise error(UserError, "override.no_reason")
    if len(reasons) not in (1, len(pairs)):
        raise error(UserError, "override.reasons_count", overrides=len(pairs), reasons=len(reasons))
    out: dict[str, dict[str, str]] = {}
    for index, pair in enumerate(pairs):
        flow_id, sep, decision = pair.partition("=")
        reason = reasons[index if len(reasons) > 1 else 0]
        problems = override_problems(flow_id, decision if sep else "", reason, known)
        if OverrideProblem.NOT_A_DECISION in problems:
            raise error(UserError, "override.not_decision", pair=repr(pair), decisions=", ".join(DECISIONS))
        if OverrideProblem.UNKNOWN_FLOW in problems:
            raise error(UserError, "override.unknown_flow", pair=repr(pair), id=repr(flow_id), known=", ".join(known))
        if flow_id in out:
            raise error(UserError, "override.twice", pair=repr(pair), id=repr(flow_id))
        out[flow_id] = {"decision": decision, "reason": reason.strip()}
    return out


ANSWER_SUFFIXES = (".yaml", ".yml", ".json")


# The files left out of a folder that are named on standard error; the others are counted.
NAMED_OTHERS = 10


def _answer_files(paths: tuple[str, ...], lang: str = "en") -> tuple[list[Path], list[str]]:
    """The answers files named, and the folders and glob patterns among ``paths`` that gave none: files
    as given, folders searched (with their subfolders) for YAML and JSON files that are answers (other
    files are named on standard error and left out), glob patterns expanded (``'clients/**/*.yaml'``:
    every file they match, as if named). A file name that names nothing is kept, to be reported as
    missing."""
    import glob

    from engine.answers import looks_like_answers
    from engine.problems import phrase, say

    out: list[Path] = []
    empty: list[str] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in ANSWER_SUFFIXES and p.is_file())
            answers, others = [], []
            for p in found:
                (answers if looks_like_answers(p) else others).append(p)
            if others:
                named = ", ".join(str(p) for p in others[:NAMED_OTHERS])
                more = len(others) - NAMED_OTHERS
                click.echo(say(phrase("folder.left_out" if len(others) == 1 else "folder.left_out_many",
                                      folder=str(path), count=len(others),
                                      files=named + (say(phrase("folder.more", more=more), lang) if more > 0 else "")),
                               lang), err=True)
            out += answers
            empty += [] if answers else [name]
        elif not path.exists() and any(c in name for c in "*?["):
            matched = sorted(Path(p) for p in glob.glob(name, recursive=True) if Path(p).is_file())
            out += matched
            empty += [] if matched else [name]
        else:
            out.append(path)
    return list(dict.fromkeys(out)), empty


@main.command()
@click.argument("paths", metavar="PATHS...", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json", "jsonl"]), default="text",
              show_default=True, help="Output format; jsonl: one JSON object a line, one line per file.")
@click.option("--lang", type=LANGS, default="en", show_default=True, help="Language of the explanation.")
@click.option("--flow", "flow_id", metavar="ID", help="Only this flow.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write to this file instead of the screen.")
@policy_option()
@click.option("--audit", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write an audit record (JSON) here, for `arbitre explain` (one answers file).")
@click.option("--key-file", type=click.Path(path_type=Path, dir_okay=False), metavar="KEY",
              help="With --audit: sign the record with the key held in this file (HMAC-SHA256).")
@override_options
@click.option("--tipping-points/--no-tipping-points", "tipping", default=None,
              help="The nearest answers that would change each decision (default: on for text and markdown).")
@click.option("--detail", type=click.Choice(["normal", "full"]), default="normal", show_default=True,
              help="full: every fired rule with its file, line and rationale.")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
              help="Spread the files, and the flows of a large file, over N processes; the output is the same.")
@sampling_options
@reports_errors
def recommend(paths: tuple[str, ...], fmt: str, lang: str, flow_id: str | None, out: Path | None, policy_dir: Path,
              audit: Path | None, key_file: Path | None, overrides: tuple[str, ...], reasons: tuple[str, ...],
              tipping: bool | None, detail: str, jobs: int, uncertainty: bool | None, samples: int, seed: int) -> None:
    """Recommend, flow by flow, for answers files (YAML, JSON), folders or globs.

    With several files, each is recommended in turn; a bad file is reported and the run goes on
    (exit 2 at the end); a summary follows on standard error.
    """
    from engine.errors import UserError
    from engine.files import open_atomic
    from engine.problems import error, phrase, say

    # One path that names a file (there or not: a missing file is reported as such) is a single run,
    # printed exactly as it always was; folders, globs and several paths are a batch.
    single = len(paths) == 1 and not Path(paths[0]).is_dir() and (
        Path(paths[0]).exists() or not any(c in paths[0] for c in "*?["))
    files, empty = ([Path(paths[0])], []) if single else _answer_files(paths, lang)
    if not files:
        raise error(UserError, "batch.no_files", paths=" ".join(paths), suffixes=", ".join(ANSWER_SUFFIXES))
    for option, given in (("--audit", audit), ("--override", overrides), ("--flow", flow_id)):
        if given and not single:
            raise error(UserError, "batch.one_file_one" if len(files) == 1 else "batch.one_file", option=option,
                        paths=" ".join(paths), count=len(files))
        if given and fmt == "jsonl" and option != "--flow":
            raise error(UserError, "batch.not_jsonl", option=option)
    _check_outputs(files, out=out, audit=audit, **{"key-file": key_file})
    if key_file is not None and audit is None:
        raise error(UserError, "batch.key_without_audit")
    key = None if key_file is None else _read_key(key_file)
    # a folder or a pattern that gives no file is named before the run, which goes on; exit 2 at its end
    for name in empty:
        nothing = phrase("batch.no_files", paths=name, suffixes=", ".join(ANSWER_SUFFIXES))
        click.echo(say(phrase("error", report=nothing), lang), err=True)
    if single and fmt != "jsonl":
        with contextlib.ExitStack() as stack:
            # Both files are opened before any work (a folder that is not there fails at once) and the
            # output is completed first: when it cannot be written, no audit record is left behind.
            kept = stack.enter_context(open_atomic(audit)) if audit is not None else None
            handle = stack.enter_context(open_atomic(out)) if out is not None else None
            text, record = _recommendation(files[0], fmt, lang, flow_id, policy_dir, audit=audit is not None,
                                           overrides=overrides, reasons=reasons, tipping=tipping, detail=detail,
                                           key=key, jobs=jobs, sampling=Sampling(uncertainty, samples, seed),
                                           write=handle.write if handle is not None
                                           else lambda part: click.echo(part, nl=False))
            if handle is not None:
                handle.write(text)
            else:
                click.echo(text, nl=False)
            if kept is not None and record is not None:
                kept.write(record)
        if audit is not None:
            _wrote(lang, audit, "wrote.signed_record" if key else "wrote.record")
        if out is not None:
            _wrote(lang, out)
        return
    with contextlib.ExitStack() as stack:
        handle = stack.enter_context(open_atomic(out)) if out is not None else None
        bad = _batch(files, fmt, lang, flow_id, policy_dir, tipping, detail, handle, jobs,
                     Sampling(uncertainty, samples, seed))
    if out is not None:
        _wrote(lang, out)
    if bad or empty:
        sys.exit(2)


@dataclasses.dataclass(frozen=True)
class Sampling:
    """What ``--uncertainty``, ``--samples`` and ``--seed`` ask for (``on`` None: when the answers hold ranges)."""

    on: bool | None = None
    samples: int = 1000
    seed: int = 1

    def wanted(self, estimated: Any) -> bool:
        """Whether the decisions are sampled: asked for, or by default when the answers hold ranges."""
        return bool(self.on or self.on is None and estimated.ranges)

    def of(self, estimated: Any, policy: Any) -> Any:
        """The robustness of each flow of the ``estimated`` answers, or None when not asked for."""
        from engine.analysis.uncertainty import of_flows

        if not self.wanted(estimated):
            return None
        return of_flows(estimated.answers, estimated.ranges, policy, self.samples, self.seed)


# The policy a command read, kept for the workers of --jobs: a forked worker inherits it, another reads it.
_POLICIES: dict[Path, Any] = {}


def _policy(policy_dir: Path, fresh: bool = False) -> Any:
    """The policy in ``policy_dir``: read again when ``fresh`` (a command starting), else as last read."""
    from engine.policy.loading import load_policy

    if fresh or policy_dir not in _POLICIES:
        _POLICIES[policy_dir] = load_policy(policy_dir)
    return _POLICIES[policy_dir]


def _default_signals() -> None:
    """A --jobs worker's signals as the system sets them."""
    import signal

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)


def _pooled(task: Callable[[Any], Any], items: list[Any], jobs: int) -> Iterator[Any]:
    """``task`` over ``items``, in order: in this process, or spread over ``jobs`` processes (each with
    its own engine, compiled on its first flow), each result yielded as soon as it and those before
    it are ready."""
    return _pooled_lazily(task, iter(items), min(jobs, len(items)))


def _file_outcome(path: Path, fmt: str, lang: Literal["en", "fr"], flow_id: str | None, policy_dir: Path,
                  tipping: bool, detail: str, sampling: Sampling = Sampling()) -> tuple[str, str | None, list[str]]:
    """One file of a batch: its output (a JSON value for json and jsonl), the report of its error if it
    has one, and the decision of each of its flows."""
    from engine.answers import load_estimates
    from engine.errors import ArbitreError, UserError, printable
    from engine.recommend import recommend as run_recommend
    from explanations.render import document, json_text, render_document, to_json

    try:
        estimated = load_estimates(path)
        answers = estimated.answers
        if flow_id is not None and flow_id not in {f.id for f in answers.flows}:
            from engine.problems import error

            raise error(UserError, "flow.unknown", id=repr(flow_id), source=str(path),
                        known=", ".join(f.id for f in answers.flows))
        policy = _policy(policy_dir)
        result = run_recommend(answers, policy, only=flow_id)
        doc = document(result, policy, (lang,), findings_text=fmt not in ("json", "jsonl"), tipping=tipping,
                       robustness=sampling.of(estimated, policy))
    except ArbitreError as exc:
        said = exc.report(lang)
        return json_text({"file": str(path), "error": said}), said, []
    decisions = [entry["decision"] for entry in doc.flows]
    if fmt in ("json", "jsonl"):
        return json_text({"file": str(path), **to_json(doc, lang)}), None, decisions
    title = printable(f"# {path}\n\n" if fmt == "markdown" else f"{'#' * 78}\n# {path}\n")
    return title + render_document(doc, fmt, lang, detail) + "\n", None, decisions  # type: ignore[arg-type]


def _read_key(key_file: Path) -> bytes:
    """The signing key in ``key_file``; the audit module is imported only by a run that keeps a record."""
    from engine.analysis.audit import read_key

    return read_key(key_file)


def _batch(files: list[Path], fmt: str, lang: str, flow_id: str | None, policy_dir: Path, tipping: bool | None,
           detail: str, handle: Any, jobs: int = 1, sampling: Sampling = Sampling()) -> int:
    """Recommend for each file in turn (over ``jobs`` processes), writing each result as soon as it is
    ready, in the order of the files; the number of bad files."""
    from engine.problems import phrase, say

    _policy(policy_dir, fresh=True)  # a policy that cannot be read stops the run before any file
    gc.freeze()
    task = functools.partial(_file_outcome, fmt=fmt, lang=_language(lang), flow_id=flow_id, policy_dir=policy_dir,
                             tipping=fmt in ("text", "markdown") if tipping is None else tipping, detail=detail,
                             sampling=sampling)
    counts = {"outsource": 0, "hybrid": 0, "keep_internal": 0}
    bad = flows = 0
    write = handle.write if handle is not None else (lambda text: click.echo(text, nl=False))
    # a bar on the terminal, unless the results go there too; none when standard error is piped
    show_progress = sys.stderr.isatty() and (handle is not None or not sys.stdout.isatty())
    opened = False
    with click.progressbar(files, label="recommending", file=sys.stderr, show_pos=True,
                           item_show_func=lambda p: p.name if p else None) if show_progress \
            else contextlib.nullcontext(files) as items:
        for _, (output, error, decisions) in zip(items, _pooled(task, files, jobs)):
            if error is not None:
                bad += 1
                if show_progress:
                    click.echo("", err=True)
                click.echo(say(phrase("error", report=error), lang), err=True)
                if fmt == "jsonl":
                    write(output + "\n")
                continue
            flows += len(decisions)
            for decision in decisions:
                counts[decision] += 1
            if fmt == "json":
                write((",\n" if opened else "[\n") + output)
                opened = True
            else:
                write(output + "\n" if fmt == "jsonl" else output)
    if fmt == "json":
        write("\n]\n" if opened else "[]\n")
    click.echo(_batch_summary(len(files), flows, counts, bad, _language(lang)), err=True)
    return bad


def _batch_summary(files: int, flows: int, counts: dict[str, int], bad: int, lang: Literal["en", "fr"]) -> str:
    """The line a run over several files ends with, in the run's language."""
    from explanations.render import labels

    from engine.typography import singular

    words = labels(lang)["batch"]
    unread = words["unread_one" if singular(bad, lang) else "unread_many"].format(count=bad) if bad else ""
    return words["summary"].format(
        files=f"{files} {words['file' if singular(files, lang) else 'files']}",
        flows=f"{flows} {words['flow' if singular(flows, lang) else 'flows']}",
        outsource=counts["outsource"], hybrid=counts["hybrid"], keep=counts["keep_internal"], unread=unread)


def _recommendation(file: Path, fmt: str, lang: str, flow_id: str | None, policy_dir: Path, *,
                    audit: bool = False, overrides: tuple[str, ...] = (), reasons: tuple[str, ...] = (),
                    tipping: bool | None = None, detail: str = "normal",
                    key: bytes | None = None, jobs: int = 1,
                    sampling: Sampling = Sampling(),
                    write: Callable[[str], Any] | None = None) -> tuple[str, str | None]:
    """The recommendation for an answers file, rendered as ``arbitre recommend`` prints it, and its
    audit record as JSON text when ``audit`` is asked (signed with ``key`` when one is given); its
    flows spread over ``jobs`` processes when no audit record is asked and no decision is sampled.
    Given ``write``, the JSON of a large file read a flow at a time is written as it is made, a part
    of the flows at a time, and the text returned is empty: the same bytes, in the memory of a part."""
    from engine.load import collector_paused

    with collector_paused():  # the engine's modules: many objects, no cycle (frozen once the policy is read)
        from engine.answers import Estimated, answers_parts, load_estimates
        from engine.errors import UserError
        from engine.problems import error
        from engine.recommend import recommend as run_recommend
        from explanations.render import document, render_document

    if write is not None and fmt == "json" and not audit and flow_id is None and not overrides \
            and not sampling.on:
        parts = answers_parts(file)
        if not isinstance(parts, Estimated):
            _policy(policy_dir, fresh=True)
            gc.freeze()
            _stream_json(parts, _language(lang), policy_dir, bool(tipping), jobs, write)
            return "", None
        estimated = parts
    else:
        estimated = load_estimates(file)
    answers = estimated.answers
    known = [f.id for f in answers.flows]
    if flow_id is not None and flow_id not in known:
        raise error(UserError, "flow.unknown", id=repr(flow_id), source=str(file), known=", ".join(known))
    chosen = _overrides(overrides, reasons, known)
    if flow_id is not None and set(chosen) - {flow_id}:
        raise error(UserError, "override.not_chosen", ids=", ".join(sorted(set(chosen) - {flow_id})), flow=flow_id)
    policy = _policy(policy_dir, fresh=True)
    # What is loaded now lives until the end: the cyclic collector need not scan it again and
    # again while every flow is evaluated (a large file runs markedly faster).
    gc.freeze()
    if tipping is None:
        tipping = fmt != "json"
    # JSON is written a part of the flows at a time, in one process too: what a flow leaves behind is its
    # JSON text, not its evaluation (a large file's memory then grows by a few KB a flow)
    if not audit and flow_id is None and not sampling.wanted(estimated) and (jobs > 1 or fmt == "json"):
        return _spread(answers, fmt, _language(lang), policy_dir, tipping, chosen, detail, jobs), None
    robustness = sampling.of(estimated, policy)
    result = run_recommend(answers, policy, only=flow_id)
    record = None
    if audit:
        from explanations.record import audit_record_text

        record, doc = audit_record_text(result, policy, source=file, answers=answers.model_dump(mode="json"),
                                        overrides=chosen, robustness=robustness, key=key,
                                        ranges=None if robustness is None else estimated.ranges)
        if not tipping:
            for entry in doc.flows:
                entry["tipping_points"] = None
    else:
        doc = document(result, policy, (lang,), findings_text=fmt != "json", tipping=tipping, overrides=chosen,
                       lazy=fmt == "json", robustness=robustness)
    return render_document(doc, fmt, lang, detail), record  # type: ignore[arg-type]


def _part(answers: Any, fmt: str, lang: Literal["en", "fr"], policy_dir: Path, tipping: bool,
          overrides: dict[str, dict[str, str]]) -> tuple[dict[str, Any], list[Any]]:
    """Some flows of a file, as a worker of --jobs does them: for JSON, the head of the document and each
    flow as JSON text; for text and Markdown, each flow's entry, to be rendered with the others."""
    from engine.recommend import recommend as run_recommend
    from explanations.render import document, json_text, to_json

    policy = _policy(policy_dir)
    doc = document(run_recommend(answers, policy), policy, (lang,), findings_text=fmt != "json", tipping=tipping,
                   overrides=overrides, lazy=fmt == "json")
    if fmt != "json":
        return {}, list(doc.flows)
    data = to_json(doc, lang)
    return {key: value for key, value in data.items() if key != "flows"}, [json_text(f) for f in data["flows"]]


def _parts_of(answers: Any, jobs: int) -> list[Any]:
    """A file's answers in parts of ``PART_FLOWS`` flows at most (the parts a large file is read in),
    enough of them to keep several ``jobs`` busy; in one process, as few as that allows: each part is a
    run of its own, with its own set-up."""
    from engine.answers import PART_FLOWS

    flows = answers.flows
    size = PART_FLOWS if jobs <= 1 else max(1, min(PART_FLOWS, -(-len(flows) // (4 * jobs))))
    return [answers.model_copy(update={"flows": flows[at:at + size]}) for at in range(0, len(flows), size)]


def _spread(answers: Any, fmt: str, lang: Literal["en", "fr"], policy_dir: Path, tipping: bool,
            overrides: dict[str, dict[str, str]], detail: str, jobs: int) -> str:
    """A file's recommendation with its flows in parts of a few hundred at most, spread over ``jobs``
    processes; the same output, in the same order, as all the flows at once."""
    from explanations.render import json_document, render_document

    if fmt != "json":
        return render_document(_spread_document(answers, lang, policy_dir, tipping, overrides, jobs),
                               fmt, lang, detail)  # type: ignore[arg-type]
    task = functools.partial(_part, fmt=fmt, lang=lang, policy_dir=policy_dir, tipping=tipping, overrides=overrides)
    head: dict[str, Any] = {}
    done: list[Any] = []
    for head, items in _pooled(task, _parts_of(answers, jobs), jobs):
        done += items
    return json_document(head, done)


def _spread_document(answers: Any, lang: Literal["en", "fr"], policy_dir: Path, tipping: bool,
                     overrides: dict[str, dict[str, str]], jobs: int) -> Any:
    """The document of a file's recommendation (texts and findings included) made with its flows in
    parts spread over ``jobs`` processes: the same document as all the flows at once."""
    import dataclasses

    from engine.recommend import Recommendation
    from explanations.render import document

    task = functools.partial(_part, fmt="text", lang=lang, policy_dir=policy_dir, tipping=tipping,
                             overrides=overrides)
    done = [entry for _, items in _pooled(task, _parts_of(answers, jobs), jobs) for entry in items]
    policy = _policy(policy_dir)
    empty = Recommendation(policy_name=policy.name, policy_version=policy.version, policy_digest=policy.digest,
                           answers=answers, flows=())
    return dataclasses.replace(document(empty, policy, (lang,)), flows=done)


def _stream_json(parts: Iterator[Any], lang: Literal["en", "fr"], policy_dir: Path, tipping: bool, jobs: int,
                 write: Callable[[str], Any]) -> None:
    """The JSON document of a file's ``parts`` (answers of a few hundred flows each, at least one flow in
    all), written a part at a time as ``json_document`` lays it out, over ``jobs`` processes."""
    from explanations.render import json_text

    task = functools.partial(_part, fmt="json", lang=lang, policy_dir=policy_dir, tipping=tipping, overrides={})
    opened = False
    for head, items in _pooled_lazily(task, parts, jobs):
        if not items:
            continue
        if not opened:
            heads = "".join(f"  {json_text(key)}: {json_text(value)},\n" for key, value in head.items())
            write("{\n" + heads + '  "flows": [\n')
        write((",\n" if opened else "") + ",\n".join(f"    {item}" for item in items))
        opened = True
    write("\n  ]\n}\n")


def _pooled_lazily(task: Callable[[Any], Any], items: Iterator[Any], jobs: int) -> Iterator[Any]:
    """``task`` over ``items`` as ``_pooled`` does it, the items read as they are needed: at most two
    for each worker are under way, so that the memory does not grow with their number."""
    if jobs <= 1:
        yield from map(task, items)
        return
    import collections
    import multiprocessing

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    # never more workers than cores (or items, as _pooled asks); a worker ends on the pool's SIGTERM, not
    # through the command's own clean-exit handler it inherits
    workers = min(jobs, os.cpu_count() or 1)
    if workers <= 1:
        yield from map(task, items)
        return
    with multiprocessing.get_context(method).Pool(workers, initializer=_default_signals) as pool:
        pending: collections.deque[Any] = collections.deque()
        for item in items:
            pending.append(pool.apply_async(task, (item,)))
            if len(pending) >= 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


@main.command()
@click.argument("record_file", metavar="RECORD", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--flow", "flow_id", metavar="ID", help="Only this flow.")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True, help="Output format.")
@click.option("--lang", type=LANGS, default="en", show_default=True, help="Language of the explanation.")
@click.option("--detail", type=click.Choice(["normal", "full"]), default="normal", show_default=True,
              help="full: every fired rule with its file, line and rationale; with --why-not, each failed "
                   "condition as the policy writes it too.")
@click.option("--verify", is_flag=True,
              help="Evaluate the recorded answers with the current policy: exit 3 if a decision changed.")
@click.option("--why-not", "why_not", type=click.Choice(["outsource", "hybrid", "keep_internal"]),
              help="With --flow: the rules that would have supported this option, and what each lacked.")
@policy_option("Policy for --verify.")
@click.option("--key-file", type=click.Path(path_type=Path, dir_okay=False), metavar="KEY",
              help="Check the record's signature with the key held in this file: exit 2 if it does not match.")
@reports_errors
def explain(record_file: Path, flow_id: str | None, fmt: str, lang: str, detail: str, verify: bool,
            why_not: str | None, policy_dir: Path, key_file: Path | None) -> None:
    """Explain again from an audit RECORD alone, without the policy files.

    The record is checked first, against its schema and its digest, and its signature with
    --key-file: a record that fails is reported (exit 2) and nothing is explained from it.
    """
    from engine.analysis import audit
    from engine.errors import UserError
    from engine.models import Decision
    from engine.problems import error
    from explanations.bids import render_awards_verified, render_bids
    from explanations.render import Document, json_text, render_document, render_verify, render_why_not

    record = audit.load_record(record_file, None if key_file is None else audit.read_key(key_file))
    if key_file is not None:
        click.echo(f"the record's signature matches the key in {key_file}", err=True)
    elif record.signature is not None:
        click.echo("the record is signed; its signature was not checked (give --key-file KEY to check it)",
                   err=True)
    known = [f.id for f in record.flows]
    if flow_id is not None and flow_id not in known:
        raise error(UserError, "flow.unknown_in_record", id=repr(flow_id), known=", ".join(known))
    language = _language(lang)
    if verify and why_not:
        raise error(UserError, "explain.verify_and_why_not")
    if verify:
        from engine.policy.loading import load_policy

        checked = audit.verify(record, load_policy(policy_dir))
        if flow_id is not None:
            checked["changed"] = [c for c in checked["changed"] if c["flow"] == flow_id]
            checked["flows"] = 1
        if flow_id is not None:
            checked["awards_changed"] = [c for c in checked.get("awards_changed", ()) if c["flow"] == flow_id]
        currency = record.bids.currency if record.bids is not None else ""
        click.echo(json_text(checked, indent=1) if fmt == "json"
                   else render_verify(checked, language) + render_awards_verified(checked, currency, language),
                   nl=fmt == "json")
        sys.exit(3 if checked["changed"] or checked.get("awards_changed") else 0)
    if why_not:
        if flow_id is None:
            raise error(UserError, "explain.why_not_needs_flow", option=why_not, known=", ".join(known))
        data = audit.why_not(record, flow_id, Decision(why_not))
        click.echo(json_text(data, indent=1) if fmt == "json"
                   else render_why_not(data, language, detail), nl=fmt == "json")  # type: ignore[arg-type]
        return
    flows = [f.model_dump(mode="json") for f in record.flows if flow_id is None or f.id == flow_id]
    doc = Document(organisation=record.organisation,
                   policy={"name": record.policy.name, "version": record.policy.version,
                           "digest": record.policy.digest},
                   cost_model=record.policy.cost_model.model_dump(), flows=flows)
    click.echo(render_document(doc, fmt, language, detail), nl=False)  # type: ignore[arg-type]
    if record.bids is not None and flow_id is None and fmt != "json":
        click.echo("\n" + render_bids(record.bids.model_dump(mode="json"), record.organisation, fmt, language),  # type: ignore[arg-type]
                   nl=False)


def _document(file: Path, lang: str, overrides: tuple[str, ...], reasons: tuple[str, ...], policy_dir: Path,
              tipping: bool, sampling: Sampling = Sampling(False), jobs: int = 1) -> tuple[Any, Any, Any]:
    """The recommendation for FILE, its policy, and its document in one language (for report, brief),
    each flow's robustness in it when ``sampling`` asks for it. With ``jobs`` above 1 and no sampling,
    the document is made over that many processes and the recommendation is not kept (None)."""
    from engine.answers import load_estimates
    from engine.policy.loading import load_policy
    from engine.recommend import recommend as run_recommend
    from explanations.render import document

    estimated = load_estimates(file)
    answers = estimated.answers
    chosen = _overrides(overrides, reasons, [f.id for f in answers.flows])
    if jobs > 1 and not sampling.wanted(estimated):
        policy = _policy(policy_dir, fresh=True)
        gc.freeze()
        return None, policy, _spread_document(answers, _language(lang), policy_dir, tipping, chosen, jobs)
    policy = load_policy(policy_dir)
    gc.freeze()
    result = run_recommend(answers, policy)
    return result, policy, document(result, policy, (_language(lang),), tipping=tipping,
                                    overrides=chosen, robustness=sampling.of(estimated, policy))


@main.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              help="The HTML file to write (default: FILE's name with -report.html, here).")
@click.option("--lang", type=LANGS, default="en", show_default=True, help="Language of the report.")
@override_options
@policy_option()
@sampling_options
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
              help="Spread the flows over N processes (not when decisions are sampled); the report is the same.")
@reports_errors
def report(file: Path, out: Path | None, lang: str, overrides: tuple[str, ...], reasons: tuple[str, ...],
           policy_dir: Path, uncertainty: bool | None, samples: int, seed: int, jobs: int) -> None:
    """An HTML report for FILE: summary, portfolio map, costs, a card per flow.

    With ranges among the answers, a bar per flow shows how sure its decision is (as recommend samples it).
    """
    from engine.files import write_atomic
    from explanations.report import map_thresholds, render_report

    target = out or Path(f"{file.stem}-report.html")
    _check_outputs([file], out=target)
    _, policy, doc = _document(file, lang, overrides, reasons, policy_dir, tipping=True,
                               sampling=Sampling(uncertainty, samples, seed), jobs=jobs)
    write_atomic(target, render_report(doc, map_thresholds(policy), _language(lang), file.name))
    _wrote(lang, target)


@main.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write to this file instead of the screen.")
@click.option("--lang", type=LANGS, default="en", show_default=True, help="Language of the brief.")
@override_options
@policy_option()
@reports_errors
def brief(file: Path, out: Path | None, lang: str, overrides: tuple[str, ...], reasons: tuple[str, ...],
          policy_dir: Path) -> None:
    """A provider brief (Markdown) for the flows of FILE going out."""
    import datetime

    from engine.files import write_atomic
    from explanations.brief import render_brief

    _check_outputs([file], out=out)
    result, _, doc = _document(file, lang, overrides, reasons, policy_dir, tipping=False)
    text = render_brief(result, doc, _language(lang), file.name, datetime.date.today())
    if out is None:
        click.echo(text, nl=False)
    else:
        write_atomic(out, text)
        _wrote(lang, out)


@main.command()
@click.argument("file", metavar="ANSWERS", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--out", "out_dir", required=True, type=click.Path(path_type=Path), metavar="DIR",
              help="The folder to write the tender pack to (specification.md, pricing-grid.xlsx).")
@click.option("--lang", type=LANGS, default="en", show_default=True, help="Language of the tender pack.")
@click.option("--all-flows", is_flag=True, help="Put every flow to tender, those the policy keeps in-house too.")
@click.option("--force", is_flag=True, help="Write into DIR even when it holds files (the pack's files are replaced).")
@override_options
@policy_option()
@reports_errors
def tender(file: Path, out_dir: Path, lang: str, all_flows: bool, force: bool, overrides: tuple[str, ...],
           reasons: tuple[str, ...], policy_dir: Path) -> None:
    """A tender pack for the flows of ANSWERS: specification and pricing grid.

    The specification says what providers price; the grid (XLSX) is what they fill, one row per lot
    and site. No cost of the company is in either."""
    import datetime

    from engine.errors import UserError
    from engine.files import write_atomic
    from engine.problems import error, phrase, say
    from engine.procurement.tender import lots, unanswered
    from explanations.tender import render_specification, write_pricing_grid

    specification, grid = out_dir / "specification.md", out_dir / "pricing-grid.xlsx"
    _check_outputs([file], specification=specification, grid=grid)
    _check_pack_folder(out_dir, force)
    result, policy, doc = _document(file, lang, overrides, reasons, policy_dir, tipping=False)
    decisions = {entry["id"]: entry["override"]["decision"] for entry in doc.flows if entry.get("override")}
    tendered = lots(result, policy, all_flows=all_flows, decisions=decisions)
    if not tendered:
        raise error(UserError, "tender.no_lots", source=str(file))
    _warn_unanswered(file, unanswered(result, tendered), lang)
    text = render_specification(result, doc, policy, tendered, _language(lang), file.name, datetime.date.today())
    _make_folder(out_dir)
    write_pricing_grid(tendered, result.answers.organisation, _language(lang), grid)
    write_atomic(specification, text)
    count = phrase("lots.one" if len(tendered) == 1 else "lots.many", count=len(tendered))
    click.echo(say(phrase("wrote.pack", specification=str(specification), grid=str(grid), lots=count),
                   _language(lang)), err=True)


def _warn_unanswered(file: Path, missing: dict[str, tuple[str, ...]], lang: str) -> None:
    """Warn that the pack describes answers left to their defaults, which providers would price from."""
    from engine.problems import phrase, say
    from engine.typography import NARROW

    if not missing:
        return
    between = f"{NARROW}; " if lang == "fr" else "; "
    listed = between.join(f"{name} ({', '.join(flows)})" if flows else name for name, flows in missing.items())
    command = f"arbitre ask --resume {file}" + ("" if lang == "en" else f" --lang {lang}")
    click.echo(say(phrase("tender.unanswered", name=file.name, listed=listed, command=command), lang), err=True)


def _check_pack_folder(folder: Path, force: bool) -> None:
    """Refuse a folder that holds files (unless ``force``), or a path that is not a folder."""
    from engine.errors import UserError
    from engine.problems import error, os_reason

    try:
        is_file, holds = folder.exists() and not folder.is_dir(), folder.is_dir() and any(folder.iterdir())
    except OSError as exc:
        raise error(UserError, "out.unreadable", path=str(folder), reason=os_reason(exc)) from exc
    if is_file:
        raise error(UserError, "out.is_file", path=str(folder))
    if holds and not force:
        raise error(UserError, "out.not_empty", path=str(folder))


def _make_folder(folder: Path) -> None:
    from engine.errors import UserError
    from engine.problems import error, located, os_reason

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise error(UserError, "out.cannot_create", located(str(folder), None, "", os_reason(exc)),
                    path=str(folder)) from exc


@main.group(name="import")
def import_() -> None:
    """Bring data in: answers from a telephony export, or a workspace backup."""


@import_.command()
@click.argument("export", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The answers file to write.")
@click.option("--mapping", type=click.Path(path_type=Path, dir_okay=False),
              help="A mapping file (YAML): other column headers, the sheet, the date format, queues grouped into flows.")
@click.option("--lang", type=LANGS, default="en", show_default=True, help="Language of the comments and the summary.")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@reports_errors
def acd(export: Path, out: Path, mapping: Path | None, lang: str, force: bool) -> None:
    """Answers from EXPORT, an ACD or WFM interval export (.csv, .csv.gz or .xlsx): per flow, the
    monthly volume, handling time, twelve-month profile, hours with traffic, busiest hour,
    abandonment and hour-of-week profile, each commented with how it was derived."""
    import shlex

    from engine.errors import UserError
    from engine.files import write_atomic
    from engine.procurement.acd import read_export, read_mapping
    from engine.procurement.volumes import measure
    from explanations.imported import answers_text, import_summary
    from explanations.render import labels

    language = _language(lang)
    _check_outputs([export, *([mapping] if mapping else [])], out=out)
    try:
        exists = out.exists()
    except OSError as exc:
        from engine.problems import error, os_reason

        raise error(UserError, "out.unreadable", path=str(out), reason=os_reason(exc)) from exc
    if exists and not force:
        raise UserError(labels(language)["acd_import"]["exists"].format(path=out))
    found = read_export(export, read_mapping(mapping) if mapping else None)
    year, measured = measure(found)
    in_lang = ["--lang", lang] if lang != "en" else []
    ask = shlex.join([_invoked(), "ask", "--resume", str(out), *in_lang])
    recommend = shlex.join([_invoked(), "recommend", str(out), *in_lang])
    write_atomic(out, answers_text(found, year, measured, language, ask, recommend))
    click.echo(import_summary(found, year, measured, str(out), language, ask, recommend), nl=False)


# -- workspace backup (arbitre serve's database) ------------------------------------------------

def _workspace_db(db: Path | None) -> Path:
    from web.store import default_path

    return default_path() if db is None else db


@main.command(name="export")
@click.argument("named", metavar="[DB]", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--db", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
              help="The workspace database to back up (or give it as DB); "
                   "default: $ARBITRE_DB, else workspace.db in your data folder.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="The backup file to write (a zip).")
@click.option("--force", is_flag=True, help="Replace --out if it exists.")
@reports_errors
def export_(named: Path | None, db: Path | None, out: Path, force: bool) -> None:
    """Back up arbitre serve's workspace database into one portable file.

    The database is DB or --db (the same default as arbitre serve). The backup is a zip holding, per
    assessment, each version's answers YAML, its audit JSON and overrides, the draft, and a manifest.
    Restore it with arbitre import workspace."""
    from engine.errors import UserError
    from engine.problems import error, os_reason
    from web.backup import export_workspace
    from web.store import Store

    if named is not None and db is not None:
        raise error(UserError, "workspace.twice", named=str(named), db=str(db))
    db = _workspace_db(named if named is not None else db)
    try:
        if out.resolve() == db.resolve():
            raise error(UserError, "out.is_database", path=str(out))
        exists = out.exists()
    except OSError as exc:
        raise error(UserError, "out.unreadable", path=str(out), reason=os_reason(exc)) from exc
    if exists and not force:
        raise error(UserError, "out.exists", path=str(out))
    with Store.open(db, create=False) as store:
        summary = export_workspace(store, out)
    click.echo(f"Exported {summary} from {db} to {out}.")


@import_.command()
@click.argument("backup", metavar="FILE", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--db", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
              help="The workspace database to restore into (created if missing); "
                   "default: $ARBITRE_DB, else workspace.db in your data folder.")
@click.option("--replace", is_flag=True, help="Replace the assessments the workspace already holds with the same ids.")
@reports_errors
def workspace(backup: Path, db: Path | None, replace: bool) -> None:
    """Restore a workspace backup FILE written by arbitre export.

    All of it is restored, or nothing if any part of it is unusable. An assessment the database already
    holds is refused unless --replace."""
    from web.backup import Summary, read_backup
    from web.store import Store

    target = _workspace_db(db)
    dumps = read_backup(backup)  # checked whole before the workspace is opened (or created)
    with Store.open(target) as store:
        store.restore(dumps, replace=replace)
    summary = Summary.of(dumps)
    click.echo(f"Imported {summary} from {backup} into {target}.")


@main.command()
@click.argument("answers_file", metavar="ANSWERS", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("bid_files", metavar="BID_FILES...", nargs=-1, required=True,
                type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True, help="Output format.")
@click.option("--lang", type=LANGS, default="en", show_default=True, help="Language of the comparison.")
@click.option("--why-not", "why_not", metavar="BIDDER", help="Why this bidder's bid lost, flow by flow.")
@click.option("--audit", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write an audit record (JSON) with a bids section here, for `arbitre explain`.")
@click.option("--report", "report_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Also write the HTML report with a bids section here.")
@policy_option()
@reports_errors
def bids(answers_file: Path, bid_files: tuple[Path, ...], fmt: str, lang: str, why_not: str | None,
         audit: Path | None, report_file: Path | None, policy_dir: Path) -> None:
    """Compare providers' bids (BID_FILES) for the flows of ANSWERS.

    BID_FILES are the returned pricing grids (.xlsx), or bids written as YAML or JSON. Each price is checked (one outside a plausible band is set aside, never used), each line runs
    through the policy, and per flow keeping in-house and every bid are ranked by all-in cost.
    """
    from engine.errors import UserError
    from engine.files import write_atomic
    from engine.procurement.bids import compare, find_bidder, read_bid
    from engine.procurement.bundles import commitments, propose_bundles
    from explanations.bids import bids_data, render_bids, render_bids_why_not, why_not_data
    from explanations.render import LANGS as ALL_LANGS
    from explanations.render import json_text, labels

    _check_outputs([answers_file, *bid_files], audit=audit, report=report_file)
    result, policy, doc = _document(answers_file, lang, (), (), policy_dir, tipping=report_file is not None)
    offers = tuple(read_bid(path) for path in bid_files)
    comparison = compare(result.answers, policy, offers, result.flows)
    bundles, committed = propose_bundles(comparison, policy), commitments(comparison, policy)
    language = _language(lang)
    if why_not is not None:
        bidder = find_bidder(offers, why_not)
        if bidder is None:
            raise UserError(labels(language)["bids"]["unknown_bidder"].format(
                bidder=why_not, bidders=", ".join(b.bidder for b in offers)))
        data = why_not_data(comparison, committed, bidder)
        click.echo(json_text(data, indent=1) if fmt == "json" else render_bids_why_not(data, fmt, language),  # type: ignore[arg-type]
                   nl=fmt == "json")
        return
    data = bids_data(comparison, bundles, committed, policy, ALL_LANGS if audit else (language,))
    if audit is not None:
        _write_bids_record(audit, answers_file, result, policy, data)
        _wrote(lang, audit, "wrote.record")
    if report_file is not None:
        from explanations.report import map_thresholds, render_report

        write_atomic(report_file, render_report(doc, map_thresholds(policy), language, answers_file.name, bids=data))
        _wrote(lang, report_file)
    click.echo(json_text(data, indent=1) if fmt == "json" else render_bids(data, doc.organisation, fmt, language),  # type: ignore[arg-type]
               nl=fmt == "json")


def _write_bids_record(path: Path, source: Path, result: Any, policy: Any, bids_section: dict[str, Any]) -> None:
    """The audit record of the recommendation with the comparison of the bids as its ``bids`` section."""
    from engine.files import write_atomic
    from explanations.record import audit_record_text

    record, _ = audit_record_text(result, policy, source=source, answers=result.answers.model_dump(mode="json"),
                                  bids=bids_section)
    write_atomic(path, record)


@main.group()
def rules() -> None:
    """Check a policy, test it against its cases, compare two policies."""


def _policy_problems(policy_dir: Path) -> tuple[Any, list[Any]]:
    """The loaded policy (None if it does not load) and every problem found in it."""
    from engine.errors import PolicyError
    from engine.policy.lint import lint
    from engine.policy.loading import load_policy
    from engine.interview.questions import load_questions
    from explanations.render import check_texts

    try:
        policy = load_policy(policy_dir)
    except PolicyError as exc:
        return None, list(exc.problems) or [exc.message]
    problems: list[Any] = [*lint(policy), *check_texts(policy)]
    if (policy_dir / policy.manifest.questions).exists():
        try:
            load_questions(policy_dir, policy.manifest.questions)
        except PolicyError as exc:
            problems += list(exc.problems)
    return policy, problems


@rules.command("check")
@policy_option()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@reports_errors
def rules_check(policy_dir: Path, fmt: str) -> None:
    """Every problem of a policy at once, with file and line; exit 1 if there is any."""
    from explanations.render import json_text

    policy, problems = _policy_problems(policy_dir)
    if fmt == "json":
        click.echo(json_text({"policy": str(policy_dir), "ok": not problems,
                              "problems": [{"file": p.file, "line": p.line, "path": p.path, "message": p.message}
                                           if hasattr(p, "file") else {"message": str(p)}
                                           for p in problems]}, indent=1))
    elif problems:
        click.echo(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in the policy in {policy_dir}:")
        for problem in problems:
            click.echo(f"  {problem}")
    else:
        click.echo(f"The policy in {policy_dir} ({policy.name} {policy.version}, {len(policy.rules)} rules) "
                   "has no problem.")
    sys.exit(1 if problems else 0)


@rules.command("test")
@click.argument("cases", nargs=-1, type=click.Path(path_type=Path, exists=True))
@policy_option()
@click.option("--min-coverage", type=click.FloatRange(0, 100), metavar="PERCENT",
              help="Fail if the cases fire fewer than this share of the policy's rules.")
@click.option("--lang", type=LANGS, default="en", show_default=True, help="Language of the explanations.")
@reports_errors
def rules_test(cases: tuple[Path, ...], policy_dir: Path, min_coverage: float | None, lang: str) -> None:
    """Run policy CASES (files or folders; default: the policy's tests/ folder) and report coverage."""
    from engine.policy.cases import coverage, describe, read_cases, run_case
    from engine.errors import UserError
    from engine.policy.loading import load_policy
    from explanations.render import document, render_flow_summary, short_view

    policy = load_policy(policy_dir)
    paths = list(cases) or [policy_dir / "tests"]
    found = read_cases(paths, shown_from=Path.cwd())
    if not found:
        raise UserError(f"no policy cases in {', '.join(map(str, paths))}")
    outcomes = [run_case(case, policy) for case in found]
    language = _language(lang)
    for outcome in outcomes:
        case = outcome.case
        note = " ".join(case.note.split())
        _say(f"{'PASS' if outcome.passed else 'FAIL'}  {case.where}  {note[:90]}{'...' if len(note) > 90 else ''}")
        for problem in outcome.problems:
            _say(f"      the case is malformed: {problem}")
        if outcome.invalid:
            _say("      the answers are invalid: " + outcome.invalid.replace("\n", "\n      "))
        for failure in outcome.failures:
            _say(f"      {failure.flow_id}: {'; '.join(failure.wrong)}")
            if failure.flow is not None and outcome.result is not None:
                _say("        " + describe(failure.flow).replace("\n", "\n        "))
                doc = document(outcome.result, policy, (language,))
                entry = next(e for e in doc.flows if e["id"] == failure.flow_id)
                summary = render_flow_summary(short_view(entry, language), language)
                _say(wrap_text(summary, "        "))
    passed = sum(o.passed for o in outcomes)
    fired, never = coverage(outcomes, policy)
    share = 100 * len(fired) / len(policy.rules) if policy.rules else 100.0
    click.echo()
    click.echo(f"{len(outcomes)} case{'s' if len(outcomes) != 1 else ''}: {passed} passed, {len(outcomes) - passed} failed.")
    click.echo(f"Rule coverage: {len(fired)} of {len(policy.rules)} rules fired by the flows the cases check "
               f"({share:.0f} %).")
    if never:
        click.echo(wrap_text("Never fired: " + ", ".join(never), "  "))
    low = min_coverage is not None and share < min_coverage
    if low:
        click.echo(f"Coverage {share:.0f} % is below the minimum of {min_coverage:g} %.")
    sys.exit(1 if passed < len(outcomes) or low else 0)


def _say(text: str) -> None:
    """Print a line that holds names and values from the user's files, their control characters
    shown as escapes (``\\x1b``) rather than obeyed by the terminal."""
    from engine.errors import printable

    click.echo(printable(text))


def wrap_text(text: str, indent: str) -> str:
    from explanations.render import wrap

    return wrap(text, 100, indent, indent)


@rules.command("diff")
@click.argument("old_dir", metavar="OLD_DIR", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.argument("new_dir", metavar="NEW_DIR", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--cases", "case_paths", multiple=True, required=True, metavar="PATH",
              type=click.Path(path_type=Path, exists=True),
              help="Answers files, policy case files or folders of them. Repeatable.")
@click.option("--fail-on-change", is_flag=True, help="Exit 1 when a decision changes (for CI).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@reports_errors
def rules_diff(old_dir: Path, new_dir: Path, case_paths: tuple[Path, ...], fail_on_change: bool, fmt: str) -> None:
    """What a policy edit changes: per flow whose decision changes, old and new, and the rules that
    fired differently. Exit 0 (1 with --fail-on-change and a change; 2 if a file could not be used)."""
    from engine.policy.diff import diff_policies
    from engine.policy.loading import load_policy
    from explanations.render import json_text

    report = diff_policies(load_policy(old_dir), load_policy(new_dir), list(case_paths))
    if fmt == "json":
        click.echo(json_text(report, indent=1))
    else:
        for change in report["changes"]:
            old, new = change["old"], change["new"]
            show = (lambda d: d["decision"] + (f" ({', '.join(d['split'])})" if d["split"] else ""))
            click.echo(f"{change['source']}: {change['flow']}: {show(old)} -> {show(new)}")
            for key, label in (("fired_old_only", "fired before only"), ("fired_new_only", "fired now only")):
                if change[key]:
                    click.echo(f"    {label}: {', '.join(change[key])}")
        for problem in report["problems"]:
            click.echo(f"skipped {problem}")
        changed = len(report["changes"])
        click.echo(f"{report['flows']} flow{'s' if report['flows'] != 1 else ''} in {report['files']} "
                   f"file{'s' if report['files'] != 1 else ''}: {changed} decision{'s' if changed != 1 else ''} "
                   f"changed, {report['rules_changed']} more with other rules fired but the same decision.")
    if report["problems"]:
        sys.exit(2)
    sys.exit(1 if fail_on_change and report["changes"] else 0)


_LIST_ITEM = re.compile(r"( *)(\d+\. +)?")  # a line's indent, and a list item's number after it


class TerminalConsole:
    """The questionnaire's console: a terminal with line editing, or lines piped on standard input
    (then the questions go to standard error, echoed with the answers read, and standard output
    keeps only the recommendation)."""

    def __init__(self) -> None:
        self.interactive = sys.stdin.isatty() and sys.stdout.isatty()
        if self.interactive:
            try:
                import readline  # noqa: F401 - input() gains line editing and history
            except ImportError:  # pragma: no cover - not on every platform
                pass

    def width(self) -> int:
        """The columns text fills: the terminal's, at most 100 for lines easy to read; 80 when piped."""
        import shutil

        return min(shutil.get_terminal_size().columns, 100) if self.interactive else 80

    def say(self, text: str = "") -> None:
        """Show ``text``, each line filled to the width at spaces only, a list item's continuation
        under its text; a line indented by four spaces (a command to copy) is shown as it is."""
        import textwrap

        from engine.errors import printable

        text = printable(text)  # a resumed draft's names may hold escapes: shown, never acted on
        if text.startswith("== ") and self.interactive:
            text = click.style(text.strip("= "), bold=True)
        lines = []
        for line in text.split("\n"):
            head = _LIST_ITEM.match(line)
            assert head is not None  # every part of the pattern is optional
            if len(head.group(1)) >= 4 and not head.group(2):
                lines.append(line)
            else:
                lines.append(textwrap.fill(line, self.width(), subsequent_indent=" " * head.end(),
                                           break_long_words=False, break_on_hyphens=False) or line)
        click.echo("\n".join(lines), err=not self.interactive)

    def ask(self, prompt: str) -> str:
        from engine.errors import printable

        prompt = printable(prompt)
        if self.interactive:
            return input(prompt)
        sys.stderr.write(prompt)
        sys.stderr.flush()
        line = sys.stdin.readline()
        if not line:
            sys.stderr.write("\n")
            raise EOFError
        line = line.rstrip("\r\n")
        sys.stderr.write(line + "\n")
        return line


def _invoked() -> str:
    """The command as the user typed it, to tell them how to go on: ``arbitre`` when found on the
    PATH under that name, else its path (relative to the current folder when under it)."""
    import shutil

    typed = Path(sys.argv[0])
    if typed.suffix == ".py" or not typed.name:  # python -m cli, python cli.py
        return "arbitre"
    found = shutil.which(typed.name)
    if typed.parent == Path() or (found and Path(found).resolve() == typed.resolve()):
        return typed.name
    try:
        return str(typed.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(typed.absolute())


def _draft_path(save: Path) -> Path:
    return save.with_name(f"{save.stem}.draft{save.suffix or '.yaml'}")


def _saved_path(resume: Path) -> Path:
    """Where answers resumed from ``resume`` are saved: the draft's own answers file, else itself."""
    if resume.stem.endswith(".draft"):
        return resume.with_name(resume.stem[: -len(".draft")] + resume.suffix)
    return resume


@main.command()
@click.option("--lang", type=LANGS, default="en", show_default=True,
              help="Language of the questions and of the explanation.")
@click.option("--save", type=click.Path(path_type=Path, dir_okay=False),
              help="Answers file to write (default: answers.yaml, or the file resumed).")
@click.option("--resume", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Continue a draft (or change an answers file) at its first unanswered question.")
@click.option("--all-questions", is_flag=True,
              help="Ask every question, also those whose answer could not change the decision.")
@policy_option()
@reports_errors
def ask(lang: str, save: Path | None, resume: Path | None, all_questions: bool, policy_dir: Path) -> None:
    """Answer the questions; save the answers file and print the recommendation.

    Type ? for a question's help, back for the previous question; an empty answer takes the
    value in brackets. Every answer is saved in a draft at once: after Ctrl-C, --resume goes on.
    Without a terminal, answers are read one per line from standard input.
    """
    import shlex

    from engine.errors import UserError
    from engine.files import write_atomic
    from engine.interview.conversation import Interview, count_answers, restore
    from engine.load import read_document
    from engine.policy.loading import load_policy
    from engine.interview.questions import load_questions, to_yaml
    from engine.problems import error

    policy = load_policy(policy_dir)
    bank = load_questions(policy_dir, policy.manifest.questions)
    language = _language(lang)
    target = save or (_saved_path(resume) if resume else Path("answers.yaml"))
    draft = _draft_path(target)
    console = TerminalConsole()
    data = None
    if resume is not None:
        from engine.errors import AnswersError
        from engine.load import DocumentError

        try:
            resumed = read_document(resume, what="what.answers_file")
        except DocumentError as exc:
            raise error(AnswersError, "write.resume", exc.problem, path=str(resume)) from None
        data, dropped = restore(resumed, bank, language)
        if not resume.stem.endswith(".draft"):
            console.say(bank.message("rewritten", language, path=target))
        console.say(bank.message("resumed", language, path=resume, count=count_answers(data)))
        for problem in dropped:
            console.say(str(problem))
    else:
        for path in (target, draft):
            if path.exists():
                raise UserError(bank.message("exists", language, path=path))
    if not target.parent.is_dir():  # found now, not when the first answer is saved
        raise error(UserError, "write.no_folder", path=str(target), folder=str(target.parent))
    with_policy = ["--policy", str(policy_dir)] if policy_dir != DEFAULT_POLICY else []
    command = [_invoked(), "ask", "--resume", str(draft), "--save", str(target), "--lang", lang,
               *(["--all-questions"] if all_questions else []), *with_policy]
    header = bank.message("draft_header", language, command=shlex.join(command))

    def save_draft(answers: dict[str, Any]) -> None:
        write_atomic(draft, to_yaml(answers, bank, language, header))

    interview = Interview(bank, policy, language, console, save_draft, data, all_questions)
    try:
        answers = interview.run()
    except (KeyboardInterrupt, EOFError) as exc:
        console.say()
        if draft.exists():
            console.say(bank.message("draft_saved", language, path=draft, command=shlex.join(command)))
        sys.exit(130 if isinstance(exc, KeyboardInterrupt) else 2)
    in_lang = ["--lang", lang] if lang != "en" else []
    write_atomic(target, to_yaml(answers, bank, language, bank.message(
        "answers_header", language, recommend=shlex.join([_invoked(), "recommend", str(target), *in_lang, *with_policy]),
        change=shlex.join([_invoked(), "ask", "--resume", str(target), *in_lang,
                           *(["--all-questions"] if all_questions else []), *with_policy]))))
    if draft != target and draft.exists():
        draft.unlink()  # its answers are all in the answers file now
    console.say(bank.message("saved", language, path=target))
    console.say()
    click.echo(_recommendation(target, "text", lang, None, policy_dir)[0], nl=False)


# -- the web workspace -----------------------------------------------------------------------------

# A token goes in an address and a cookie: letters, digits and - . _ ~ only, long enough not to be guessed.
TOKEN_CHARACTERS = re.compile(r"[A-Za-z0-9._~-]{16,}")
# The server's limits: connections and requests at once (more get "503 Service Unavailable"), and how
# long an idle kept-alive connection is held (seconds). A slow client cannot hold more than its share.
SERVE_CONCURRENCY = 64
SERVE_KEEP_ALIVE = 5


def _loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.1, ::1, localhost)."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _addresses(host: str) -> list[str]:
    """The addresses to print for a server listening on ``host``: itself, or for a wildcard (``0.0.0.0``,
    ``::``) the loopback address then this machine's own addresses that others can open (none found: the
    loopback address alone). IPv6 ones in brackets."""
    import ipaddress
    import socket

    bare = host.strip("[]")
    try:
        wildcard = ipaddress.ip_address(bare).is_unspecified
    except ValueError:
        wildcard = False
    if not wildcard:
        return [f"[{bare}]" if ":" in bare else host]
    family = socket.AF_INET6 if ":" in bare else socket.AF_INET
    found: list[str] = []
    try:
        found += [str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None, family)]
    except (OSError, UnicodeError):
        pass
    with contextlib.suppress(OSError), socket.socket(family, socket.SOCK_DGRAM) as probe:
        # The address this machine reaches the network from (connecting a UDP socket sends nothing).
        probe.connect(("2001:db8::1" if family == socket.AF_INET6 else "192.0.2.1", 9))
        found.append(str(probe.getsockname()[0]))
    usable = []
    for text in found:
        address = ipaddress.ip_address(text.split("%")[0])
        if not (address.is_loopback or address.is_link_local or address.is_unspecified) and str(address) not in usable:
            usable.append(str(address))
    loopback = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    return [f"[{a}]" if ":" in a else a for a in [loopback, *usable]]


def _listening(host: str, port: int) -> Any:
    """A socket bound to ``host:port`` and listening; a port in use or an address this machine does not
    have is a user error."""
    import socket

    from engine.errors import UserError

    where = f"{host}:{port}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise UserError(f"cannot serve on {where}: --host {host!r} is not an address of this machine") from exc
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise UserError(f"cannot serve on {where}: the port {port} is in use (another arbitre serve?); "
                            "choose another with --port") from exc
        if exc.errno in (errno.EADDRNOTAVAIL, errno.EACCES):
            reason = "not an address of this machine" if exc.errno == errno.EADDRNOTAVAIL else \
                "a port below 1024 needs administrator rights; choose another with --port"
            raise UserError(f"cannot serve on {where}: {reason}") from exc
        raise UserError(f"cannot serve on {where}: {exc.strerror}") from exc
    sock.set_inheritable(True)
    return sock


@main.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0: any free port, printed).")
@click.option("--db", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
              help="Workspace database (default: $ARBITRE_DB, else workspace.db in your data directory).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; another than this machine's own needs --token. Beyond a trusted "
                   "network, put a reverse proxy with HTTPS and time limits in front (see the README).")
@click.option("--token", metavar="T", envvar="ARBITRE_TOKEN", show_envvar=True,
              help="Secret every request must carry (16 or more letters, digits, - . _ ~); "
                   "required with --host other than 127.0.0.1. Prefer $ARBITRE_TOKEN: an option is "
                   "visible to other users of the machine (ps).")
@policy_option()
@reports_errors
def serve(port: int, db: Path | None, host: str, token: str | None, policy_dir: Path) -> None:
    """Open the web workspace: assessments in a browser.

    The questionnaire, recommendations, versions and downloads, kept in one workspace file.

    Prints the address to open (with the token in it when one is set; for --host 0.0.0.0, this
    machine's addresses others can open too). Stop it with Ctrl-C.
    """
    from urllib.parse import quote

    from engine.errors import UserError
    from web.context import read_rules

    if token is not None and not TOKEN_CHARACTERS.fullmatch(token):
        raise UserError("--token must be 16 or more letters, digits, '-', '.', '_' or '~' (it goes in an address); "
                        "for instance: python3 -c 'import secrets; print(secrets.token_urlsafe(24))'")
    local = _loopback(host)
    if not local and token is None:
        raise UserError(f"--host {host} lets other machines reach the workspace: set $ARBITRE_TOKEN (or give "
                        "--token T, which others can see in the process list) to a secret of 16 or more "
                        "characters, or leave out --host to serve on 127.0.0.1 only")
    rules = read_rules(policy_dir)  # a bad policy is reported now, not on the first page
    import uvicorn

    from web.app import create_app
    from web.store import Store, default_path

    path = db if db is not None else default_path()
    store = Store.open(path)
    try:
        sock = _listening(host, port)
        bound = sock.getsockname()[1]
        shown = f"[{host.strip('[]')}]" if ":" in host else host
        # Without a token, the server answers only to its own names: a page elsewhere cannot reach it
        # through a name rebound to 127.0.0.1.
        hosts = None if token is not None else {"127.0.0.1", "localhost", "[::1]", shown.lower()}
        app = create_app(store, policy_dir=policy_dir, token=token, hosts=hosts, rules=rules)
        query = f"?token={quote(token, safe='')}" if token else ""
        first, *others = [f"http://{name}:{bound}/{query}" for name in _addresses(host)]
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False,
                                               limit_concurrency=SERVE_CONCURRENCY,
                                               timeout_keep_alive=SERVE_KEEP_ALIVE))
        with sock, contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how it is meant to stop
            also = "".join(f"Also at: {other}\n" for other in others)
            click.echo(f"Arbitre workspace: {first}\n{also}Workspace file: {path}\nStop with Ctrl-C.")
            sys.stdout.flush()
            server.run(sockets=[sock])
    finally:
        store.close()


def entry() -> None:
    """The installed command: ``main``, with standard output on a full disk a user error even where
    no command runs (``--help``, ``--version``)."""
    gc.set_threshold(GC_YOUNGEST, *gc.get_threshold()[1:])
    # No pydantic plugin is meant to watch Arbitre's models: pydantic need not read every installed
    # package's entry points to look for one (its documented switch; a value the user set is kept).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        main()
    except OSError as exc:
        if exc.errno not in DEVICE_FULL:
            raise
        _output_full(exc)


if __name__ == "__main__":
    entry()
