"""`espolicy explain`: its arguments and how it runs."""
from __future__ import annotations

import sys
from typing import Any, TextIO, cast

import json

from espolicy.commands import waiving
from espolicy.commands.streams import SafeLines
from espolicy.safetext import printable
from espolicy.engine.explain import Explainer, render_text, waiver_lines, waivers_json
from espolicy.commands.arguments import add_policy_option

def register(sub: Any) -> None:
    x = sub.add_parser("explain", help="show how each rule judged a document: conditions, values, facts",
                       description="For each rule: whether it applies to the document's kind, what each "
                                   "sub-condition evaluated to (with values), and whether it fired; before "
                                   "that, every fact and let and how it was computed.")
    x.add_argument("doc", metavar="DOC", help="a .yaml/.json/.jsonl document (several per file are explained "
                                              "one after the other), or - for standard input")
    x.add_argument("--rule", metavar="ID", help="explain only this rule (and the facts and lets it reads)")
    x.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    x.add_argument("--lang", choices=("en", "ja"), default="en", help="language of messages (default en)")
    add_policy_option(x)
    waiving.add_arguments(x)
    x.set_defaults(func=run)


def run(args: Any) -> int:
    from espolicy.fuzzy import did_you_mean
    from espolicy.documents.loader import iter_documents, iter_paths
    from espolicy.documents.positions import placed
    from espolicy.engine.waivers import apply_waivers

    try:
        paths = list(iter_paths([args.doc]))
    except FileNotFoundError as e:
        print(f"espolicy explain: error: no such file or folder: {e.filename or e}", file=sys.stderr)
        return 2
    from espolicy.commands.loading import load_for_command
    policy = load_for_command(args.policy, "espolicy explain")
    if policy is None:
        return 2
    waivers = waiving.load(args, policy, "espolicy explain")
    if waivers is False:
        return 2
    assert waivers is not True
    ids = [r.id for r in policy.rules]
    if args.rule is not None and args.rule not in ids:
        hint = did_you_mean(args.rule, ids)
        print(f"espolicy explain: error: the policy has no rule `{args.rule}`" + (f"; {hint}" if hint else ""),
              file=sys.stderr)
        return 2
    from espolicy.jpcalendar import japan_today
    today = args.today or japan_today()
    explainer = Explainer(policy)
    results: list[dict[str, Any]] = []
    text_out = cast(TextIO, SafeLines(sys.stdout))   # document strings: never a control character or a CI command
    status = 0
    first = True
    for path in paths:
        for loaded in iter_documents(path, stdin=sys.stdin):
            report = policy.validate(loaded.doc, source=loaded.source, today=today) if loaded.problem is None else None
            header = f"{loaded.source}"
            if report is None or report.outcome == "invalid":
                status = 1
                problems = [loaded.problem] if loaded.problem is not None else (
                    placed(report.findings, loaded.positions, loaded.doc) if report else [])
                if args.format == "json":
                    results.append({"source": loaded.source, "outcome": "invalid",
                                    "findings": [f.to_dict() for f in problems]})
                else:
                    if not first:
                        text_out.write("\n")
                    text_out.write(f"{header}  → INVALID: no rule ran\n")
                    for f in problems:
                        text_out.write(f"  {f.path or '/'}: {f.text('message', args.lang)}\n")
                first = False
                continue
            dt = explainer.trace(loaded.doc, today)
            if dt.outcome != report.outcome:  # the differential tests make this unreachable; say so if not
                print(f"espolicy explain: internal error: explain says {dt.outcome}, validate says "
                      f"{report.outcome}", file=sys.stderr)
                status = 2
            header = printable(f"{loaded.source}  {report.id or ''}  {dt.kind}".replace("    ", "  "))
            waived = apply_waivers(report, waivers) if waivers is not None else None
            if args.format == "json":
                results.append({"source": loaded.source, "id": report.id, **explainer.to_json(dt, args.rule)})
                if waived is not None and waivers is not None:
                    results[-1]["waivers"] = waivers_json(waived, waivers.file)
            else:
                if not first:
                    text_out.write("\n" + "─" * 72 + "\n\n")
                render_text(dt, header, explainer.pointers[dt.kind], args.lang, args.rule, text_out, explainer.data)
                if waived is not None and waivers is not None:
                    text_out.write("\n" + "\n".join(waiver_lines(report.outcome, waived, waivers.file, args.lang)) + "\n")
            first = False
    if args.format == "json":
        head: dict[str, Any] = {"policy": policy.info()}
        if waivers is not None:
            head["waivers"] = waivers.info()
        json.dump({**head, "documents": results}, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    return status
