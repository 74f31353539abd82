from __future__ import annotations

from typing import TYPE_CHECKING, TypeGuard

import libcst as cst
from libcst.metadata import CodePosition, CodeRange

from ftlint.analysis.data.torchvision_weights import LEGACY_WEIGHTS, WEIGHTS_ENUMS
from ftlint.analysis.imports import ImportMap, dotted_name
from ftlint.analysis.tensors import literal_bool
from ftlint.analysis.torchvision import builder_key, is_dynamic_builder
from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Applicability, Edit
from ftlint.rules.base import Rule

if TYPE_CHECKING:
    from ftlint.analysis.file import FileAnalysis

_IMPORT_STATEMENTS = (cst.Import, cst.ImportFrom)
# Weights parameter -> its legacy flag, for builders picked by name (`getattr(models, arch)`).
_DYNAMIC_LEGACY_PARAMETERS = {"weights": "pretrained", "weights_backbone": "pretrained_backbone"}


def _enum_and_member(qualified_member: str) -> tuple[str, str]:
    enum, _, member = qualified_member.partition(".")
    return enum, member


def _keyword_args(call: cst.Call) -> dict[str, cst.Arg]:
    return {arg.keyword.value: arg for arg in call.args if arg.keyword is not None}


def _loaded_members(
    member: str | None, quantized_member: str | None, call: cst.Call
) -> list[str | None]:
    """What the legacy path loads for ``call``: one member, or two when ``quantize`` is not a
    literal; None when torchvision has no legacy weights for the builder (it raises)."""
    if quantized_member is None:
        return [member]
    quantize = _keyword_args(call).get("quantize")
    flag = False if quantize is None else literal_bool(quantize.value)
    if flag is None:
        return [member, quantized_member]
    return [quantized_member if flag else member]


def _all_known(loaded: list[str | None]) -> TypeGuard[list[str]]:
    """Whether torchvision has legacy weights for each of the ``loaded`` members."""
    return None not in loaded


def _default_note(qualified_member: str) -> str:
    """How the member the legacy path loads compares with ``.DEFAULT``, after a comma or not."""
    enum, member = _enum_and_member(qualified_member)
    default = WEIGHTS_ENUMS[enum][1]
    if default == member:
        return f" (the same as `{enum}.DEFAULT` today, but it will not follow newer weights)"
    return f", not `{enum}.DEFAULT` (`{default}`)"


