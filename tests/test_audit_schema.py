"""The audit record's published JSON Schema stays the model's own."""

from __future__ import annotations

import json
from pathlib import Path

from engine.analysis.audit import AuditRecord, schema

SCHEMA = Path(__file__).resolve().parent.parent / "docs" / "audit-record.schema.json"


def test_the_published_schema_is_the_models(update_golden: bool) -> None:
    """docs/audit-record.schema.json is exported from ``AuditRecord`` (``--update-golden`` rewrites it)."""
    current = json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"
    if update_golden:
        SCHEMA.write_text(current, encoding="utf-8")
    assert SCHEMA.read_text(encoding="utf-8") == current, "run pytest --update-golden and read the diff"


def test_the_schema_names_every_top_level_field() -> None:
    """Every field is required but the signature, the bids and the ranges, which records written unsigned
    (or before signing), without bids (or before bids were compared), unsampled (or before ranges) lack."""
    published = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert set(published["required"]) == set(AuditRecord.model_fields) - {"signature", "bids", "ranges"}
    assert set(published["properties"]) == set(AuditRecord.model_fields)
    assert published["$schema"] == "https://json-schema.org/draft/2020-12/schema"
