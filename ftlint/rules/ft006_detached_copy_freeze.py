from __future__ import annotations

from typing import TypeGuard

import libcst as cst

from ftlint.analysis.bindings import Site, iterated_method, method_call
from ftlint.analysis.model_iterators import DICT_VALUES
from ftlint.analysis.tensors import RequiresGradSetting, RequiresGradSettings, literal_bool
from ftlint.check import Invalid, Valid
from ftlint.diagnostics import Applicability
from ftlint.prefilters import ft006_detached_copy_freeze as ft006_prefilter
from ftlint.rules.base import Rule
from ftlint.triage import attribute_assigned, attribute_called

_PARAMETER_ITERATORS = {
    "parameters": (),
    "buffers": (),
    "named_parameters": (1,),
    "named_buffers": (1,),
}
_PARAMETER_ATTRIBUTES = frozenset({"weight", "bias"})
_PARAMETER_CLASSES = frozenset({"torch.nn.Parameter", "torch.nn.parameter.Parameter"})
_KEEP_VARS_POSITION = 2  # state_dict(destination, prefix, keep_vars)


def _detaches(call: cst.Call) -> bool:
    """``state_dict(...)`` returns detached tensors unless asked for ``keep_vars``."""
    if any(arg.star for arg in call.args):
        return False
    keep_vars = [arg.value for arg in call.args if arg.keyword and arg.keyword.value == "keep_vars"]
    positional = [arg for arg in call.args if arg.keyword is None]
    return len(positional) <= _KEEP_VARS_POSITION and all(
        literal_bool(value) is False for value in keep_vars
    )