class TorchvisionWeightsArgument(Rule):
    """
    ## What it does
    Flags torchvision model builders called with the weights enum class instead of one of its
    members (`resnet50(weights=ResNet50_Weights)`), and with the `pretrained=` /
    `pretrained_backbone=` flags deprecated since torchvision 0.13.

    ## Why is this bad?
    torchvision treats any `weights=` value that is neither a member nor `None` as the old
    `pretrained=True`, and `pretrained=True` loads each builder's *legacy* weights, not
    `.DEFAULT`: `ResNet50_Weights.IMAGENET1K_V1` (76.1 % top-1) instead of `IMAGENET1K_V2`
    (80.9 %). Quantized builders load a different enum's member depending on `quantize`, and
    detection and segmentation builders load COCO weights. Passing the class reads like "the
    default weights"; the model silently starts from older ones. The legacy flags also go away
    in a future torchvision.

    ## Example
    ```python
    from torchvision.models import ResNet50_Weights, resnet50

    backbone = resnet50(weights=ResNet50_Weights)
    model = resnet50(pretrained=True)
    ```

    ## Fix
    Name the member explicitly. The fix (safe) writes the member the call loads today, and adds
    the import it needs; switch to `.DEFAULT` if you want the newest weights:

    ```python
    from torchvision.models import ResNet50_Weights, resnet50

    backbone = resnet50(weights=ResNet50_Weights.IMAGENET1K_V1)
    model = resnet50(weights=ResNet50_Weights.IMAGENET1K_V1)
    ```
    `pretrained=False` becomes `weights=None`.
    """

    code = "FT009"
    name = "torchvision-weights-argument"
    summary = "torchvision builder gets the weights enum class or a deprecated `pretrained` flag"
    fix = Applicability.SAFE
    # A legacy flag, or a weights enum class (`ResNet50_Weights`, `..._QuantizedWeights`).
    required_tokens = ("pretrained=", "pretrained =", "pretrained_backbone", "Weights")
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
    ]

    def __init__(self, file: FileAnalysis) -> None:
        super().__init__(file)
        top_level_imports = [
            statement
            for statement in file.module.body
            if isinstance(statement, cst.SimpleStatementLine)
            and any(isinstance(small, _IMPORT_STATEMENTS) for small in statement.body)
        ]
        self._import_statements = top_level_imports
        # Only top-level imports are sure to be in scope where a fix writes a name.
        self._top_level = ImportMap.from_module(cst.Module(body=top_level_imports))

    def visit_Call(self, node: cst.Call) -> None:
        key = builder_key(node.func, self.file.imports)
        if key is None:
            if is_dynamic_builder(node.func, self.file.imports):
                self._check_dynamic(node)
            return
        keywords = _keyword_args(node)
        for weights_name, (pretrained_name, member, quantized) in LEGACY_WEIGHTS[key].items():
            weights, pretrained = keywords.get(weights_name), keywords.get(pretrained_name)
            loaded = _loaded_members(member, quantized, node)
            if weights is not None and pretrained is None and self._is_enum_class(weights.value):
                if _all_known(loaded):
                    self._report_enum_class(node, weights, loaded)
            elif pretrained is not None and weights is None:
                self._report_pretrained(node, pretrained, weights_name, loaded)

    def _check_dynamic(self, call: cst.Call) -> None:
        """A builder picked by name: which legacy weights it loads, the code does not say."""
        keywords = _keyword_args(call)
        for weights_name, pretrained_name in _DYNAMIC_LEGACY_PARAMETERS.items():
            pretrained = keywords.get(pretrained_name)
            if pretrained is not None and weights_name not in keywords:
                self._report_pretrained(call, pretrained, weights_name, [])

    @staticmethod
    def _is_enum_class(node: cst.BaseExpression) -> bool:
        name = dotted_name(node)
        return name is not None and name.rpartition(".")[2] in WEIGHTS_ENUMS

    def _report_enum_class(self, call: cst.Call, weights: cst.Arg, loaded: list[str]) -> None:
        assert weights.keyword is not None  # found by _keyword_args
        code = self.file.module.code_for_node
        written = code(weights.value)
        members = " or ".join(f"`{member}`" for member in loaded)
        message = (
            f"`{weights.keyword.value}={written}` passes the enum class, not a member: "
            f"torchvision treats it as the deprecated `pretrained=True` and loads {members}"
            f"{_default_note(loaded[0])}"
        )
        if len(loaded) > 1:
            self.report(weights, f"{message} (which one depends on `quantize`)")
            return
        enum, member = _enum_and_member(loaded[0])
        # A quantized builder given the float enum (or the other way round) needs the other enum.
        reference = (
            (f"{written}.{member}", [])
            if written.rpartition(".")[2] == enum
            else self._reference(enum, member, call)
        )
        if reference is None:
            self.report(weights, message)
            return
        text, edits = reference
        self._report_with_fix(weights.value, message, text, edits, f"Use `{text}`")

    def _report_pretrained(
        self, call: cst.Call, pretrained: cst.Arg, weights_name: str, loaded: list[str | None]
    ) -> None:
        assert pretrained.keyword is not None  # found by _keyword_args
        code = self.file.module.code_for_node
        flag = literal_bool(pretrained.value)
        argument = f"`{pretrained.keyword.value}={code(pretrained.value)}`"
        if flag is False or code(pretrained.value) == "None":
            self._report_with_fix(
                pretrained,
                f"{argument} is deprecated since torchvision 0.13 and may be removed: "
                f"pass `{weights_name}=None`",
                f"{weights_name}=None",
                [],
                f"Use `{weights_name}=None`",
            )
            return
        if not loaded:  # a builder picked by name
            self.report(
                pretrained,
                f"{argument} is deprecated since torchvision 0.13; when true it loads the "
                "builder's legacy weights (`IMAGENET1K_V1` for ResNets), not its `.DEFAULT` ones "
                f"(`IMAGENET1K_V2` for ResNet-50). Pass `{weights_name}=` a weights member",
            )
            return
        if not _all_known(loaded):
            return  # no legacy weights: torchvision raises, nothing is silent
        members = " or ".join(f"`{member}`" for member in loaded)
        message = (
            f"{argument} is deprecated since torchvision 0.13; it loads {members}"
            f"{_default_note(loaded[0])}"
        )
        if len(loaded) > 1:
            self.report(pretrained, f"{message} (which one depends on `quantize`)")
            return
        message = f"{message}. Pass `{weights_name}=` a member"
        reference = self._reference(*_enum_and_member(loaded[0]), call)
        if reference is None:
            self.report(pretrained, message)
            return
        text, edits = reference
        value = text if flag else f"{text} if {code(pretrained.value)} else None"
        self._report_with_fix(
            pretrained, message, f"{weights_name}={value}", edits, f"Use `{weights_name}={text}`"
        )

    def _report_with_fix(
        self, node: cst.CSTNode, message: str, replacement: str, edits: list[Edit], fix_message: str
    ) -> None:
        self.report(
            node, message, edits=[self.replace(node, replacement), *edits], fix_message=fix_message
        )

    def _reference(self, enum: str, member: str, call: cst.Call) -> tuple[str, list[Edit]] | None:
        """How to write ``enum.member`` here: through a top-level import (the builder's own
        first), or with a new ``from <namespace> import <enum>`` after the last import above
        ``call``; None when there is no such import to put it after."""
        namespace = WEIGHTS_ENUMS[enum][0]
        builder_root = (dotted_name(call.func) or "").partition(".")[0]
        bindings = sorted(
            self._top_level.bindings.items(), key=lambda item: item[0] != builder_root
        )
        for local, target in bindings:
            if target.startswith("torchvision.models") and target.rpartition(".")[2] == enum:
                return f"{local}.{member}", []
        for local, target in bindings:
            if namespace == target or namespace.startswith(target + "."):
                return f"{local}{namespace[len(target) :]}.{enum}.{member}", []
        edit = self._import_edit(f"from {namespace} import {enum}", call)
        return None if edit is None else (f"{enum}.{member}", [edit])

    def _import_edit(self, statement: str, call: cst.Call) -> Edit | None:
        """Insert ``statement`` after the last top-level import above ``call``. The edit spans
        that import's lines, so two fixes adding an import conflict (the second waits for the
        next pass, which finds the name imported) instead of importing it twice."""
        line = self.position(call).start.line
        above = [s for s in self._import_statements if self.position(s).end.line < line]
        if not above:
            return None
        span = self.position(above[-1])
        end_column = len(self.file.source.lines()[span.end.line - 1])
        whole_lines = CodeRange(
            CodePosition(span.start.line, 0), CodePosition(span.end.line, end_column)
        )
        source = self.file.source
        original = source.text[
            source.offset(span.start.line, 0) : source.offset(span.end.line, end_column)
        ]
        return self.file.edit(whole_lines, f"{original}\n{statement}")
