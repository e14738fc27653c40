"""A user answering questions into a workspace, run as a separate process by the store's tests.

    python workspace_writer.py DB AID USER COUNT [GO_FILE]

Answers COUNT questions (COUNT 0: until killed) into the draft of assessment AID, each answer one
``editing_draft`` transaction (the line ``USER_qN: N`` appended to the answers, the question's key
to the state's ``answered`` list), then saves the draft's answers as a version of its own and records
an override on it. Prints ``committed USER N`` once each answer's transaction has committed (and
``version USER N`` after the version), so a test that kills the process knows what must have survived.
With GO_FILE, waits until that file exists before the first answer, so that writers start together.
"""

from __future__ import annotations

import sys
import time
from itertools import count
from pathlib import Path

from web.store import Override, Store


def same_record(record: str, overrides: list[Override]) -> str:
    """The version's record rewritten with its overrides, as the store's tests need it: unchanged
    (the store keeps the record it is given; what a record says is the views' business)."""
    return record


def answer(store: Store, aid: str, user: str, number: int) -> None:
    """One answer: a read-modify-write of the draft in one transaction."""
    with store.editing_draft(aid) as edit:
        edit.answers += f"{user}_q{number}: {number}\n"
        edit.state.setdefault("answered", []).append(f"{user}_q{number}")
        edit.state["last"] = f"{user}_q{number}"


def main(argv: list[str]) -> int:
    db, aid, user, total = Path(argv[0]), argv[1], argv[2], int(argv[3])
    if len(argv) > 4:
        go = Path(argv[4])
        while not go.exists():
            time.sleep(0.01)
    with Store.open(db) as store:
        for number in count(1) if total == 0 else range(1, total + 1):
            answer(store, aid, user, number)
            print(f"committed {user} {number}", flush=True)
            if total == 0 and number % 10 == 0:  # a larger write too, to be killed in the middle of
                version = store.add_version(aid, f"# {user} {number}\n" + "x: 1\n" * 2000, author=user)
                print(f"version {user} {version.number}", flush=True)
        if total:
            version = store.add_version(aid, store.draft(aid).answers, author=user,  # type: ignore[union-attr]
                                        audit_json="{}")
            store.override_with_record(aid, version.number, "billing", "hybrid", f"decided by {user}", user,
                                       same_record)
            print(f"version {user} {version.number}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