class DetachedCopyFreeze(RequiresGradSettings, Rule):
    """
    ## What it does
    Flags `requires_grad` set (`... .requires_grad = v`, or a statement `... .requires_grad_(v)`)
    on something that is not the parameter:

    - `p.data`, where `p` is evidently a tensor (a `.weight`/`.bias`, a `.parameters()` loop
      variable, an `nn.Parameter`), and slices of it;
    - the result of `.detach()` or `.clone()`;
    - a name bound to such a `p.data`, or a tensor from `state_dict()`: indexed, or a loop
      variable over its `.values()`/`.items()`, directly or through a name bound to it. Not with
      `state_dict(keep_vars=True)`, whose values are the parameters, and not when the flag set
      is `True` (a copy kept and made into a new leaf on purpose; a name bound to `.detach()` is
      left alone for the same reason).

    ## Why is this bad?
    `requires_grad` belongs to each tensor object. `p.data`, `p.detach()` and `p.clone()` return
    new tensors (the first two share `p`'s storage, not its flag), and `state_dict()` returns
    `p.detach()` for every parameter. Setting the flag on them changes nothing the optimizer or
    autograd sees: every parameter keeps training. `requires_grad` also cannot freeze part of a
    tensor, so a slice such as `w.data[:, :2]` never works.

    ## Example
    ```python
    for name, tensor in model.state_dict().items():
        if name.startswith("backbone."):
            tensor.requires_grad = False
    model.head.weight.data.requires_grad = False
    ```

    ## Fix
    Set the flag on the parameters themselves; for `p.data`, drop `.data` (an unsafe fix: the
    parameter really freezes afterwards):

    ```python
    for name, param in model.named_parameters():
        if name.startswith("backbone."):
            param.requires_grad = False
    model.head.weight.requires_grad = False
    ```
    To freeze part of a tensor, zero its gradient with `register_hook`.
    """

    code = "FT006"
    name = "detached-copy-freeze"
    summary = "`requires_grad` set on a detached copy, not on the parameter"
    fix = Applicability.UNSAFE
    required_tokens = (".requires_grad",)
    candidate_pattern = (
        attribute_assigned("requires_grad") + "|" + attribute_called("requires_grad_")
    )
    candidate_shape = "detached-copy"
    collects_calls = True

    VALID = [
        Valid(
            """
            for name, param in model.named_parameters():
                param.requires_grad = False
            for name, param in model.state_dict(keep_vars=True).items():
                param.requires_grad = "head" in name
            """
        ),
        # A detached copy made into a new leaf on purpose.
        Valid(
            """
            x_adv = images.detach().clone().requires_grad_(True)
            delta = noise.detach()
            delta.requires_grad = True
            fast_weights = model.state_dict()
            for tensor in fast_weights.values():
                tensor.requires_grad_()
            """
        ),
        # `.data` of something not known to be a tensor (a PackedSequence's `.data` is the
        # tensor itself).
        Valid(
            """
            packed = pack_padded_sequence(inputs, lengths)
            packed.data.requires_grad_(True)
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            model.head.weight.data.requires_grad = False
            """,
            line=1,
            message_contains="nothing is frozen: `model.head.weight.data` is a new tensor",
            expected_replacement="""
            model.head.weight.requires_grad = False
            """,
        ),
        Invalid(
            """
            for p in model.backbone.parameters():
                p.data.requires_grad_(False)
            """,
            expected_replacement="""
            for p in model.backbone.parameters():
                p.requires_grad_(False)
            """,
        ),
        Invalid(
            """
            for name, tensor in model.state_dict().items():
                if name.startswith("backbone."):
                    tensor.requires_grad = False
            """,
            line=3,
            message_contains="comes from `state_dict()`",
        ),
        Invalid(
            """
            state = model.state_dict()
            for key in state:
                if "encoder" in key:
                    state[key].requires_grad = False
            """,
            line=4,
        ),
        Invalid(
            """
            for layer in model.layers:
                layer.weight.detach().requires_grad_(False)
            """,
            message_contains="a copy that is thrown away",
        ),
        Invalid(
            """
            self.query_embed.weight.data[:, :2].requires_grad = False
            """,
            message_contains="cannot freeze part of a tensor",
        ),
    ]

    prefilter = staticmethod(ft006_prefilter.may_report)

    def leave_Module(self, original_node: cst.Module) -> None:
        for setting, site in self.settings:
            self._check(setting, site)

    def _check(self, setting: RequiresGradSetting, site: Site) -> None:
        receiver = setting.receiver
        code = self.file.module.code_for_node
        reason = self._why_detached(receiver, site)
        if reason is None and setting.requested is not True:  # True may make a new leaf on purpose
            reason = self._why_held_copy(receiver, site)
        if reason is None:
            return
        original = self._data_source(receiver, site)
        self.report(
            setting.statement,
            f"{setting.consequence}: {reason}",
            edits=[self.replace(receiver, original)] if original is not None else None,
            fix_message=f"Set `requires_grad` on `{code(original)}`" if original else "",
        )

    def _why_detached(self, receiver: cst.BaseExpression, site: Site) -> str | None:
        """Why ``receiver``, a temporary the statement throws away, is not a parameter."""
        code = self.file.module.code_for_node
        if self._is_data(receiver, site):
            source = code(receiver.value)
            return (
                f"`{code(receiver)}` is a new tensor that shares `{source}`'s storage but not "
                f"its `requires_grad`, so `{source}` is unchanged"
            )
        copied = method_call(receiver, "detach", "clone")
        if copied is not None:
            return (
                f"`{code(receiver)}` is a copy that is thrown away; `{code(copied)}` is unchanged"
            )
        if isinstance(receiver, cst.Subscript) and (
            self._is_data(receiver.value, site)
            or method_call(receiver.value, "detach", "clone") is not None
        ):
            return (
                f"`{code(receiver)}` is a slice of a detached copy, so the parameter is unchanged, "
                "and `requires_grad` cannot freeze part of a tensor (zero that part of the "
                "gradient with a hook instead)"
            )
        return None

    def _why_held_copy(self, receiver: cst.BaseExpression, site: Site) -> str | None:
        """Why ``receiver``, which outlives the statement, is not a parameter."""
        code = self.file.module.code_for_node
        if self._is_state_tensor(receiver, site):
            return (
                f"`{code(receiver)}` comes from `state_dict()`, which holds detached copies of "
                "the parameters (unless `keep_vars=True`), so the model is unchanged; iterate "
                "`named_parameters()` instead"
            )
        if self.evident(receiver, site, self._is_data, lambda *_: False):
            return (
                f"`{code(receiver)}` holds a `.data` alias, a new tensor that shares the "
                "parameter's storage but not its `requires_grad`, so the parameter is unchanged"
            )
        return None

    def _is_data(self, node: cst.BaseExpression, site: Site) -> TypeGuard[cst.Attribute]:
        """``t.data`` for a tensor ``t``: a new tensor object on every access."""
        return (
            isinstance(node, cst.Attribute)
            and node.attr.value == "data"
            and self._is_tensor(node.value, site)
        )

    def _data_source(self, receiver: cst.BaseExpression, site: Site) -> cst.BaseExpression | None:
        """``p`` for ``p.data`` when ``p`` is the real parameter, so dropping ``.data`` fixes it."""
        if not self._is_data(receiver, site):
            return None
        source = receiver.value
        detached = self._why_detached(source, site) or self._is_state_tensor(source, site)
        return None if detached else source

    def _is_tensor(self, node: cst.BaseExpression, site: Site) -> bool:
        return self.evident(node, site, self._tensor_itself, self._tensor_element)

    def _tensor_itself(self, node: cst.BaseExpression, site: Site) -> bool:
        if isinstance(node, cst.Attribute) and node.attr.value in _PARAMETER_ATTRIBUTES:
            return True
        if isinstance(node, cst.Call) and (
            self.file.imports.qualify(node.func) in _PARAMETER_CLASSES
            or method_call(node, "get_parameter") is not None
        ):
            return True
        return self._state_tensor_itself(node, site)

    def _tensor_element(
        self, iterable: cst.BaseExpression, path: tuple[int, ...], site: Site
    ) -> bool:
        return iterated_method(
            iterable, path, _PARAMETER_ITERATORS
        ) is not None or self._state_element(iterable, path, site)

    def _is_state_tensor(self, node: cst.BaseExpression, site: Site) -> bool:
        return self.evident(node, site, self._state_tensor_itself, self._state_element)

    def _state_tensor_itself(self, node: cst.BaseExpression, site: Site) -> bool:
        """``state[key]`` or ``state.get(key)`` of a state dict."""
        container = node.value if isinstance(node, cst.Subscript) else method_call(node, "get")
        return container is not None and self._is_state_dict(container, site)

    def _state_element(
        self, iterable: cst.BaseExpression, path: tuple[int, ...], site: Site
    ) -> bool:
        container = iterated_method(iterable, path, DICT_VALUES)
        return container is not None and self._is_state_dict(container, site)

    def _is_state_dict(self, node: cst.BaseExpression, site: Site) -> bool:
        return self.evident(
            node,
            site,
            lambda value, _: (
                isinstance(value, cst.Call)
                and method_call(value, "state_dict") is not None
                and _detaches(value)
            ),
            lambda *_: False,
        )
