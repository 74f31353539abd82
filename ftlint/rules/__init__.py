"""The rule registry: every static rule, in code order. Add a rule here and nowhere else."""

from __future__ import annotations

from ftlint.rules.base import Rule
from ftlint.rules.ft001_ambiguous_freeze_condition import AmbiguousFreezeCondition
from ftlint.rules.ft002_ignored_train_bn import IgnoredTrainBn

ALL_RULES: tuple[type[Rule], ...] = (
    AmbiguousFreezeCondition,
    IgnoredTrainBn,
)

RULES_BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in ALL_RULES}
