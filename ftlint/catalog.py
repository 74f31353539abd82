"""The catalog: every code ftlint reports, declared once, in code order. Add a check here and
nowhere else: ``ftlint rules``, ``ftlint rule CODE``, docs/rules.md, SARIF rule metadata,
selection and the example tests all read this list.

Importing it imports libcst (the static rules), never torch nor PyYAML: ``ftlint check`` reads
what it needs before that from the cached :class:`ftlint.triage.CatalogIndex`, and imports the
configuration rules (FT2xx) by the module each triage names, without the catalog.
"""

from __future__ import annotations

from collections.abc import Mapping

from ftlint.check import Check, Command
from ftlint.configfiles.ft201_lightning_config_ignored_train_bn import (
    LightningConfigIgnoredTrainBn,
)
from ftlint.configfiles.ft202_peft_config_target_modules_string import (
    PeftConfigTargetModulesString,
)
from ftlint.configfiles.ft203_peft_config_inference_mode import PeftConfigInferenceMode
from ftlint.configfiles.ft204_llamafactory_freeze_options_ignored import (
    LlamafactoryFreezeOptionsIgnored,
)
from ftlint.configfiles.ft205_llamafactory_trainable_layers_count import (
    LlamafactoryTrainableLayersCount,
)
from ftlint.configfiles.ft206_axolotl_unfrozen_parameters_pattern import (
    AxolotlUnfrozenParametersPattern,
)
from ftlint.configfiles.ft207_axolotl_reentrant_partial_freeze import (
    AxolotlReentrantPartialFreeze,
)
from ftlint.configfiles.ft208_detectron2_freeze_at_out_of_range import (
    Detectron2FreezeAtOutOfRange,
)
from ftlint.configfiles.ft209_detectron2_freeze_at_from_scratch import (
    Detectron2FreezeAtFromScratch,
)
from ftlint.configfiles.rule import ConfigRule
from ftlint.input_checks import INPUT_CHECKS
from ftlint.lightning.ft108_train_bn_phase_mismatch import TrainBnPhaseMismatch
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
from ftlint.rules.ft011_torchvision_pretrained_flag import TorchvisionPretrainedFlag
from ftlint.rules.ft012_peft_target_modules_string import PeftTargetModulesString
from ftlint.rules.ft013_peft_adapter_loaded_frozen import PeftAdapterLoadedFrozen
from ftlint.rules.ft014_requires_grad_before_kbit_prep import RequiresGradBeforeKbitPrep
from ftlint.rules.ft015_reentrant_checkpointing_frozen_inputs import (
    ReentrantCheckpointingFrozenInputs,
)
from ftlint.rules.ft016_misspelt_config_keyword import MisspeltConfigKeyword
from ftlint.rules.ft017_checkpointing_kwargs_overridden import CheckpointingKwargsOverridden
from ftlint.rules.ft211_norm_eval_sync_bn import NormEvalSyncBn
from ftlint.rules.ft212_custom_keys_shadowed import CustomKeysShadowed
from ftlint.rules.ft213_lr_mult_zero_freeze import LrMultZeroFreeze
from ftlint.rules.ft214_frozen_stages_beyond_num_stages import FrozenStagesBeyondNumStages
from ftlint.rules.ft215_detectron2_freeze_at_range import Detectron2FreezeAtRange
from ftlint.rules.ft216_custom_keys_index_prefix import CustomKeysIndexPrefix
from ftlint.verify.checks.ft101_expectation_mismatch import ExpectationMismatch
from ftlint.verify.checks.ft102_other_reading_differs import OtherReadingDiffers
from ftlint.verify.checks.ft103_pattern_matches_nothing import PatternMatchesNothing
from ftlint.verify.checks.ft104_pattern_overmatches import PatternOvermatches
from ftlint.verify.checks.ft105_frozen_batchnorm_updates_stats import FrozenBatchNormUpdatesStats
from ftlint.verify.checks.ft106_optimizer_coverage import OptimizerCoverage
from ftlint.verify.checks.ft107_freeze_had_no_effect import FreezeHadNoEffect
from ftlint.verify.checks.ft111_lora_target_matches_nothing import LoraTargetMatchesNothing
from ftlint.verify.checks.ft112_adapters_in_vision_tower import AdaptersInVisionTower
from ftlint.verify.checks.ft113_no_trainable_parameter import NoTrainableParameter
from ftlint.verify.checks.ft114_tied_weights_split import TiedWeightsSplit
from ftlint.verify.checks.ft115_reentrant_checkpointing_no_input_grads import (
    ReentrantCheckpointingNoInputGrads,
)
from ftlint.verify.checks.ft116_trainer_optimizer_misses_unfrozen import (
    TrainerOptimizerMissesUnfrozen,
)
from ftlint.verify.runtime_check import RuntimeCheck, SimulatedCheck

CHECKS: tuple[type[Check], ...] = (
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
    TorchvisionPretrainedFlag,
    PeftTargetModulesString,
    PeftAdapterLoadedFrozen,
    RequiresGradBeforeKbitPrep,
    ReentrantCheckpointingFrozenInputs,
    MisspeltConfigKeyword,
    CheckpointingKwargsOverridden,
    ExpectationMismatch,
    OtherReadingDiffers,
    PatternMatchesNothing,
    PatternOvermatches,
    FrozenBatchNormUpdatesStats,
    OptimizerCoverage,
    FreezeHadNoEffect,
    TrainBnPhaseMismatch,
    LoraTargetMatchesNothing,
    AdaptersInVisionTower,
    NoTrainableParameter,
    TiedWeightsSplit,
    ReentrantCheckpointingNoInputGrads,
    TrainerOptimizerMissesUnfrozen,
    LightningConfigIgnoredTrainBn,
    PeftConfigTargetModulesString,
    PeftConfigInferenceMode,
    LlamafactoryFreezeOptionsIgnored,
    LlamafactoryTrainableLayersCount,
    AxolotlUnfrozenParametersPattern,
    AxolotlReentrantPartialFreeze,
    Detectron2FreezeAtOutOfRange,
    Detectron2FreezeAtFromScratch,
    NormEvalSyncBn,
    CustomKeysShadowed,
    LrMultZeroFreeze,
    FrozenStagesBeyondNumStages,
    Detectron2FreezeAtRange,
    CustomKeysIndexPrefix,
    *INPUT_CHECKS,
)

CATALOG: Mapping[str, type[Check]] = {check.code: check for check in CHECKS}

# The checks of each kind, in code order.
RULES: tuple[type[Rule], ...] = tuple(c for c in CHECKS if issubclass(c, Rule))
CONFIG_RULES: tuple[type[ConfigRule], ...] = tuple(c for c in CHECKS if issubclass(c, ConfigRule))
RUNTIME_CHECKS: tuple[type[RuntimeCheck], ...] = tuple(
    c for c in CHECKS if issubclass(c, RuntimeCheck)
)
SIMULATED_CHECKS: tuple[type[SimulatedCheck], ...] = tuple(
    c for c in CHECKS if issubclass(c, SimulatedCheck)
)
# What users can select and ignore: the FT9xx diagnostics are always on.
SELECTABLE: tuple[str, ...] = tuple(c.code for c in CHECKS if c.command is not Command.ANY)


def defaults(command: Command) -> tuple[str, ...]:
    """The codes of the checks ``command`` finds that are on unless deselected."""
    return tuple(c.code for c in CHECKS if c.command is command and c.default)
