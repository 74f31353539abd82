from __future__ import annotations

import libcst as cst

from ftlint.analysis.tensors import literal_bool
from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Applicability
from ftlint.rules.torchvision_legacy import (
    LegacyWeightsRule,
    all_known,
    default_note,
    enum_and_member,
)


class TorchvisionPretrainedFlag(LegacyWeightsRule):
    """
    ## What it does
    Flags torchvision model builders called with the `pretrained=` / `pretrained_backbone=`
    flags deprecated since torchvision 0.13, or with a bool passed by position
    (`resnet50(True)`), which torchvision reads as `pretrained`. Off by default: select it
    (`--select FT011`) to migrate a code base.

    ## Why is this bad?
    `pretrained=True` loads each builder's *legacy* weights, not `.DEFAULT`:
    `ResNet50_Weights.IMAGENET1K_V1` (76.1 % top-1) instead of `IMAGENET1K_V2` (80.9 %), and
    the flags go away in a future torchvision. torchvision warns about them at run time, so this
    is no silent freeze bug; the silent case, the enum class passed as `weights=`, is FT009. See
    [torchvision's weights API](https://pytorch.org/vision/stable/models.html).

    ## Example
    ```python
    import torchvision.models as models

    model = models.resnet50(pretrained=True)
    backbone = models.resnet18(False)
    ```

    ## Fix
    Pass `weights=`. The fix (safe) writes the member the call loads today, and adds the import
    it needs (switch to `.DEFAULT` if you want the newest weights); a false flag becomes
    `weights=None`:

    ```python
    import torchvision.models as models

    model = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V1)
    backbone = models.resnet18(weights=None)
    ```
    """

    code = "FT011"
    name = "torchvision-pretrained-flag"
    summary = "torchvision builder gets the `pretrained` flag deprecated since torchvision 0.13"
    fix = Applicability.SAFE
    default = False  # torchvision warns at run time: a migration aid, not a silent bug
    # A legacy flag by name, or a bool by position (spaced or on its own line, so the bare word).
    required_tokens = ("pretrained", "True", "False")
    candidate_pattern = "torchvision"  # builders are known by their import

    VALID = [
        Valid(
            """
            from torchvision.models import ResNet50_Weights, resnet50

            model = resnet50(weights=ResNet50_Weights.DEFAULT)
            """
        ),
        # timm's and local builders have their own `pretrained`.
        Valid(
            """
            import timm
            import torchvision

            model = timm.create_model("resnet50", pretrained=True)
            """
        ),
        Valid(
            """
            import torchvision

            def resnet50(pretrained=False):
                return torchvision.models.resnet50(weights=None)

            model = resnet50(pretrained=True)
            """
        ),
        # torchvision has no legacy weights for vit_h_14: `pretrained=True` raises, loudly.
        Valid(
            """
            from torchvision.models import vit_h_14

            model = vit_h_14(pretrained=True)
            """
        ),
        # Not a model builder: its positional bool is its own.
        Valid(
            """
            from torchvision.models.vgg import cfgs, make_layers

            features = make_layers(cfgs["D"], False)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            import torchvision.models as models

            model = models.resnet50(pretrained=True)
            """,
            expected_replacement="""
            import torchvision.models as models

            model = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V1)
            """,
        ),
        Invalid(
            """
            import torch
            from torchvision.models.detection import fasterrcnn_resnet50_fpn

            model = fasterrcnn_resnet50_fpn(pretrained=True, num_classes=91)
            """,
            message_contains="FasterRCNN_ResNet50_FPN_Weights.COCO_V1",
            expected_replacement="""
            import torch
            from torchvision.models.detection import fasterrcnn_resnet50_fpn
            from torchvision.models.detection import FasterRCNN_ResNet50_FPN_Weights

            model = fasterrcnn_resnet50_fpn(weights=FasterRCNN_ResNet50_FPN_Weights.COCO_V1, num_classes=91)
            """,
        ),
        Invalid(
            """
            from torchvision.models.quantization import resnet50

            model = resnet50(pretrained=True, quantize=True)
            """,
            message_contains="ResNet50_QuantizedWeights.IMAGENET1K_FBGEMM_V1",
        ),
        Invalid(
            """
            from torchvision import models

            model = models.vgg16_bn(pretrained=args.pretrained)
            """,
            expected_replacement="""
            from torchvision import models

            model = models.vgg16_bn(weights=models.VGG16_BN_Weights.IMAGENET1K_V1 if args.pretrained else None)
            """,
        ),
        # A builder picked by name (DETR's backbone): the member is unknown, so no fix.
        Invalid(
            """
            import torchvision

            body = getattr(torchvision.models, name)(pretrained=is_main_process())
            """,
            message_contains="legacy weights",
        ),
        Invalid(
            """
            import torchvision

            model = torchvision.models.resnet18(pretrained=False)
            """,
            expected_replacement="""
            import torchvision

            model = torchvision.models.resnet18(weights=None)
            """,
        ),
        Invalid(
            """
            import torchvision

            model = torchvision.models.resnet50(True)
            backbone = torchvision.models.resnet50(False)
            """,
            message_contains="`True` passed by position is read as `pretrained`, which is deprecated",
            expected_replacement="""
            import torchvision

            model = torchvision.models.resnet50(weights=torchvision.models.ResNet50_Weights.IMAGENET1K_V1)
            backbone = torchvision.models.resnet50(weights=None)
            """,
        ),
    ]

    def on_flag(
        self, call: cst.Call, flag: cst.Arg, weights_name: str, loaded: list[str | None]
    ) -> None:
        code = self.file.module.code_for_node
        value = literal_bool(flag.value)
        written = code(flag.value)
        if flag.keyword is None:
            deprecated = f"`{written}` passed by position is read as `pretrained`, which"
        else:
            deprecated = f"`{flag.keyword.value}={written}`"
        if value is False or written == "None":
            self.report_with_fix(
                flag,
                f"{deprecated} is deprecated since torchvision 0.13 and may be removed: "
                f"pass `{weights_name}=None`",
                f"{weights_name}=None",
                [],
                f"Use `{weights_name}=None`",
            )
            return
        if not loaded:  # a builder picked by name
            self.report(
                flag,
                f"{deprecated} is deprecated since torchvision 0.13; when true it loads the "
                "builder's legacy weights (`IMAGENET1K_V1` for ResNets), not its `.DEFAULT` ones "
                f"(`IMAGENET1K_V2` for ResNet-50). Pass `{weights_name}=` a weights member",
            )
            return
        if not all_known(loaded):
            return  # no legacy weights: torchvision raises, nothing is silent
        members = " or ".join(f"`{member}`" for member in loaded)
        message = (
            f"{deprecated} is deprecated since torchvision 0.13; it loads {members}"
            f"{default_note(loaded[0])}"
        )
        if len(loaded) > 1:
            self.report(flag, f"{message} (which one depends on `quantize`)")
            return
        message = f"{message}. Pass `{weights_name}=` a member"
        reference = self.reference(*enum_and_member(loaded[0]), call)
        if reference is None:
            self.report(flag, message)
            return
        text, edits = reference
        weights = text if value else f"{text} if {written} else None"
        self.report_with_fix(
            flag, message, f"{weights_name}={weights}", edits, f"Use `{weights_name}={text}`"
        )
