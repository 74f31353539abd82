"""Training configuration files: YAML and JSON (Lightning CLI, Hydra ``_target_``, peft
``adapter_config.json``, LLaMA-Factory, axolotl, detectron2), read into a tree that keeps each
key's and value's line and column, and the rules that judge them (FT2xx).

Which files are configs is decided by name first (:func:`is_config_path`), then by content: a
rule runs only on a file holding one of its tokens (``ftlint.triage``), and looks for its
framework's own keys. Files that are YAML or JSON but never a training config (CI workflows,
docker-compose, pre-commit, conda environments, Kubernetes manifests, package manifests) are
never read. This module imports neither PyYAML nor libcst.
"""

from __future__ import annotations

import fnmatch
from pathlib import PurePath

CONFIG_SUFFIXES = frozenset({".yaml", ".yml", ".json"})

# Directories whose YAML/JSON files configure tools, never a training run.
_FOREIGN_DIRECTORIES = frozenset(
    {".github", ".gitlab", ".circleci", ".devcontainer", ".vscode", ".idea"}
)
# Files that configure tools, whatever directory holds them (matched against the lower-cased name).
_FOREIGN_NAMES = (
    "docker-compose*.y*ml",
    "compose.y*ml",
    "compose.*.y*ml",
    ".pre-commit-config.y*ml",
    ".pre-commit-hooks.y*ml",
    "environment*.y*ml",  # conda
    "conda*.y*ml",
    "meta.y*ml",  # conda-build
    "mkdocs.y*ml",
    ".readthedocs.y*ml",
    "readthedocs.y*ml",
    ".gitlab-ci.y*ml",
    "azure-pipelines.y*ml",
    "bitbucket-pipelines.y*ml",
    "appveyor.y*ml",
    ".travis.y*ml",
    "codecov.y*ml",
    ".codecov.y*ml",
    "citation.cff",
    "dependabot.y*ml",
    "mergify.y*ml",
    ".mergify.y*ml",
    "chart.yaml",
    "values*.yaml",  # Helm
    "kustomization.y*ml",
    "pnpm-lock.yaml",
    "package.json",
    "package-lock.json",
    "tsconfig*.json",
    "jsconfig*.json",
    "composer.json",
    "renovate.json",
    ".eslintrc*",
    "tokenizer*.json",
    "vocab*.json",
)


def is_config_path(path: PurePath) -> bool:
    """Whether ``path`` may be a training configuration: a ``.yaml``/``.yml``/``.json`` file
    that is not one of the tool configurations named above (by file or by directory)."""
    if path.suffix.lower() not in CONFIG_SUFFIXES:
        return False
    name = path.name.lower()
    if any(fnmatch.fnmatchcase(name, pattern) for pattern in _FOREIGN_NAMES):
        return False
    return not any(part in _FOREIGN_DIRECTORIES for part in path.parts[:-1])
