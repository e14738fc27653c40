"""Backing a workspace up into one portable file, and restoring it: ``arbitre export`` / ``import workspace``.

A backup is a zip of the files Arbitre already reads and writes, so it stays useful without Arbitre:

    manifest.json                          format, format version, and per assessment its name,
                                           language, times, versions and the member holding each part
    ASSESSMENT/vN/answers.yaml             version N's answers, as saved
    ASSESSMENT/vN/audit.json               its audit record, as ``arbitre recommend --audit`` writes it
    ASSESSMENT/vN/overrides.json           its overrides, oldest first (the history)
    ASSESSMENT/draft.json                  the draft: answers as typed, conversation state
    ASSESSMENT/scratch.json                the what-if copy

Answers and records are kept byte for byte (a signed record stays verifiable). Reading a backup checks
everything before the store is touched, and restores all of it in one transaction or nothing: a file
that is not a zip, a missing manifest, a manifest from a newer format, a member that is not valid YAML or
JSON, or a member larger than ``MAX_MEMBER_BYTES`` (refused by its declared size before it is read) is a
``StoreError`` naming the backup and the member.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable
from typing import IO, Any

from engine.errors import Problem, StoreError
from engine.files import Output, open_atomic
from engine.load import MAX_FILE_BYTES, Document, DocumentError, parse_json, parse_yaml
from engine.overrides import DECISIONS, OverrideProblem, override_problems

from .i18n import LANGS
from .store import Assessment, Draft, Dump, Override, Store, Version, now

FORMAT = "arbitre-workspace"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"

# Refused before reading: a member bigger than an answers file may be, a backup that would fill the memory.
MAX_MEMBER_BYTES = MAX_FILE_BYTES
MAX_TOTAL_BYTES = 1024 * 2**20
MAX_MEMBERS = 200_000

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class Summary:
    """What an export wrote or an import restored."""

    assessments: int
    versions: int

    @classmethod
    def of(cls, dumps: list[Dump]) -> Summary:
        return cls(len(dumps), sum(len(d.versions) for d in dumps))

    def __str__(self) -> str:
        return (f"{self.assessments} assessment{'s' * (self.assessments != 1)}, "
                f"{self.versions} version{'s' * (self.versions != 1)}")


# -- export ------------------------------------------------------------------------------------


class _Sink:
    """An atomic output as the file object ``zipfile`` writes to (it wants a count back and a flush)."""

    def __init__(self, output: Output) -> None:
        self._output = output

    def write(self, data: bytes, /) -> int:
        self._output.write(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def _member_names(aid: str) -> dict[str, str]:
    return {"draft": f"{aid}/draft.json", "scratch": f"{aid}/scratch.json"}


def _json(data: Any) -> str:
    import json

    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def export_workspace(store: Store, out: Path) -> Summary:
    """Write every assessment of ``store`` to the backup ``out``, replacing it only once it is whole."""
    dumps = [store.dump(a.id) for a in store.assessments()]
    entries: list[dict[str, Any]] = []
    with open_atomic(out, binary=True) as output:
        with zipfile.ZipFile(_Sink(output), "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for dump in dumps:
                a = dump.assessment
                versions = []
                for version in dump.versions:
                    folder = f"{a.id}/v{version.number}"
                    archive.writestr(f"{folder}/answers.yaml", version.answers)
                    audit = dump.records.get(version.number)
                    if audit is not None:
                        archive.writestr(f"{folder}/audit.json", audit)
                    archive.writestr(f"{folder}/overrides.json", _json([
                        {"flow_id": o.flow_id, "option": o.option, "reason": o.reason, "author": o.author,
                         "created": o.created} for o in dump.overrides if o.version == version.number]))
                    versions.append({
                        "number": version.number, "author": version.author, "note": version.note,
                        "created": version.created, "answers": f"{folder}/answers.yaml",
                        "audit": f"{folder}/audit.json" if audit is not None else None,
                        "overrides": f"{folder}/overrides.json"})
                names = _member_names(a.id)
                if dump.draft is not None:
                    archive.writestr(names["draft"], _json({"answers": dump.draft.answers, "state": dump.draft.state,
                                                            "updated": dump.draft.updated}))
                if dump.scratch is not None:
                    archive.writestr(names["scratch"], _json({"answers": dump.scratch}))
                entries.append({"id": a.id, "name": a.name, "lang": a.lang, "created": a.created,
                                "updated": a.updated, "versions": versions,
                                "draft": names["draft"] if dump.draft is not None else None,
                                "scratch": names["scratch"] if dump.scratch is not None else None})
            archive.writestr(MANIFEST, _json({"format": FORMAT, "format_version": FORMAT_VERSION,
                                              "exported": now(), "assessments": entries}))
    return Summary.of(dumps)


# -- import ------------------------------------------------------------------------------------


class _Backup:
    """An open backup, each member read at most once, by name, within the size limits."""

    def __init__(self, path: Path, archive: zipfile.ZipFile) -> None:
        self.path = path
        self.archive = archive
        self.members = {info.filename: info for info in archive.infolist()}

    def problem(self, member: str | None, path: str, message: str, line: int | None = None) -> StoreError:
        where = f"{self.path}:{member}" if member else str(self.path)
        return StoreError(f"{self.path} is not a usable workspace backup",
                          (Problem(where, line, path, message),))

    def text(self, member: str, where: str) -> str:
        info = self.members.get(member)
        if info is None:
            raise self.problem(MANIFEST, where, f"names the member {member!r}, which the backup does not hold")
        if info.file_size > MAX_MEMBER_BYTES:
            raise self.problem(member, "", f"holds {info.file_size:,} bytes unpacked, more than the "
                                           f"{MAX_MEMBER_BYTES // 2**20} MB a member may hold")
        try:
            with self.archive.open(info) as handle:
                raw = _read_at_most(handle, MAX_MEMBER_BYTES)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
            raise self.problem(member, "", f"cannot be unpacked: {exc}") from exc
        except ValueError as exc:  # a size that lied
            raise self.problem(member, "", str(exc)) from exc
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self.problem(member, "", f"is not UTF-8 text (byte {exc.start})",
                               raw[:exc.start].count(b"\n") + 1) from exc

    def json(self, member: str, where: str) -> tuple[str, Any]:
        return self._parsed(member, where, parse_json)

    def yaml(self, member: str, where: str) -> tuple[str, Any]:
        return self._parsed(member, where, parse_yaml)

    def _parsed(self, member: str, where: str, parse: Callable[[str, str], Document]) -> tuple[str, Any]:
        """A member's text and what the project's own (safe) reader makes of it."""
        text = self.text(member, where)
        try:
            return text, parse(text, f"{self.path}:{member}").data
        except DocumentError as exc:
            raise StoreError(f"{self.path} is not a usable workspace backup", (exc.problem,)) from exc


def _read_at_most(handle: IO[bytes], limit: int) -> bytes:
    raw = handle.read(limit + 1)
    if len(raw) > limit:
        raise ValueError(f"unpacks to more than the {limit // 2**20} MB a member may hold")
    return raw


class _Fields:
    """Reads the fields of one object of a member, each mistake a located error."""

    def __init__(self, backup: _Backup, member: str, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise backup.problem(member, where, f"expected an object, found {type(data).__name__}")
        self.backup, self.member, self.data, self.where = backup, member, data, where

    def get(self, key: str, kind: type, optional: bool = False) -> Any:
        path = f"{self.where}.{key}" if self.where else key
        if key not in self.data:
            if optional:
                return None
            raise self.backup.problem(self.member, path, "is missing")
        value = self.data[key]
        if value is None and optional:
            return None
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.backup.problem(self.member, path, f"{value!r:.60} is not {_KINDS[kind]}")
        return value


_KINDS = {str: "text", int: "a whole number", list: "a list", dict: "an object"}


def _manifest(backup: _Backup) -> list[Any]:
    if MANIFEST not in backup.members:
        raise backup.problem(None, "", f"holds no {MANIFEST}: it is not a backup written by arbitre export")
    _, data = backup.json(MANIFEST, "")
    top = _Fields(backup, MANIFEST, data, "")
    if top.get("format", str) != FORMAT:
        raise backup.problem(MANIFEST, "format", f"{data['format']!r:.60} is not {FORMAT!r}")
    version = top.get("format_version", int)
    if version > FORMAT_VERSION:
        raise backup.problem(MANIFEST, "format_version",
                             f"{version} was written by a newer Arbitre (this one reads up to {FORMAT_VERSION}): "
                             "upgrade Arbitre to import it")
    if version < 1:
        raise backup.problem(MANIFEST, "format_version", f"{version} is not a format version (1 or more)")
    entries: list[Any] = top.get("assessments", list)
    return entries


def _assessment(backup: _Backup, data: Any, where: str) -> Dump:
    fields = _Fields(backup, MANIFEST, data, where)
    aid = fields.get("id", str)
    if not _ID.fullmatch(aid):
        raise backup.problem(MANIFEST, f"{where}.id", f"{aid!r:.60} is not an assessment id "
                                                       "(1 to 64 letters, digits, '-' or '_')")
    lang = fields.get("lang", str)
    if lang not in LANGS:
        raise backup.problem(MANIFEST, f"{where}.lang", f"{lang!r:.60} is not one of {', '.join(LANGS)}")
    assessment = Assessment(aid, fields.get("name", str), lang, fields.get("created", str),
                            fields.get("updated", str))
    versions: list[Version] = []
    records: dict[int, str] = {}
    overrides: list[Override] = []
    for index, entry in enumerate(fields.get("versions", list)):
        at = f"{where}.versions[{index}]"
        version = _Fields(backup, MANIFEST, entry, at)
        number = version.get("number", int)
        if number < 1 or number in {v.number for v in versions}:
            raise backup.problem(MANIFEST, f"{at}.number", f"{number} is not a new version number (1 or more, "
                                                           "each once)")
        answers, data = backup.yaml(version.get("answers", str), f"{at}.answers")
        versions.append(Version(aid, number, answers, version.get("author", str), version.get("note", str),
                                version.get("created", str)))
        audit_member = version.get("audit", str, optional=True)
        if audit_member is not None:
            records[number] = backup.json(audit_member, f"{at}.audit")[0]
        overrides_member = version.get("overrides", str, optional=True)
        if overrides_member is not None:
            _, listed = backup.json(overrides_member, f"{at}.overrides")
            if not isinstance(listed, list):
                raise backup.problem(overrides_member, "", "expected a list of overrides")
            known = _flow_ids(data)
            for position, item in enumerate(listed):
                o = _Fields(backup, overrides_member, item, f"[{position}]")
                override = Override(aid, number, o.get("flow_id", str), o.get("option", str), o.get("reason", str),
                                    o.get("author", str), o.get("created", str))
                _check_override(backup, overrides_member, f"[{position}]", override, known)
                overrides.append(override)
    draft = None
    draft_member = fields.get("draft", str, optional=True)
    if draft_member is not None:
        _, held = backup.json(draft_member, f"{where}.draft")
        d = _Fields(backup, draft_member, held, "")
        draft = Draft(aid, d.get("answers", str), d.get("state", dict), d.get("updated", str))
    scratch = None
    scratch_member = fields.get("scratch", str, optional=True)
    if scratch_member is not None:
        _, held = backup.json(scratch_member, f"{where}.scratch")
        scratch = _Fields(backup, scratch_member, held, "").get("answers", str)
    return Dump(assessment, tuple(versions), records, tuple(overrides), draft, scratch)


def _flow_ids(answers: Any) -> list[str]:
    """The ids of the flows of a version's answers (as far as they name any)."""
    flows = answers.get("flows") if isinstance(answers, dict) else None
    return [str(f["id"]) for f in flows or () if isinstance(f, dict) and "id" in f] if isinstance(flows, list) else []


