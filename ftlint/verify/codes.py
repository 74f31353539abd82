"""The findings of ``ftlint verify`` (FT101-FT107), documented like rules.

Torch-free: the rule registry imports this module, and ``ftlint check`` never imports torch.
"""

from __future__ import annotations

from ftlint.codes import RuntimeCheck

__all__ = [
    "VERIFY_CHECKS",
    "ExpectationMismatch",
    "FreezeHadNoEffect",
    "FrozenBatchNormUpdatesStats",
    "OptimizerCoverage",
    "OtherReadingDiffers",
    "PatternMatchesNothing",
    "PatternOvermatches",
]


class ExpectationMismatch(RuntimeCheck):
    """
    ## What it does
    Compares the model, built and frozen as the file leaves it, with an expectation pragma on or
    just above its construction or its freeze code:

    ```python
    # ftlint: expect trainable=126 frozen=35
    # ftlint: expect trainable=layer2,layer3,layer4
    ```

    Integers count parameter tensors (`trainable_numel=`/`frozen_numel=` count elements);
    patterns are dotted-name prefixes or globs, as in `ftlint.expect`, and name exactly the
    trainable (or frozen) parameters. A pragma that sits on no model is reported too.

    ## Why is this bad?
    Freeze code that trains the wrong parameters does not crash: the run only converges to a
    worse model. A pragma turns the intent into a check that runs on every `ftlint verify`,
    without a GPU or the pretrained weights.

    ## Example
    ```python
    backbone = resnet50(weights=ResNet50_Weights.DEFAULT)
    # ftlint: expect trainable=layer3,layer4,fc
    for name, parameter in backbone.named_parameters():
        if "layer4" not in name:
            parameter.requires_grad_(False)
    ```

    ## Fix
    Change the freeze code, or the pragma when the intent changed. The freeze map printed by
    `ftlint verify` shows which blocks train.
    """

    code = "FT101"
    name = "expectation-mismatch"
    summary = "The model's freeze state differs from its `# ftlint: expect` pragma"


class OtherReadingDiffers(RuntimeCheck):
    """
    ## What it does
    For each freeze condition FT001 flags (`or` and `and` mixed without parentheses), runs the
    model's freeze code twice per scenario of the file's flags: once as Python reads the
    condition, once read left to right (`(not train_backbone or 'layer2' not in name) and ...`,
    the usual misreading), and reports the scenarios in which the two readings train different
    parameters, with both counts and example names.

    ## Why is this bad?
    FT001 says a condition is easy to misread; this says what the misreading costs. When the
    readings agree in every scenario, adding parentheses is cosmetic. When they differ, one of
    them is not what the author meant, and only one of them is what runs. For the DETR-style
    backbone loop on a ResNet-50 they agree when `train_backbone` is true and differ when it is
    false: 0 trainable / 161 frozen tensors as written, 87 / 74 read left to right.

    ## Example
    ```python
    train_backbone = True
    for name, parameter in backbone.named_parameters():
        if not train_backbone or 'layer2' not in name and 'layer3' not in name and 'layer4' not in name:
            parameter.requires_grad_(False)
    ```

    ## Fix
    Parenthesize the condition the way it is meant (`ftlint check --fix` adds the grouping
    Python already uses), then check the scenario counts `ftlint verify` prints.
    """

    code = "FT102"
    name = "other-reading-differs"
    summary = "Reading an ambiguous freeze condition left to right trains other parameters"


class PatternMatchesNothing(RuntimeCheck):
    """
    ## What it does
    Reports a string literal that freeze code tests against parameter or module names
    (`'layer4' in name`, `name.startswith('fc')`, `name == 'head.weight'`, literals of a list
    used in `any(...)`) when it matches none of the names of the model the loop iterates.

    ## Why is this bad?
    A test that matches nothing silently freezes, or trains, nothing of what was meant.
    Typical causes: a typo, another architecture's names (`fc` on a torchvision ViT is
    `heads.head`), or a wrapper that renamed everything: `nn.Sequential(*model.children())`
    names the children by position, so `layer4` of a ResNet becomes `7`.

    ## Example
    ```python
    backbone = nn.Sequential(*list(resnet50().children())[:-1])
    for name, parameter in backbone.named_parameters():
        parameter.requires_grad = "layer4" in name
    ```

    ## Fix
    Use the names the model really has (`ftlint inspect torchvision.models:resnet50` prints
    them), or freeze through the module objects (`resnet.layer4.requires_grad_(True)`) before
    wrapping them.
    """

    code = "FT103"
    name = "pattern-matches-nothing"
    summary = "A name the freeze code tests for matches none of the model's names"


