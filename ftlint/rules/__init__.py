"""The rule registry: every static rule, in code order. Add a rule here and nowhere else."""

from __future__ import annotations

from ftlint.codes import Documented, RuntimeCheck
from ftlint.lightning.codes import TrainBnPhaseMismatch
from ftlint.rules.base import Rule
from ftlint.rules.ft001_ambiguous_freeze_condition import AmbiguousFreezeCondition
from ftlint.rules.ft002_ignored_train_bn import IgnoredTrainBn
from ftlint.rules.ft003_requires_grad_typo import RequiresGradTypo
from ftlint.rules.ft004_module_requires_grad_attribute import ModuleRequiresGradAttribute
from ftlint.rules.ft005_no_op_requires_grad import NoOpRequiresGrad
from ftlint.rules.ft006_detached_copy_freeze import DetachedCopyFreeze
from ftlint.rules.ft007_name_substring_collision import NameSubstringCollision
from ftlint.rules.ft008_frozen_batchnorm_in_train_mode import FrozenBatchnormInTrainMode
from ftlint.rules.ft009_torchvision_weights_argument import TorchvisionWeightsArgument
from ftlint.rules.ft010_unfreeze_after_optimizer import UnfreezeAfterOptimizer
from ftlint.verify.codes import VERIFY_CHECKS

ALL_RULES: tuple[type[Rule], ...] = (
    AmbiguousFreezeCondition,
    IgnoredTrainBn,
    RequiresGradTypo,
    ModuleRequiresGradAttribute,
    NoOpRequiresGrad,
    DetachedCopyFreeze,
    NameSubstringCollision,
    FrozenBatchnormInTrainMode,
    TorchvisionWeightsArgument,
    UnfreezeAfterOptimizer,
)

RULES_BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in ALL_RULES}

# Findings of `ftlint verify` (FT1xx) are documented and selectable like rules, but found by
# running the model. Their modules must stay torch-free: this registry is imported by `check`.
RUNTIME_CHECKS: tuple[type[RuntimeCheck], ...] = (*VERIFY_CHECKS, TrainBnPhaseMismatch)

DOCUMENTED: dict[str, type[Documented]] = {
    entry.code: entry for entry in (*ALL_RULES, *RUNTIME_CHECKS)
}