_OVERRIDE_PROBLEMS = {
    OverrideProblem.NO_REASON: ("reason", "is empty: an override always gives its reason"),
    OverrideProblem.NOT_A_DECISION: ("option", "is not a decision (expected one of {decisions})"),
    OverrideProblem.UNKNOWN_FLOW: ("flow_id", "is not a flow of this version's answers (its flows: {flows})"),
}


def _check_override(backup: _Backup, member: str, where: str, override: Override, known: list[str]) -> None:
    """An override the workspace would refuse to record is refused in a backup too (the form's checks)."""
    for problem in override_problems(override.flow_id, override.option, override.reason, known):
        field, message = _OVERRIDE_PROBLEMS[problem]
        value = getattr(override, field)
        raise backup.problem(member, f"{where}.{field}", f"{value!r:.60} " + message.format(
            decisions=", ".join(DECISIONS), flows=", ".join(known) or "none"))


def read_backup(path: Path) -> list[Dump]:
    """Every assessment a backup holds, checked whole before anything is restored."""
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError as exc:
        raise StoreError(f"no backup at {path}", (Problem(str(path), None, "", "no such file"),)) from exc
    except IsADirectoryError as exc:
        raise StoreError(f"{path} is a directory, expected a backup file written by arbitre export") from exc
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise StoreError(f"{path} is not a workspace backup",
                         (Problem(str(path), None, "", "not a zip file: give a file written by arbitre export"),)) \
            from exc
    except OSError as exc:
        raise StoreError(f"cannot read {path}", (Problem(str(path), None, "", exc.strerror or str(exc)),)) from exc
    with archive:
        backup = _Backup(path, archive)
        if len(backup.members) > MAX_MEMBERS:
            raise backup.problem(None, "", f"holds {len(backup.members):,} members, more than the "
                                           f"{MAX_MEMBERS:,} a backup may hold")
        total = sum(info.file_size for info in backup.members.values())
        if total > MAX_TOTAL_BYTES:
            raise backup.problem(None, "", f"unpacks to {total:,} bytes, more than the "
                                           f"{MAX_TOTAL_BYTES // 2**20} MB a backup may hold")
        dumps = [_assessment(backup, entry, f"assessments[{index}]")
                 for index, entry in enumerate(_manifest(backup))]
    seen: set[str] = set()
    for index, dump in enumerate(dumps):
        if dump.assessment.id in seen:
            raise backup.problem(MANIFEST, f"assessments[{index}].id",
                                 f"{dump.assessment.id!r} appears twice")
        seen.add(dump.assessment.id)
    return dumps

