from __future__ import annotations

from ftlint.analysis.mmconfig import MMConfig, Setting
from ftlint.check import Invalid, Valid
from ftlint.rules.base import ConfigRule

# The settings of a `custom_keys` entry that mmengine defaults to 1 when the entry omits them.
_MULTIPLIERS = ("lr_mult", "decay_mult")


class CustomKeysShadowed(ConfigRule):
    """
    ## What it does
    Flags an mmengine `paramwise_cfg.custom_keys` entry whose key contains another entry's key
    (`'backbone.norm'` and `'backbone'`) and leaves out a multiplier (`lr_mult`, `decay_mult`)
    that the shorter key sets.

    ## Why is this bad?
    mmengine's `DefaultOptimWrapperConstructor` matches each key as a substring of every
    parameter's full name and applies **only one** entry per parameter: the longest key that
    matches (ties go to alphabetical order), with 1 for any multiplier that entry does not set
    ([default_constructor.py](https://github.com/open-mmlab/mmengine/blob/main/mmengine/optim/optimizer/default_constructor.py)).
    Every parameter whose name contains `'backbone.norm'` also contains `'backbone'`, so with
    `{'backbone': dict(lr_mult=0.1), 'backbone.norm': dict(decay_mult=0.)}` the backbone's norm
    parameters train at the full learning rate, ten times the rest of the backbone's: entries
    do not combine.

    ## Example
    ```python
    optim_wrapper = dict(
        optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
        paramwise_cfg=dict(
            custom_keys={
                'backbone': dict(lr_mult=0.1),
                'backbone.norm': dict(decay_mult=0.0),
            }
        ),
    )
    ```

    ## Fix
    Repeat the shorter key's multipliers in the longer key's entry:
    `'backbone.norm': dict(lr_mult=0.1, decay_mult=0.0)`.
    """

    code = "FT212"
    name = "custom-keys-shadowed"
    summary = "`custom_keys` entry that silently drops a multiplier of a key it contains"
    required_tokens = ("custom_keys",)

    VALID = [
        Valid(
            """
            optim_wrapper = dict(
                paramwise_cfg=dict(
                    custom_keys={
                        'backbone': dict(lr_mult=0.1),
                        'backbone.norm': dict(lr_mult=0.1, decay_mult=0.0),
                    }
                )
            )
            """
        ),
        # Unrelated keys never meet on one name through containment.
        Valid(
            """
            optim_wrapper = dict(
                paramwise_cfg=dict(
                    custom_keys={'backbone': dict(lr_mult=0.1), 'query_embed': dict(decay_mult=0.0)}
                )
            )
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            optim_wrapper = dict(
                paramwise_cfg=dict(
                    custom_keys={
                        'backbone': dict(lr_mult=0.1),
                        'backbone.norm': dict(decay_mult=0.0),
                    }
                )
            )
            """,
            line=5,
            message_contains="get `lr_mult=1` (the default), not the `lr_mult=0.1`",
        ),
    ]

    def check_config(self, config: MMConfig) -> None:
        for _, entries in config.custom_keys():
            for longer, entry in entries.items():
                if not isinstance(entry.value, dict):
                    continue
                for shorter in sorted(entries, key=len, reverse=True):
                    if shorter == longer or shorter not in longer:
                        continue
                    dropped = self._dropped(entries[shorter], entry)
                    if dropped:
                        self.report_setting(
                            config, [entry], self._message(longer, shorter, dropped)
                        )
                        break

    @staticmethod
    def _dropped(shorter: Setting, longer: Setting) -> list[tuple[str, Setting]]:
        """The multipliers ``shorter`` sets to something other than 1 and ``longer`` omits."""
        if not isinstance(shorter.value, dict) or not isinstance(longer.value, dict):
            return []
        return [
            (name, shorter.value[name])
            for name in _MULTIPLIERS
            if name in shorter.value
            and name not in longer.value
            and isinstance(shorter.value[name].value, (int, float))
            and shorter.value[name].value != 1
        ]

    @staticmethod
    def _message(longer: str, shorter: str, dropped: list[tuple[str, Setting]]) -> str:
        defaults = " and ".join(f"`{name}=1`" for name, _ in dropped)
        values = " and ".join(f"`{name}={setting.value!r}`" for name, setting in dropped)
        return (
            f"every parameter whose name contains {longer!r} also contains {shorter!r}, and "
            f"mmengine applies only the longest matching `custom_keys` entry: those parameters "
            f"get {defaults} (the default), not the {values} of {shorter!r}; repeat "
            f"{values} in the {longer!r} entry"
        )
