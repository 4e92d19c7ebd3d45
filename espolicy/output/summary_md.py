"""The job summary in Markdown (`validate --summary-md FILE`), for `$GITHUB_STEP_SUMMARY` and any
CI system that shows a Markdown file: the verdict, the count of each outcome, the policy and the
date the documents were judged on."""
from __future__ import annotations

from espolicy.effects import OUTCOMES
from espolicy.report import Summary

_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-.!|<>~"})


def _literal(text: str) -> str:
    """`text` shown as it is in Markdown: special characters escaped, line breaks made spaces."""
    return " ".join(text.split()).translate(_MARKDOWN_SPECIAL)


def markdown_summary(summary: Summary, policy_info: dict[str, str], fail_on: str, failed: bool,
                     today: str | None = None) -> str:
    """The summary of one run as a Markdown section ending with a blank line; `today`: the date the
    documents were judged on (the rules' `today`), so that the run can be reproduced."""
    verdict = f"failed (at `--fail-on {fail_on}`)" if failed else f"passed (at `--fail-on {fail_on}`)"
    lines = [f"### espolicy: {summary.documents} document{'' if summary.documents == 1 else 's'}, {verdict}",
             "", "| outcome | documents |", "|---|---:|"]
    lines += [f"| {outcome} | {summary.counts.get(outcome, 0)} |" for outcome in OUTCOMES]
    if summary.waivers:
        lines += ["", f"{summary.waived} finding{'' if summary.waived == 1 else 's'} waived (see the report)"]
    judged = f", documents judged on {today}" if today else ""
    lines += ["", f"Policy {_literal(policy_info.get('name', ''))} (`{policy_info.get('digest', '')}`){judged}", "", ""]
    return "\n".join(lines)
