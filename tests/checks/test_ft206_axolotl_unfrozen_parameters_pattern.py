"""FT206 beyond its own examples: whole messages, checked against axolotl's own matching."""

from __future__ import annotations

import re

import pytest
from support import check_config, found_at

from ftlint.configfiles.ft206_axolotl_unfrozen_parameters_pattern import axolotl_regex, judge


def test_trailing_index_whole_message_and_location(tmp_path):
    found = check_config(tmp_path, "axolotl.yml", """
        base_model: mistralai/Mixtral-8x7B-v0.1
        unfrozen_parameters:
          - ^lm_head.weight$
          - ^model.layers.2
        """)
    assert found_at(found) == [(
        "FT206", 4, 5,
        (
            "`^model.layers.2` also unfreezes `model.layers.20` to `model.layers.29` (and any "
            "longer index starting with 2): axolotl matches it with `re.match`, anchored at the "
            "start only, so every name that starts with `model.layers.2` matches; end the layer "
            "with a dot (`model.layers.2.`) or the pattern with `$`"
        ),
    )]  # fmt: skip


# Each verdict, held against the regular expression axolotl builds (LayerNamePattern).
@pytest.mark.parametrize(
    ("pattern", "matches", "misses"),
    [
        ("^model.layers.1", ["model.layers.1.mlp.up_proj.weight", "model.layers.12.mlp.up_proj.weight"], []),
        ("^model.layers.1.", ["model.layers.1.mlp.up_proj.weight"], ["model.layers.12.mlp.up_proj.weight"]),
        ("^model\\.layers\\.1\\.", [], ["model.layers.1.mlp.up_proj.weight"]),
        ("model.layers.*.mlp", [], ["model.layers.1.mlp.up_proj.weight"]),
        ("^lm_head.*", ["lm_head.weight"], []),
        ("^lm_head.*$", [], ["lm_head.weight"]),
    ],
)
def test_verdicts_follow_axolotls_matching(pattern, matches, misses):
    regex = re.compile(axolotl_regex(pattern))
    assert [bool(regex.match(name)) for name in matches + misses] == [True] * len(matches) + [False] * len(misses)
    flagged = judge(pattern) is not None
    assert flagged == (pattern not in ("^model.layers.1.", "^lm_head.*"))


def test_not_an_axolotl_file_is_silent(tmp_path):
    assert check_config(tmp_path, "other.yaml", """
        unfrozen_parameters:
          - ^model.layers.1
        """) == []
