"""Runtime freeze assertions on live models: ``report`` and ``expect``.

Importing this package does not import torch (the functions do, when called),
so the static linter can reuse :mod:`ftlint.runtime.patterns` without torch.

Note: the functions ``report`` and ``expect`` shadow the submodules of the same
name as attributes of this package; import from the submodules with
``from ftlint.runtime.report import ParameterState``.
"""

from ftlint.runtime.expect import FreezeError, Mismatch, expect, expect_grads
from ftlint.runtime.patterns import (
    NamePattern,
    PatternSet,
    compile_patterns,
    strip_wrapper_components,
    strip_wrapper_prefixes,
)
from ftlint.runtime.report import (
    BatchNormState,
    BlockRow,
    FreezeReport,
    OptimizerCoverage,
    ParameterState,
    report,
)

__all__ = [
    "BatchNormState",
    "BlockRow",
    "FreezeError",
    "FreezeReport",
    "Mismatch",
    "NamePattern",
    "OptimizerCoverage",
    "ParameterState",
    "PatternSet",
    "compile_patterns",
    "expect",
    "expect_grads",
    "report",
    "strip_wrapper_components",
    "strip_wrapper_prefixes",
]
