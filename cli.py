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

import functools  # noqa: E402
import gc  # noqa: E402
import os  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable, TypeVar  # noqa: E402

import click  # noqa: E402

HERE = Path(__file__).resolve().parent
DEFAULT_POLICY = HERE / "rules"
F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(func: F) -> F:
    """Turn the engine's errors into messages and exit codes, once for every command."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from engine.errors import ArbitreError

        try:
            return func(*args, **kwargs)
        except ArbitreError as exc:
            click.echo(f"error: {exc.report()}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except click.exceptions.Exit:
            raise
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            if os.environ.get("ARBITRE_DEBUG"):
                raise
            click.echo(f"internal error: {type(exc).__name__}: {exc}\n"
                       "Set ARBITRE_DEBUG=1 to see the traceback, and please report it.", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="arbitre", message="%(prog)s %(version)s")
def main() -> None:
    """Arbitre: which customer-contact flows to outsource, keep in-house or split, and why."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):  # a terminal that cannot show a character shows '?'
            stream.reconfigure(errors="replace")


@main.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("--lang", type=click.Choice(["en", "fr"]), default="en", show_default=True,
              help="Language of the explanation.")
@click.option("--flow", "flow_id", metavar="ID", help="Only this flow.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), help="Write to this file instead of the screen.")
@click.option("--policy", "policy_dir", type=click.Path(path_type=Path, file_okay=False),
              default=DEFAULT_POLICY, show_default="the bundled rules/", help="Policy directory.")
@reports_errors
def recommend(file: Path, fmt: str, lang: str, flow_id: str | None, out: Path | None, policy_dir: Path) -> None:
    """Recommend, flow by flow, for the answers in FILE (YAML or JSON)."""
    from engine.answers import load_answers
    from engine.errors import UserError
    from engine.files import write_atomic
    from engine.policy import load_policy
    from engine.recommend import recommend as run_recommend
    from explanations.render import render

    answers = load_answers(file)
    if flow_id is not None and flow_id not in {f.id for f in answers.flows}:
        known = ", ".join(f.id for f in answers.flows)
        raise UserError(f"--flow {flow_id!r}: no flow with that id in {file}; the flows are: {known}")
    policy = load_policy(policy_dir)
    # What is loaded now lives until the end: the cyclic collector need not scan it again and
    # again while every flow is evaluated (a large file runs markedly faster).
    gc.freeze()
    result = run_recommend(answers, policy, only=flow_id)
    text = render(result, policy, fmt, lang)  # type: ignore[arg-type]
    if out is None:
        click.echo(text, nl=False)
    else:
        write_atomic(out, text)
        click.echo(f"wrote {out}", err=True)


if __name__ == "__main__":
    main()
