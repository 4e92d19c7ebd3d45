"""The policy in Rego (`espolicy.rego` beside this file), evaluated with `regopy` (rego-cpp) from a
bundle built once: per document only `set_input(Input(doc))` + `query_bundle_entrypoint` run, never
a recompile. (Of the ways regopy offers, this was the fastest here: `set_input_term(json.dumps(doc))`
costs ~70 µs more per document, `query_bundle` with a query ~30 µs more than the entrypoint.)

Input: the raw JSON document (ISO strings). The only precomputed thing is data, not input: the
Japanese national holiday table (2000–2050) is `data.holidays`, compiled into the bundle.
"""
from __future__ import annotations

from pathlib import Path

from benchmarks.peers.common import holiday_table

NAME = "Rego (regopy, prebuilt bundle)"
REGO = Path(__file__).with_name("espolicy.rego")
ENTRYPOINT = "espolicy/result"


class Peer:
    name = NAME
    note = "raw JSON in; dates/Japan time native; holidays as bundle data"

    def __init__(self) -> None:
        from regopy import Input, Interpreter

        self._Input = Input
        build = Interpreter()
        build.add_data({"holidays": holiday_table()})
        build.add_module("espolicy.rego", REGO.read_text(encoding="utf-8"))
        self.bundle = build.build(None, [ENTRYPOINT])
        if not self.bundle.ok():
            raise RuntimeError(f"the Rego bundle did not build: {self.bundle.node()}")
        self.rego = Interpreter()  # a fresh interpreter runs the prebuilt bundle

    def judge(self, raw: dict, decoded: dict) -> tuple[str, frozenset[str]]:
        self.rego.set_input(self._Input(raw))
        out = self.rego.query_bundle_entrypoint(self.bundle, ENTRYPOINT)
        if not out.ok():
            raise RuntimeError(f"Rego error: {out}")
        result = out.results[0].expressions[0]
        return result["outcome"], frozenset(result["rules"])
