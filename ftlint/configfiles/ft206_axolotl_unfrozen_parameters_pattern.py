from __future__ import annotations

import re
from collections.abc import Iterator

from ftlint.check import Invalid, Valid
from ftlint.configfiles.rule import ConfigFile, ConfigFinding, ConfigRule

# axolotl's `LayerNamePattern`: an optional `[start:end]` range after the name pattern...
_RANGE = re.compile(r"^(.+)\[([0-9]*)(?::([0-9]*))?\]$")
# ...then every `.` not followed by `+` is escaped before `re.compile`.
_DOT = re.compile(r"\.(?!\+)")
# A name pattern that ends in a layer index (`model.layers.1`, `^model.layers.1.*`), with no
# other regular-expression syntax before it.
# `.*` with more pattern after it (`model.layers.*.mlp`, `^lm_head.*$`).
_INNER_ANY = re.compile(r"\.\*(?!$)")
_TRAILING_INDEX = re.compile(r"^\^?(?P<prefix>[\w.]*\.)(?P<index>\d+)(?:\.\*)?$")


def _name_pattern(pattern: str) -> str:
    """``pattern`` without its ``[start:end]`` range, if any."""
    match = _RANGE.match(pattern)
    return match.group(1) if match else pattern


def axolotl_regex(pattern: str) -> str:
    """The regular expression axolotl matches parameter names with, for one
    ``unfrozen_parameters`` entry (``axolotl.utils.freeze.LayerNamePattern``)."""
    return _DOT.sub(r"\\.", _name_pattern(pattern))


def judge(pattern: str) -> str | None:
    """What goes wrong when axolotl matches parameter names with ``pattern``, or None."""
    name = _name_pattern(pattern)
    regex = axolotl_regex(pattern)
    if "\\." in name:
        return (
            f"`{pattern}` matches no parameter: axolotl escapes every `.` not followed by `+` "
            f"itself, so the escaped `\\.` becomes `\\\\.`, a literal backslash, which no "
            "parameter name holds, and nothing this pattern means is unfrozen; write plain dots"
        )
    trailing = _TRAILING_INDEX.match(name)
    if trailing is not None:
        prefix, index = trailing.group("prefix"), trailing.group("index")
        probe = f"{prefix}{index}0.weight"
        if re.match(regex, probe):
            return (
                f"`{pattern}` also unfreezes `{prefix}{index}0` to `{prefix}{index}9` (and any "
                f"longer index starting with {index}): axolotl matches it with `re.match`, "
                f"anchored at the start only, so every name that starts with `{prefix}{index}` "
                f"matches; end the layer with a dot (`{prefix}{index}.`) or the pattern with `$`"
            )
    # At the very end `.*` is harmless: `re.match` needs no more than a prefix.
    if _INNER_ANY.search(name):
        return (
            f"`{pattern}`: `.*` is zero or more literal dots here, not any text: axolotl "
            "escapes every `.` not followed by `+`, so names with other characters there do not "
            "match and stay frozen; write `.+` for any text"
        )
    return None


class AxolotlUnfrozenParametersPattern(ConfigRule):
    """
    ## What it does
    Flags an axolotl `unfrozen_parameters` pattern that unfreezes other parameters than it
    says, or none: a layer index at its end (`^model.layers.1`), an escaped dot
    (`model\\.layers`), or `.*`.

    ## Why is this bad?
    axolotl freezes every parameter, then unfreezes those whose name matches a pattern
    ([`freeze_layers_except`](https://github.com/axolotl-ai-cloud/axolotl/blob/main/src/axolotl/utils/freeze.py)).
    Its `LayerNamePattern` first replaces every `.` not followed by `+` with `\\.`, then
    matches with `re.match`, which is anchored at the start of the name only:

    - `^model.layers.1` matches `model.layers.1.…` and also `model.layers.10.…` to
      `model.layers.19.…` (and 100–199): ten more layers train;
    - an escaped dot `\\.` becomes `\\\\.`, a literal backslash, so the pattern matches nothing;
    - `.*` becomes `\\.*`, zero or more dots, so `model.layers.*.mlp` matches no real layer
      (at the very end of a pattern, `^lm_head.*`, it does no harm: a prefix is enough).

    ## Example
    ```yaml
    base_model: meta-llama/Llama-3.2-1B
    unfrozen_parameters:
      - ^model.layers.1
      - ^lm_head.weight$
    ```

    ## Fix
    End a layer index with a dot (`^model.layers.1.`) or the pattern with `$`, write plain dots,
    and `.+` for "any text".
    """

    code = "FT206"
    name = "axolotl-unfrozen-parameters-pattern"
    summary = "axolotl `unfrozen_parameters` pattern that unfreezes more, or nothing"
    required_tokens = ("unfrozen_parameters",)

    VALID = (
        Valid(
            """
            base_model: meta-llama/Llama-3.2-1B
            unfrozen_parameters:
              - ^model.layers.1.
              - ^model.layers.2.mlp.down_proj
              - ^lm_head.weight$
              - ^model.embed_tokens.weight$[:32000]
              - model.layers.2[0-9]+.block_sparse_moe.gate
              - ^model.layers.3$
              - ^model.language_model.*
            """,
            filename="axolotl.yaml",
        ),
    )
    INVALID = (
        Invalid(
            """
            base_model: meta-llama/Llama-3.2-1B
            unfrozen_parameters:
              - ^model.layers.1
            """,
            line=3,
            message_contains="also unfreezes `model.layers.10` to `model.layers.19`",
            filename="axolotl.yaml",
        ),
        Invalid(
            """
            base_model: meta-llama/Llama-3.2-1B
            unfrozen_parameters:
              - ^model\\.layers\\.3\\.
            """,
            line=3,
            message_contains="a literal backslash",
            filename="axolotl.yaml",
        ),
        Invalid(
            """
            base_model: meta-llama/Llama-3.2-1B
            unfrozen_parameters:
              - model.layers.*.mlp
            """,
            line=3,
            message_contains="zero or more literal dots",
            filename="axolotl.yaml",
        ),
    )

    @classmethod
    def find(cls, config: ConfigFile) -> Iterator[ConfigFinding]:
        for root in config.document.roots:
            patterns = root.get("unfrozen_parameters")
            if "base_model" not in (root.entries or {}) or patterns is None:
                continue
            for item in patterns.items or ():
                if item.is_scalar and isinstance(item.value, str):
                    message = judge(item.value)
                    if message is not None:
                        yield cls.at(item, item, message)
