"""The rule registry: every static rule, in code order. Add a rule here and nowhere else."""

from __future__ import annotations

from ftlint.rules.base import Documented, Rule, RuntimeCheck
from ftlint.rules.ft001_ambiguous_freeze_condition import AmbiguousFreezeCondition
from ftlint.rules.ft002_ignored_train_bn import IgnoredTrainBn

ALL_RULES: tuple[type[Rule], ...] = (
    AmbiguousFreezeCondition,
    IgnoredTrainBn,
)

RULES_BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in ALL_RULES}

# Findings of `ftlint verify` (FT1xx) are documented and selectable like rules, but found by
# running the model. Their modules must stay torch-free: this registry is imported by `check`.
RUNTIME_CHECKS: tuple[type[RuntimeCheck], ...] = ()

DOCUMENTED: dict[str, type[Documented]] = {
    entry.code: entry for entry in (*ALL_RULES, *RUNTIME_CHECKS)
}
