from __future__ import annotations

import re
from collections.abc import Iterator

from ftlint.analysis.mmconfig import MMConfig, Setting
from ftlint.check import Invalid, Valid
from ftlint.rules.base import ConfigRule
from ftlint.rules.ft211_norm_eval_sync_bn import model_type

# mmdet/mmseg/mmpretrain ResNet's `arch_settings`: blocks in `layer1` .. `layer4` for each depth.
_RESNET_BLOCKS = {
    18: (2, 2, 2, 2),
    34: (3, 4, 6, 3),
    50: (3, 4, 6, 3),
    101: (3, 4, 23, 3),
    152: (3, 8, 36, 3),
}
_RESNETS = frozenset({"ResNet", "ResNetV1c", "ResNetV1d", "ResNeXt"})
# A key that ends in a numeric index: `backbone.layers.1`, `stages.2.blocks.1`.
_INDEXED = re.compile(r"^(?P<container>.*)\.(?P<index>\d+)$")


def _ints(setting: Setting | None) -> tuple[int, ...] | None:
    if setting is None:
        return None
    items = setting.value if isinstance(setting.value, tuple) else (setting,)
    ints = [
        item.value
        for item in items
        if isinstance(item.value, int) and not isinstance(item.value, bool)
    ]
    return tuple(ints) if len(ints) == len(items) else None


def containers(backbone: dict[str, Setting]) -> Iterator[tuple[str, int, str]]:
    """(numbered container's parameter-name prefix, its length, where the length comes from) of a
    backbone dict whose structure the config states."""
    kind = model_type(backbone)
    if kind == "VisionTransformer":
        layers = _ints(backbone.get("num_layers"))
        if layers is not None and len(layers) == 1:
            yield "backbone.layers", layers[0], "`num_layers`"
    elif kind == "SwinTransformer":
        depths = _ints(backbone.get("depths"))
        for stage, blocks in enumerate(depths or ()):
            yield f"backbone.stages.{stage}.blocks", blocks, "`depths`"
    elif kind in _RESNETS and backbone.get("stage_blocks") is None:
        depth = _ints(backbone.get("depth"))
        if depth is not None and len(depth) == 1 and depth[0] in _RESNET_BLOCKS:
            for stage, blocks in enumerate(_RESNET_BLOCKS[depth[0]], start=1):
                yield f"backbone.layer{stage}", blocks, f"`depth={depth[0]}`"


class CustomKeysIndexPrefix(ConfigRule):
    """
    ## What it does
    Flags an mmengine `paramwise_cfg.custom_keys` key that ends in a block's number
    (`'backbone.layers.1'`) when the config's backbone has ten or more blocks there, so that
    the key also matches blocks 10, 11, ... (a `VisionTransformer`'s `num_layers`, a
    `SwinTransformer`'s `depths`, a ResNet's `depth`).

    ## Why is this bad?
    mmengine's `DefaultOptimWrapperConstructor` matches each key as a *substring* of every
    parameter's full name ([default_constructor.py](https://github.com/open-mmlab/mmengine/blob/main/mmengine/optim/optimizer/default_constructor.py)):
    `'backbone.layers.1'` is in `backbone.layers.1.attn.qkv.weight`, and in
    `backbone.layers.10.attn.qkv.weight` and `backbone.layers.11...` too. Those blocks get the
    entry's `lr_mult`/`decay_mult` (unless a longer key also matches them), which breaks a
    layer-wise learning-rate decay silently.

    ## Example
    ```python
    model = dict(type='EncoderDecoder', backbone=dict(type='VisionTransformer', num_layers=12))
    optim_wrapper = dict(
        paramwise_cfg=dict(custom_keys={'backbone.layers.1': dict(lr_mult=0.1)})
    )
    ```

    ## Fix
    End the key with a dot: `'backbone.layers.1.'` matches block 1 alone.
    """

    code = "FT216"
    name = "custom-keys-index-prefix"
    summary = "`custom_keys` key ending in a block number that also matches blocks 10 and up"
    required_tokens = ("custom_keys",)

    VALID = [
        Valid(
            """
            model = dict(type='EncoderDecoder', backbone=dict(type='VisionTransformer', num_layers=12))
            optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'backbone.layers.1.': dict(lr_mult=0.1)}))
            """
        ),
        Valid(
            """
            model = dict(type='EncoderDecoder', backbone=dict(type='VisionTransformer', num_layers=10))
            optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'backbone.layers.1': dict(lr_mult=0.1)}))
            """
        ),
    ]
    INVALID = [
        Invalid(
            """
            model = dict(type='EncoderDecoder', backbone=dict(type='VisionTransformer', num_layers=12))
            optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'backbone.layers.1': dict(lr_mult=0.1)}))
            """,
            line=2,
            message_contains="also matches `backbone.layers.10` and `backbone.layers.11`",
        ),
    ]

    def check_config(self, config: MMConfig) -> None:
        model = config.settings.get("model")
        backbone = model.get("backbone") if model is not None else None
        if backbone is None or not isinstance(backbone.value, dict):
            return
        lengths = {prefix: (length, source) for prefix, length, source in containers(backbone.value)}
        for _, keys in config.custom_keys():
            for key, entry in keys.items():
                match = _INDEXED.match(key)
                if match is None:
                    continue
                found = self._container(match["container"], lengths)
                if found is None:
                    continue
                prefix, (length, source) = found
                index = match["index"]
                extra = [
                    f"{prefix}.{other}"
                    for other in range(length)
                    if str(other).startswith(index)
                    and str(other) != index
                    and not any(
                        len(longer) > len(key) and longer in f"{prefix}.{other}." for longer in keys
                    )
                ]
                if extra:
                    self.report_setting(
                        config, [entry], self._message(key, extra, length, source, prefix)
                    )

    @staticmethod
    def _container(
        written: str, lengths: dict[str, tuple[int, str]]
    ) -> tuple[str, tuple[int, str]] | None:
        """The container a key's text before its index names: the whole prefix, or its end."""
        for prefix, length in lengths.items():
            if prefix == written or prefix.endswith("." + written):
                return prefix, length
        return None

    @staticmethod
    def _message(key: str, extra: list[str], length: int, source: str, prefix: str) -> str:
        hits = " and ".join(f"`{name}`" for name in extra) if len(extra) <= 2 else (
            f"`{extra[0]}` to `{extra[-1]}`"
        )
        return (
            f"custom_keys are matched as substrings of parameter names, so {key!r} also matches "
            f"{hits} (`{prefix}` has {length} blocks here, from {source}): their parameters get "
            f"this entry's settings too, unless a longer key matches them; end the key with a dot, "
            f"{key + '.'!r}, to match block {key.rpartition('.')[2]} alone"
        )