class PatternOvermatches(RuntimeCheck):
    """
    ## What it does
    Reports a string literal that freeze code tests against parameter or module names with a
    substring or prefix test, when it also hits names the author most likely did not mean:

    - across a component boundary: `'encoder_layer_1' in name` also hits `encoder_layer_10`
      and `encoder_layer_11`, and `'features.1' in name` hits `features.10` to `features.16`;
    - at several depths: `'bn1' in name` hits the stem's `bn1` and the `bn1` of every
      bottleneck block.

    The names it hit are listed, grouped by block.

    ## Why is this bad?
    Substring tests read like component names but are not: the extra matches freeze (or train)
    whole blocks beyond the intended ones, and the counts still look plausible.

    ## Example
    ```python
    for name, parameter in vit.named_parameters():
        if "encoder_layer_1" in name:
            parameter.requires_grad = False
    ```

    ## Fix
    Test whole components: `name.startswith("encoder.layers.encoder_layer_1.")`, or
    `ftlint.runtime.patterns` (`compile_patterns("encoder.layers.encoder_layer_1")`), which
    matches dotted prefixes at component boundaries.
    """

    code = "FT104"
    name = "pattern-overmatches"
    summary = "A name the freeze code tests for also matches names it likely does not mean"


class FrozenBatchNormUpdatesStats(RuntimeCheck):
    """
    ## What it does
    Reports BatchNorm modules whose affine parameters are all frozen but which are in training
    mode in the state the file leaves the model in, so that they still update their running
    mean and variance with every batch.

    ## Why is this bad?
    Freezing a pretrained block usually means keeping it exactly as it was. `requires_grad_`
    does not stop BatchNorm from re-estimating its statistics from the new data: the frozen
    block drifts, and a model that looked fine in training changes at evaluation time.

    ## Example
    ```python
    model = resnet50(weights=ResNet50_Weights.DEFAULT)
    for parameter in model.layer1.parameters():
        parameter.requires_grad = False
    model.train()
    ```

    ## Fix
    Put the frozen BatchNorm modules in eval mode after every `model.train()` (for example in
    an overridden `train()`), or replace them with `torchvision.ops.FrozenBatchNorm2d`.
    """

    code = "FT105"
    name = "frozen-batchnorm-updates-stats"
    summary = "Frozen BatchNorm modules still update their running statistics"


class OptimizerCoverage(RuntimeCheck):
    """
    ## What it does
    Compares the parameters of each optimizer the file builds with the model's freeze state:
    reports trainable parameters that no optimizer will update, and frozen parameters passed
    to an optimizer.

    ## Why is this bad?
    An optimizer built before a head replacement holds the old head: the new one requires grad
    but never changes. One built before freezing holds frozen tensors; they are skipped while
    their `.grad` is None, but unfreezing them later trains them with the wrong settings, and
    it hides which parameters the run is meant to train.

    ## Example
    ```python
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    model.fc = nn.Linear(model.fc.in_features, 10)
    ```

    ## Fix
    Build the optimizer last, from the trainable parameters:
    `torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01)`.
    """

    code = "FT106"
    name = "optimizer-coverage"
    summary = "Trainable parameters no optimizer updates, or frozen ones passed to one"


class FreezeHadNoEffect(RuntimeCheck):
    """
    ## What it does
    Reports a model on which freeze code ran but, as the file is written, nothing is frozen
    (the code asked for `requires_grad=False` somewhere), or everything is while no other model
    of the file trains (a frozen teacher or feature extractor next to a trained model is meant).

    ## Why is this bad?
    Both are almost always bugs: setting `requires_grad` on a module instead of its
    parameters, freezing a copy, or replacing the head before the freeze loop so that it is
    frozen too. Training then either updates the whole pretrained network or nothing at all.

    ## Example
    ```python
    model = resnet50(weights=ResNet50_Weights.DEFAULT)
    model.fc = nn.Linear(model.fc.in_features, 10)
    for parameter in model.parameters():
        parameter.requires_grad = False
    ```

    ## Fix
    Freeze parameters (`module.requires_grad_(False)` or a loop over `parameters()`), and
    replace the head after freezing the backbone, or unfreeze it explicitly.
    """

    code = "FT107"
    name = "freeze-had-no-effect"
    summary = "Freeze code ran, but nothing or everything is frozen"


VERIFY_CHECKS: tuple[type[RuntimeCheck], ...] = (
    ExpectationMismatch,
    OtherReadingDiffers,
    PatternMatchesNothing,
    PatternOvermatches,
    FrozenBatchNormUpdatesStats,
    OptimizerCoverage,
    FreezeHadNoEffect,
)
