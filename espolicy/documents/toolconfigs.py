"""Well-known configuration files of other tools: YAML and JSON that are never documents.

A repository that keeps documents beside its tooling (`.pre-commit-config.yaml`, a GitHub
workflow, `mkdocs.yml`, …) asks `validate --skip-tool-configs` (the pre-commit hook does) to
leave these out, so that they are not reported as documents without a `kind`. Any other file
that is not a document is still reported.
"""
from __future__ import annotations

import fnmatch
import os
import re

# File names, matched in any folder (globs, case-insensitive).
_NAMES = (
    ".pre-commit-config.yaml", ".pre-commit-config.yml", ".pre-commit-hooks.yaml", ".pre-commit-hooks.yml",
    ".gitlab-ci.yml", ".gitlab-ci.yaml", "mkdocs.yml", "mkdocs.yaml", ".readthedocs.yml", ".readthedocs.yaml",
    "docker-compose*.yml", "docker-compose*.yaml", "compose.yml", "compose.yaml", ".yamllint", ".yamllint.yml",
    ".yamllint.yaml", ".travis.yml", "azure-pipelines.yml", "bitbucket-pipelines.yml", "codecov.yml",
    ".codecov.yml", "renovate.json", ".renovaterc.json", "package.json", "package-lock.json", "tsconfig*.json",
    "environment.yml", "environment.yaml", ".espolicy-waivers.yaml", ".espolicy-waivers.yml", "pubspec.yaml",
    "action.yml", "action.yaml", "Chart.yaml", "values.yaml", ".golangci.yml", ".goreleaser.yml", "dependabot.yml",
)
# Folders whose files all belong to a tool.
_FOLDERS = (".github", ".gitlab", ".circleci", ".vscode", ".devcontainer", ".idea", "node_modules")
_NAME = re.compile("|".join(fnmatch.translate(n) for n in _NAMES), re.IGNORECASE)


def is_tool_config(path: str) -> bool:
    """True for a file that is a well-known tool's configuration, by its name or a folder it is in."""
    parts = os.path.normpath(path).replace(os.sep, "/").split("/")
    return bool(_NAME.fullmatch(parts[-1])) or any(p in _FOLDERS for p in parts[:-1])
