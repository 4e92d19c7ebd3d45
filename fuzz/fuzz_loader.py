"""atheris harness: bytes -> loader (YAML, JSON, JSON Lines; files and standard input) -> validate.

Invariant: reading any bytes in any format raises nothing; every item is a document or a problem
(an `error` finding with both languages); every document read is judged without raising, under
small limits so that the limit paths are reached too. Run by hand, not in CI (fuzz/README.md):

    python fuzz/fuzz_loader.py -max_total_time=300 fuzz/corpus/loader
"""
from __future__ import annotations

import io
import json
import os
import sys
import tempfile

import atheris

os.environ.setdefault("ESPOLICY_CACHE_DIR", "off")

with atheris.instrument_imports():
    import espolicy
    from espolicy.limits import Limits
    from espolicy.documents.loader import Loaded, iter_documents, load_text

LIMITS = [Limits(), Limits(max_bytes=256, max_depth=4, max_documents=3, max_values=50)]
SUFFIXES = [".yaml", ".json", ".jsonl", ".txt"]
FOLDER = tempfile.mkdtemp(prefix="espolicy-fuzz-")


def check(items: list[Loaded]) -> None:
    assert items
    for item in items:
        assert isinstance(item, Loaded)
        if item.problem is not None:
            assert item.doc is None and item.problem.effect == "error"
            assert item.problem.message["en"] and item.problem.message["ja"]
            json.dumps(item.problem.to_dict(), ensure_ascii=False)
        else:
            report = espolicy.validate(item.doc, source=item.source)
            json.dumps(report.to_dict(), ensure_ascii=False, allow_nan=False)


def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    limits = LIMITS[fdp.ConsumeIntInRange(0, 1)]
    mode = fdp.ConsumeIntInRange(0, 2)
    if mode == 0:     # a file of these bytes
        suffix = SUFFIXES[fdp.ConsumeIntInRange(0, len(SUFFIXES) - 1)]
        path = os.path.join(FOLDER, "doc" + suffix)
        with open(path, "wb") as handle:
            handle.write(fdp.ConsumeBytes(fdp.remaining_bytes()))
        check(list(iter_documents(path, limits=limits)))
    elif mode == 1:   # text in one format
        fmt = ("yaml", "json", "jsonl")[fdp.ConsumeIntInRange(0, 2)]
        check(list(load_text(fdp.ConsumeUnicode(fdp.remaining_bytes()), "t", fmt, limits)))
    else:             # standard input (format sniffed)
        stdin = io.StringIO(fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes()))
        check(list(iter_documents("-", stdin, limits)))


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
