"""atheris harness: rule files -> parser, checker and compiler, then judging documents.

Invariant: building a policy from any text raises nothing but `PolicyError`; a policy that builds
judges the sample documents without raising (`validate` returns a report that prints as JSON).
Run by hand, not in CI (fuzz/README.md):

    python fuzz/fuzz_parser.py -max_total_time=300 fuzz/corpus/parser
"""
from __future__ import annotations

import json
import os
import sys

import atheris

os.environ.setdefault("ESPOLICY_CACHE_DIR", "off")   # thousands of throw-away policies: no cache

with atheris.instrument_imports():
    from espolicy.errors import PolicyError
    from espolicy.engine.policy import Policy
    from espolicy.sources import bundled_dir, read_sources
    from espolicy.documents.schema import SchemaSet

SCHEMAS = SchemaSet.load(bundled_dir("schemas"))
BUNDLED = read_sources(bundled_dir("policy"))
DOCS = [
    {"kind": "registration", "id": "R", "registration_date": "2026-04-10",
     "server": {"model": "m", "serial": "1", "warranty_start": "2024-02-29", "warranty_years": 1},
     "pack": {"generation": "ESP", "coverage": "weekday", "term_years": 6, "purchase_date": "2026-03-16"},
     "history": [{"generation": "ESP_G2", "term_years": 3, "registered_on": "2021-05-01"}]},
    {"kind": "service_request", "id": "S", "requested_at": "2026-05-04T08:29:59+09:00",
     "server": {"serial": "1", "warranty_start": "2025-04-01", "warranty_years": 1},
     "registration": {"generation": "ESP_G2", "coverage": "weekday", "term_years": 3, "registered_on": "2025-04-20"},
     "service": {"type": "repair", "part": "ups_battery"}},
    {"kind": "change_request", "id": "C", "request_date": "2026-05-02", "change": {"type": "term", "to": "6 years"},
     "registration": {"generation": "ESP_G2", "coverage": "24x365", "term_years": 3, "server_serial": "1",
                      "warranty_start": "2025-04-01", "registered_on": "2025-04-20"}},
]


def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    mode = fdp.ConsumeIntInRange(0, 2)
    text = fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes())
    if mode == 0:      # the text alone
        sources = [("fuzz.esp", text)]
    elif mode == 1:    # the text beside the bundled rule files (it can use their constants)
        sources = [*BUNDLED, ("zz-fuzz.esp", text)]
    else:              # the text spliced into a bundled rule file
        name, body = BUNDLED[len(text) % len(BUNDLED)]
        at = (len(text) * 7919) % (len(body) + 1)
        sources = [(n, body[:at] + text + body[at:] if n == name else b) for n, b in BUNDLED]
    try:
        policy = Policy(sources, schemas=SCHEMAS)
    except PolicyError as e:
        assert e.diagnostics
        return
    for doc in DOCS:
        report = policy.validate(doc)
        json.dumps(report.to_dict(), ensure_ascii=False, allow_nan=False)


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
