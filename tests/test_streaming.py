"""A large YAML answers file read a flow at a time, checked against the same file read whole: the
same answers, the same JSON output byte for byte (in one process and over two), and the same
problem at the same line, with nothing written before it."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

import benchmarks.generate
import engine.answers
import engine.load
from benchmarks.generate import generate_answers, to_yaml
from conftest import arbitre_in_process
from engine.answers import load_estimates, streamed
from engine.errors import AnswersError

FLOWS = 1_200

class _Emitter(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """The generator's YAML written by libyaml's emitter when there is one: the same text, some three times
    sooner (test_the_generated_text_is_the_generators_own)."""

    yaml_representers = dict(benchmarks.generate._Dumper.yaml_representers)


def generated(flows: int, seed: int, *, flows_first: bool = False) -> str:
    """``benchmarks.generate.to_yaml(generate_answers(flows, seed))``, or the same with the flows written
    before the organisation."""
    document = generate_answers(flows, seed=seed)
    if flows_first:
        document = {"flows": document["flows"], "organisation": document["organisation"]}
    return yaml.dump(document, Dumper=_Emitter, sort_keys=False, allow_unicode=True, width=120)


def test_the_generated_text_is_the_generators_own() -> None:
    for flows, seed in ((1, 1), (60, 3), (60, 4)):
        assert generated(flows, seed) == to_yaml(generate_answers(flows, seed=seed))


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Twelve hundred generated flows (over the size from which a file is streamed): five parts of 250."""
    path = tmp_path_factory.mktemp("streamed") / "large.yaml"
    path.write_text(generated(FLOWS, seed=3), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def read_whole(large: Path) -> tuple[int, str, str]:
    """The JSON recommendation of the large file read whole, as a smaller file is (the reference the
    streamed runs are compared with)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine.answers, "STREAM_FROM_BYTES", 2**62)
        assert not streamed(large)
        return recommended(large)


@pytest.fixture
def always_streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every YAML file read a flow at a time, however small."""
    monkeypatch.setattr(engine.answers, "STREAM_FROM_BYTES", 0)


def recommended(path: Path, *extra: str) -> tuple[int, str, str]:
    run = arbitre_in_process("recommend", path, "--format", "json", *extra)
    return run.returncode, run.stdout, run.stderr


class TestOutput:
    def test_a_large_file_is_streamed(self, large: Path) -> None:
        assert streamed(large)

    def test_the_streamed_json_is_the_whole_files(self, large: Path, read_whole: tuple[int, str, str]) -> None:
        streamed_run = recommended(large)
        assert streamed_run[0] == 0 and streamed_run[1].count('"fired_rules"') == FLOWS
        assert streamed_run == read_whole

    def test_over_two_processes_too(self, large: Path, tmp_path: Path, read_whole: tuple[int, str, str]) -> None:
        out = tmp_path / "out.json"
        assert arbitre_in_process("recommend", large, "--format", "json", "--jobs", "2", "--out", out).returncode == 0
        assert out.read_text(encoding="utf-8") == read_whole[1]


class TestOneReading:
    def test_a_streamed_file_is_parsed_once(self, large: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Every flow is validated before the first part is given, from one reading of the file."""
        readings = []

        def counted(path: Path, key: str) -> Any:
            readings.append(path)
            return engine.load.stream_yaml(path, key)

        monkeypatch.setattr(engine.answers, "stream_yaml", counted)
        parts = engine.answers.answers_parts(large)
        assert not isinstance(parts, engine.answers.Estimated)
        flows = [flow for part in parts for flow in part.flows]
        assert len(flows) == FLOWS and readings == [large]

    def test_the_same_parts_whether_the_flows_read_stay_in_memory_or_not(
            self, large: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        in_memory = list(engine.answers.answers_parts(large, 300))
        monkeypatch.setattr(engine.answers, "SPOOL_BYTES", 1_024)  # a temporary file from the second flow
        import tempfile

        rolled: list[Any] = []
        rollover = tempfile.SpooledTemporaryFile.rollover
        monkeypatch.setattr(tempfile.SpooledTemporaryFile, "rollover",
                            lambda spool: rolled.append(spool) or rollover(spool))
        on_disk = list(engine.answers.answers_parts(large, 300))
        assert len(rolled) == 1  # written to the temporary file, not held in memory
        assert [len(part.flows) for part in on_disk] == [300, 300, 300, 300]
        # compared as JSON: 1 and 1.0, or 0 and False, are equal models but not the same answers
        assert [part.model_dump_json() for part in on_disk] == [part.model_dump_json() for part in in_memory]
        monkeypatch.setattr(engine.answers, "STREAM_FROM_BYTES", 2**62)
        whole = load_estimates(large).answers
        assert [flow.model_dump_json() for part in on_disk for flow in part.flows] == \
            [flow.model_dump_json() for flow in whole.flows]
        assert on_disk[0].organisation.model_dump_json() == whole.organisation.model_dump_json()

    def test_a_temporary_folder_without_room_is_a_user_error(self, large: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
        """The flows read spill to a temporary file that cannot be written (a full disk): the run stops with
        a message naming the temporary folder and TMPDIR, exit 2, not a complaint about standard output."""
        import errno
        import tempfile

        class Full(tempfile.SpooledTemporaryFile):  # type: ignore[type-arg]
            def rollover(self) -> None:
                raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(engine.answers, "SPOOL_BYTES", 1_024)
        monkeypatch.setattr(tempfile, "SpooledTemporaryFile", Full)
        run = arbitre_in_process("recommend", large, "--format", "json")
        assert run.returncode == 2 and run.stdout == ""
        assert "temporary folder" in run.stderr and "No space left on device" in run.stderr
        assert "TMPDIR" in run.stderr and "standard output" not in run.stderr
        french = arbitre_in_process("recommend", large, "--format", "json", "--lang", "fr")
        assert french.returncode == 2
        assert "dossier temporaire" in french.stderr and "plus de place sur le disque" in french.stderr

    def test_text_output_keeps_no_copy_of_flows_read_after_the_organisation(
            self, large: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Read for text (``load_estimates``), a file with its organisation first keeps nothing aside: a
        temporary folder without room changes nothing."""
        import errno
        import tempfile

        class Full(tempfile.SpooledTemporaryFile):  # type: ignore[type-arg]
            def write(self, s: Any) -> int:
                raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(tempfile, "SpooledTemporaryFile", Full)
        run = arbitre_in_process("recommend", large, "--no-tipping-points")
        assert run.returncode == 0, run.stderr


@pytest.fixture(scope="module")
def long(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Thirteen hundred generated flows, to break one of past the fourth part of 250."""
    path = tmp_path_factory.mktemp("streamed") / "long.yaml"
    path.write_text(generated(1_300, seed=4), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def long_flows_first(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The thirteen hundred flows of ``long``, written before the organisation."""
    path = tmp_path_factory.mktemp("streamed") / "long.yaml"
    path.write_text(generated(1_300, seed=4, flows_first=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def larger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four thousand two hundred generated flows, to break one of (they are read, not recommended)."""
    path = tmp_path_factory.mktemp("streamed") / "larger.yaml"
    path.write_text(generated(4_200, seed=4), encoding="utf-8")
    return path


def broken(large: Path, tmp_path: Path, flow: int, line: str, replacement: str) -> Path:
    """The large file with one line of flow number ``flow`` (counted from 1) replaced."""
    text = large.read_text(encoding="utf-8")
    start = text.index(f"-{flow}\n")
    at = text.index(line, start)
    path = tmp_path / "broken.yaml"
    path.write_text(text[:at] + replacement + text[at + len(line):], encoding="utf-8")
    return path


class TestProblems:
    @pytest.mark.parametrize(("line", "replacement"), [
        pytest.param("  channel: ", "  channel: pigeon\n  old_channel: ", id="invalid-answer"),
        pytest.param("  channel: ", "  channel: !!python/object x\n  old_channel: ", id="unsafe-tag"),
        pytest.param("  channel: ", "  channel: [\n  old_channel: ", id="bad-yaml"),
        pytest.param("  channel: ", "  aht_seconds: 1\n  channel: ", id="duplicate-key"),
        pytest.param("  channel: ", "  1: phone\n  channel: ", id="number-key"),
    ])
    def test_a_problem_late_in_the_file_is_reported_where_it_is_with_nothing_written(
            self, long: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str,
            replacement: str) -> None:
        path = broken(long, tmp_path, 1_200, line, replacement)
        code, out, err = recommended(path)
        assert (code, out) == (2, "")
        monkeypatch.setattr(engine.answers, "STREAM_FROM_BYTES", 2**62)
        assert recommended(path) == (code, out, err)
        assert f"{path}:" in err  # located, as when read whole

    @pytest.mark.parametrize("order", ["long", "long_flows_first"], ids=["organisation-first", "flows-first"])
    def test_the_line_of_a_problem_in_flow_1200(self, order: str, tmp_path: Path,
                                                request: pytest.FixtureRequest) -> None:
        path = broken(request.getfixturevalue(order), tmp_path, 1_200, "  channel: ",
                      "  channel: pigeon\n  old_channel: ")
        lines = path.read_text(encoding="utf-8").splitlines()
        line = next(number for number, text in enumerate(lines, 1) if text == "  channel: pigeon")
        with pytest.raises(AnswersError) as info:
            load_estimates(path)
        assert [(p.line, p.path) for p in info.value.problems][:1] == [(line, "flows[1199].channel")]


@pytest.fixture(scope="module")
def sorted_large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The flows of ``large`` written by PyYAML's ``safe_dump``, keys sorted: the flows before the
    organisation, each flow's answers in the order of their names."""
    path = tmp_path_factory.mktemp("sorted") / "large.yaml"
    path.write_text(yaml.dump(generate_answers(FLOWS, seed=3), Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
                              sort_keys=True), encoding="utf-8")
    return path


@pytest.fixture
def read_whole_calls(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files read whole by the answers loader from now on."""
    calls: list[Path] = []
    read_document = engine.answers.read_document

    def spied(path: Path, **options: Any) -> Any:
        calls.append(path)
        return read_document(path, **options)

    monkeypatch.setattr(engine.answers, "read_document", spied)
    return calls


class TestFlowsFirst:
    """A file written with its flows before its organisation is read a flow at a time too, its flows
    validated once the organisation is read."""

    def test_a_sorted_file_gives_the_json_of_the_file_read_whole_without_being_read_whole(
            self, sorted_large: Path, read_whole: tuple[int, str, str], read_whole_calls: list[Path]) -> None:
        assert streamed(sorted_large)
        assert recommended(sorted_large) == read_whole
        assert read_whole_calls == []

    def test_the_same_answers_as_the_file_in_the_other_order(
            self, sorted_large: Path, large: Path, read_whole_calls: list[Path]) -> None:
        parts = engine.answers.answers_parts(sorted_large, 300)
        assert not isinstance(parts, engine.answers.Estimated)
        got = [part.model_dump_json() for part in parts]
        assert got == [part.model_dump_json() for part in engine.answers.answers_parts(large, 300)]
        assert load_estimates(sorted_large) == load_estimates(large)
        assert read_whole_calls == []

    def test_a_problem_in_a_flow_is_reported_where_it_is_with_nothing_written(
            self, long_flows_first: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        path = broken(long_flows_first, tmp_path, 1_200, "  channel: ", "  channel: pigeon\n  old_channel: ")
        code, out, err = recommended(path)
        assert (code, out) == (2, "") and f"{path}:" in err
        monkeypatch.setattr(engine.answers, "STREAM_FROM_BYTES", 2**62)
        assert recommended(path) == (code, out, err)

    def test_a_problem_in_the_organisation_after_the_flows_is_reported_at_its_line(
            self, long_flows_first: Path, tmp_path: Path) -> None:
        text = long_flows_first.read_text(encoding="utf-8")
        path = tmp_path / "broken.yaml"
        path.write_text(text.replace("\n  currency: EUR\n", "\n  currency: euros\n"), encoding="utf-8")
        line = path.read_text(encoding="utf-8").splitlines().index("  currency: euros") + 1
        with pytest.raises(AnswersError) as info:
            load_estimates(path)
        assert [(p.line, p.path) for p in info.value.problems] == [(line, "organisation.currency")]


def outcome(path: Path) -> Any:
    """The answers of a file, or its problems."""
    try:
        return load_estimates(path)
    except AnswersError as exc:
        return exc.problems


class TestAnswers:
    @pytest.mark.parametrize(("text", "whole"), [
        pytest.param("""\
            organisation: {name: "Acme", country: FR}
            flows:
            - {id: a, channel: phone, monthly_volume: 1200, aht_seconds: 300, peak_ratio: 1.5}
            - id: 'b'
              channel: email  # a comment
              monthly_volume: !!int "800"
              aht_seconds: 2.4e2
              unique_know_how: true
              provider_country: NO
              regulated_data: []
              name: ~
            """, False, id="plain"),
        pytest.param("""\
            organisation: &org {name: Acme}
            flows:
            - &flow {id: a, channel: phone, monthly_volume: 1200, aht_seconds: 300}
            - {id: b, channel: phone, monthly_volume: 1200, aht_seconds: 300}
            """, True, id="anchors-read-whole"),
        pytest.param("""\
            flows:
            - {id: a, channel: phone, monthly_volume: {low: 900, likely: 1200, high: 1500}, aht_seconds: 300}
            organisation: {name: Acme}
            """, True, id="ranges-and-flows-first-read-whole"),
        pytest.param("""\
            flows:
            - {id: a, channel: phone, monthly_volume: 1200, aht_seconds: 300}
            organisation: {name: Acme, country: NO}
            """, False, id="flows-first"),
        pytest.param("""\
            flows:
            - {id: a, channel: phone, monthly_volume: 1200, aht_seconds: 300}
            """, False, id="no-organisation"),
        pytest.param("""\
            organisation: {name: Acme}
            flows:
            - {id: a, channel: phone, monthly_volume: 1200, aht_seconds: 300}
            organisation: {name: Globex}
            """, True, id="organisation-twice-read-whole"),
        pytest.param("""\
            flows:
            - {id: a, channel: phone, monthly_volume: 1200, aht_seconds: 300}
            organisation: {name: Acme, country: France}
            """, True, id="flows-first-wrong-organisation-read-whole"),
    ])
    def test_the_same_answers_either_way(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
                                         whole: bool, read_whole_calls: list[Path]) -> None:
        """The same answers, or the same problems, whether the file is streamed or not; and it is read
        whole, when streamed, only when it must be."""
        path = tmp_path / "a.yaml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        monkeypatch.setattr(engine.answers, "STREAM_FROM_BYTES", 0)
        assert streamed(path)
        got = outcome(path)
        assert bool(read_whole_calls) == whole
        monkeypatch.setattr(engine.answers, "STREAM_FROM_BYTES", 2**62)
        assert not streamed(path)
        assert got == outcome(path)

    def test_a_json_file_is_read_whole(self, tmp_path: Path, always_streamed: None) -> None:
        path = tmp_path / "a.json"
        path.write_text('{"flows": []}', encoding="utf-8")
        assert not streamed(path)


class TestMemory:
    def test_what_the_reader_keeps_does_not_grow_with_the_flows(self, larger: Path) -> None:
        """Memory held by the reader itself between flow 1,000 and flow 4,000, each flow dropped once read:
        what it keeps from flow to flow is bounded (it kept every text it had met: some 2 MB more)."""
        import tracemalloc

        from engine.load import stream_yaml

        held = {}
        tracemalloc.start()
        try:
            for _name, index, _flow in stream_yaml(larger, "flows"):
                if index in (1_000, 4_000):
                    held[index] = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        assert held[4_000] - held[1_000] < 256 * 1024

    def test_the_same_answers_with_the_table_of_values_emptied_again_and_again(
            self, large: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(engine.load, "_VALUES_KEPT", 4)
        got = list(engine.load.stream_yaml(large, "flows"))
        monkeypatch.setattr(engine.load, "_VALUES_KEPT", 2**30)
        assert got == list(engine.load.stream_yaml(large, "flows"))
