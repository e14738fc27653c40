"""`arbitre recommend --jobs N`: files and the flows of a large file spread over processes, with the
same output, in the same order, as in one process."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.generate import generate_answers, to_yaml
from conftest import arbitre_in_process


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three small answers files and one that cannot be read, in one folder."""
    folder = tmp_path_factory.mktemp("portfolio")
    for index in range(3):
        (folder / f"client-{index}.yaml").write_text(to_yaml(generate_answers(3, seed=index)), encoding="utf-8")
    (folder / "client-1b.yaml").write_text("flows: [\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file of more flows than the parts a file is spread in."""
    path = tmp_path_factory.mktemp("large") / "large.yaml"
    path.write_text(to_yaml(generate_answers(6, seed=5)), encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["json", "jsonl", "text"])
def test_a_folder_gives_the_same_output_over_two_processes(portfolio: Path, fmt: str) -> None:
    one = arbitre_in_process("recommend", portfolio, "--format", fmt, "--no-tipping-points")
    two = arbitre_in_process("recommend", portfolio, "--format", fmt, "--no-tipping-points", "--jobs", "2")
    assert one.returncode == two.returncode == 2  # the unreadable file, reported in its place
    assert "client-1b.yaml" in two.stderr and "4 files, 9 flows" in two.stderr
    assert (two.stdout, two.stderr) == (one.stdout, one.stderr)


@pytest.mark.parametrize("fmt,extra", [("json", ()), ("text", ("--tipping-points",)), ("markdown", ("--no-tipping-points",))])
def test_a_large_file_gives_the_same_output_over_two_processes(large: Path, fmt: str, extra: tuple[str, ...]) -> None:
    one = arbitre_in_process("recommend", large, "--format", fmt, *extra)
    two = arbitre_in_process("recommend", large, "--format", fmt, *extra, "--jobs", "2")
    assert one.returncode == two.returncode == 0
    assert two.stdout.count('"fired_rules"') == 6 if fmt == "json" else "6 flows" in two.stdout
    assert two.stdout == one.stdout


def test_jobs_must_be_a_positive_number(large: Path) -> None:
    run = arbitre_in_process("recommend", large, "--jobs", "0")
    assert run.returncode == 2 and "--jobs" in run.stderr


def test_a_file_with_ranges_is_sampled_the_same_with_jobs(tmp_path: Path) -> None:
    """Sampled decisions come out the same whatever --jobs says (the file is then recommended whole)."""
    from tests.conftest import EXAMPLES

    text = (EXAMPLES / "acme-retail.yaml").read_text(encoding="utf-8")
    ranged = tmp_path / "ranged.yaml"
    ranged.write_text(text.replace("monthly_volume: 2400", "monthly_volume: {low: 1500, likely: 2400, high: 4000}"),
                      encoding="utf-8")
    runs = [arbitre_in_process("recommend", ranged, "--format", "json", "--samples", "40", "--jobs", jobs)
            for jobs in ("1", "2")]
    assert all(run.returncode == 0 for run in runs)
    assert runs[0].stdout == runs[1].stdout and '"robustness"' in runs[0].stdout


def test_a_report_is_the_same_over_two_processes(large: Path, tmp_path: Path) -> None:
    one, two = tmp_path / "one.html", tmp_path / "two.html"
    assert arbitre_in_process("report", large, "--out", one).returncode == 0
    assert arbitre_in_process("report", large, "--out", two, "--jobs", "2").returncode == 0
    assert two.read_bytes() == one.read_bytes()
