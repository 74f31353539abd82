from __future__ import annotations

import libcst as cst

from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Applicability
from ftlint.rules.torchvision_legacy import (
    LegacyWeightsRule,
    all_known,
    default_note,
    enum_and_member,
)


class TorchvisionWeightsArgument(LegacyWeightsRule):
    """
    ## What it does
    Flags torchvision model builders called with the weights enum class instead of one of its
    members: `resnet50(weights=ResNet50_Weights)`, or the class passed by position. The
    deprecated `pretrained=` flags themselves are FT011.

    ## Why is this bad?
    torchvision treats any `weights=` value that is neither a member nor `None` as the old
    `pretrained=True`, and `pretrained=True` loads each builder's *legacy* weights, not
    `.DEFAULT`: `ResNet50_Weights.IMAGENET1K_V1` (76.1 % top-1) instead of `IMAGENET1K_V2`
    (80.9 %). Quantized builders load a different enum's member depending on `quantize`, and
    detection and segmentation builders load COCO weights. Passing the class reads like "the
    default weights"; the model silently starts from older ones. See
    [torchvision's weights API](https://pytorch.org/vision/stable/models.html).

    ## Example
    ```python
    from torchvision.models import ResNet50_Weights, resnet50

    backbone = resnet50(weights=ResNet50_Weights)
    ```

    ## Fix
    Name the member explicitly. The fix (safe) writes the member the call loads today, and adds
    the import it needs; switch to `.DEFAULT` if you want the newest weights:

    ```python
    from torchvision.models import ResNet50_Weights, resnet50

    backbone = resnet50(weights=ResNet50_Weights.IMAGENET1K_V1)
    ```
    """

    code = "FT009"
    name = "torchvision-weights-argument"
    summary = "torchvision builder gets the weights enum class instead of a member"
    fix = Applicability.SAFE
    # A weights enum class (`ResNet50_Weights`, `ResNet50_QuantizedWeights`).
    required_tokens = ("Weights",)
    candidate_pattern = "torchvision"  # builders are known by their import

    VALID = [
        Valid(
            """
            from torchvision.models import ResNet50_Weights, resnet50

            model = resnet50(weights=ResNet50_Weights.DEFAULT)
            """
        ),
        # The deprecated flag is FT011's, off by default: torchvision warns about it.
        Valid(
            """
            from torchvision.models import ResNet50_Weights, resnet50

            model = resnet50(pretrained=True)
            """
        ),
        # A local builder of the same name.
        Valid(
            """
            import torchvision
            from torchvision.models import ResNet50_Weights

            def resnet50(weights=None):
                return torchvision.models.resnet50(weights=weights)

            model = resnet50(weights=ResNet50_Weights)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            from torchvision.models import ResNet50_Weights, resnet50

            backbone = resnet50(weights=ResNet50_Weights)
            """,
            line=3,
            message_contains="`ResNet50_Weights.IMAGENET1K_V1`, not `ResNet50_Weights.DEFAULT`",
            expected_replacement="""
            from torchvision.models import ResNet50_Weights, resnet50

            backbone = resnet50(weights=ResNet50_Weights.IMAGENET1K_V1)
            """,
        ),
        Invalid(
            """
            import torchvision.models as models

            model = models.resnet50(models.ResNet50_Weights)
            """,
            message_contains="`models.ResNet50_Weights` passed by position as `weights`",
            expected_replacement="""
            import torchvision.models as models

            model = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V1)
            """,
        ),
    ]

    def on_enum_class(self, call: cst.Call, weights: cst.Arg, loaded: list[str | None]) -> None:
        if not all_known(loaded):
            return  # no legacy weights: torchvision raises, nothing is silent
        code = self.file.module.code_for_node
        written = code(weights.value)
        members = " or ".join(f"`{member}`" for member in loaded)
        message = (
            f"{self.argument_text(weights, 'weights')} passes the enum class, not a member: "
            f"torchvision treats it as the deprecated `pretrained=True` and loads {members}"
            f"{default_note(loaded[0])}"
        )
        if len(loaded) > 1:
            self.report(weights, f"{message} (which one depends on `quantize`)")
            return
        enum, member = enum_and_member(loaded[0])
        # A quantized builder given the float enum (or the other way round) needs the other enum.
        reference = (
            (f"{written}.{member}", [])
            if written.rpartition(".")[2] == enum
            else self.reference(enum, member, call)
        )
        if reference is None:
            self.report(weights, message)
            return
        text, edits = reference
        if weights.keyword is None:  # passed by position: name it
            named = f"weights={text}"
            self.report_with_fix(weights, message, named, edits, f"Use `{named}`")
        else:
            self.report_with_fix(weights.value, message, text, edits, f"Use `{text}`")
