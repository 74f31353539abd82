from __future__ import annotations

from ftlint.analysis.mmconfig import MMConfig
from ftlint.check import Invalid, Valid
from ftlint.rules.base import ConfigRule


class LrMultZeroFreeze(ConfigRule):
    """
    ## What it does
    Flags an mmengine `paramwise_cfg.custom_keys` entry with `lr_mult=0`: a learning rate of zero
    used to freeze part of the model.

    ## Why is this bad?
    mmengine's `DefaultOptimWrapperConstructor` gives the matching parameters a param group with
    `lr = base_lr * 0` ([default_constructor.py](https://github.com/open-mmlab/mmengine/blob/main/mmengine/optim/optimizer/default_constructor.py)),
    and that is all: they keep `requires_grad=True` and stay in the optimizer. So every gradient
    that reaches them is still computed and stored (the memory and time freezing is meant to
    save), gradient clipping (`clip_grad`) counts their gradients in the total norm it
    scales every other gradient by, and BatchNorm layers among them keep updating their running
    statistics in train mode. Torch's optimizers scale weight decay by the learning rate too, so
    the weights themselves stay put; everything else runs as if they trained. The constructor
    skips parameters whose `requires_grad` is False, which is what freezing is.

    ## Example
    ```python
    optim_wrapper = dict(
        optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4),
        clip_grad=dict(max_norm=0.1, norm_type=2),
        paramwise_cfg=dict(custom_keys={'language_model': dict(lr_mult=0)}),
    )
    ```

    ## Fix
    Freeze in the model: `frozen_stages` for a backbone that has it,
    `norm_cfg=dict(..., requires_grad=False)` with `norm_eval=True` for its norm layers, or a
    model option that sets `requires_grad=False` (e.g. `frozen_modules`, `freeze=True`, where the
    model type has one).
    """

    code = "FT213"
    name = "lr-mult-zero-freeze"
    summary = "`lr_mult=0` used as a freeze: gradients, clipping and BatchNorm statistics still run"
    required_tokens = ("lr_mult",)

    VALID = [
        Valid(
            """
            optim_wrapper = dict(
                paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)})
            )
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            optim_wrapper = dict(
                paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0)})
            )
            """,
            line=2,
            message_contains="keep `requires_grad=True`",
        ),
    ]

    def check_config(self, config: MMConfig) -> None:
        for wrapper, custom_keys in config.custom_keys():
            clip = wrapper.get("clip_grad")
            clipped = clip is not None and isinstance(clip.value, dict)
            for key, entry in custom_keys.items():
                lr_mult = entry.get("lr_mult")
                if lr_mult is None or lr_mult.value != 0 or lr_mult.value is False:
                    continue
                clipping = (
                    ", `clip_grad` counts them in the total norm it scales every other "
                    "gradient by"
                    if clipped
                    else ""
                )
                self.report_setting(
                    config,
                    [lr_mult],
                    f"`lr_mult=0` gives the parameters whose name contains {key!r} a learning "
                    "rate of 0 but does not freeze them: they keep `requires_grad=True` and stay "
                    "in the optimizer, so every gradient that reaches them is still computed and "
                    f"stored{clipping}, and BatchNorm layers among them keep updating their "
                    "running statistics; freeze them in the model (`frozen_stages`, "
                    "`requires_grad=False`), which also leaves them out of the optimizer",
                )
