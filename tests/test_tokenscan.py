"""The token scan finds exactly the tokens a plain substring test finds, however the tokens are
grouped by anchor and wherever they overlap."""

from __future__ import annotations

import re
import string

import libcst as cst
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ftlint.cache import CatalogIndex
from ftlint.config import Settings
from ftlint.rules.base import Rule
from ftlint.runner import check_paths
from ftlint.tokenscan import _CHARACTERS, _PER_100K, TokenScan, anchor_groups, anchored_pattern
from ftlint.triage import RuleTriage


def plainly_passing(triages: list[RuleTriage], raw: bytes) -> list[RuleTriage]:
    return [
        triage
        for triage in triages
        if any(not token.isascii() or token.encode() in raw for token in triage.tokens)
    ]


# Pieces of the catalog's tokens and what sits around them: overlapping spellings of
# `requires_grad` (several tokens at one anchor), a non-ASCII character, separators.
_TOKEN_PIECES = st.sampled_from(
    ["requires_grad", "req", "uires", "_grad", "red_grad", "grad_requ", "Requires", "freez",
     "e", ".", "(", " ", "\n", "parameters(", "modules", "é", "state_dict", "_(", "=True",
     "Config", "kwargs", "reuires", "_base_"]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(_TOKEN_PIECES, max_size=12).map("".join))
def test_the_catalog_scan_finds_what_plain_scans_find(text):
    triages = [triage for triage in CatalogIndex.from_catalog().rules if not triage.config]
    raw = text.encode()
    assert TokenScan(triages).passing(raw, triages) == plainly_passing(triages, raw)


_ALPHABET = "rqe_d(."


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.text(_ALPHABET, min_size=1, max_size=5), min_size=1, max_size=6, unique=True),
    st.lists(st.text(_ALPHABET + " ", max_size=30), min_size=1, max_size=4),
)
def test_any_tokens_any_texts_scan_as_plain_scans(tokens, texts):
    # Small tokens over few characters: groups share anchors, tokens overlap and contain each
    # other; one scan (and its regexes, kept across files) serves every text.
    triages = [RuleTriage(f"X{index}", (token,)) for index, token in enumerate(tokens)]
    scan = TokenScan(triages)
    for text in texts:
        raw = text.encode()
        assert scan.passing(raw, triages) == plainly_passing(triages, raw), text
        assert scan.found(raw) == {token for token in tokens if token.encode() in raw}, text


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(_ALPHABET, min_size=1, max_size=5), min_size=1, max_size=6, unique=True),
    st.sampled_from(_ALPHABET),
    st.text(_ALPHABET + " ", max_size=30),
)
def test_an_anchored_pattern_matches_where_a_token_is(tokens, anchor, text):
    tokens = [token for token in tokens if anchor in token]
    assume(tokens)
    regex = re.compile(anchored_pattern(anchor, tokens))
    matched = set()
    for start in range(len(text)):
        match = regex.match(text, start)
        if match is not None:
            token = tokens[int(match.lastgroup[1:])]
            assert text.startswith(token, start - token.index(anchor)), (token, start)
            matched.add((token, start - token.index(anchor)))
    # Every occurrence of a token is matched at its first anchor, unless another token that
    # matches there comes first in the regex.
    first_anchors = {
        start + token.index(anchor)
        for token in tokens
        for start in range(len(text))
        if text.startswith(token, start)
    }
    assert {start + token.index(anchor) for token, start in matched} == first_anchors


@given(st.lists(st.text(string.printable, min_size=1, max_size=8), min_size=1, max_size=12))
def test_anchor_groups_hold_each_token_once_with_its_anchor(tokens):
    groups = anchor_groups(tokens)
    assert sorted(token for group in groups.values() for token in group) == sorted(set(tokens))
    assert all(anchor in token for anchor, group in groups.items() for token in group)


def test_the_spellings_of_requires_grad_are_one_pass():
    rules = CatalogIndex.from_catalog().rules
    tokens = {token for triage in rules for token in triage.tokens}
    # FT004's tokens: `.requires_grad` and the stems of its misspellings.
    spellings = {token for triage in rules if triage.code == "FT004" for token in triage.tokens}
    group = set(anchor_groups(token for token in tokens if token)["q"])
    assert spellings - group == {"ire_grad", "red_grad", "res_grads", "res_gradient", "reuires"}
    assert group - spellings == {
        "requires_grad", "requires_grad_", "requires_grad_(", "requires_grad=True",
        "requires_grad = True"
    }  # fmt: skip


def test_rates_rank_every_printable_character_rarest_first():
    assert sorted(_CHARACTERS) == sorted(string.printable[:-5])  # no tab or other control
    assert list(_PER_100K) == sorted(_PER_100K)


def test_tokens_at_one_anchor_are_each_found():
    spellings = ["requires_grad", ".requires_grad", "requires_grad_", "requires_grad_("]
    triages = [RuleTriage(f"X{index}", (token,)) for index, token in enumerate(spellings)]
    scan = TokenScan(triages)
    assert scan.passing(b"p.requires_grad_(False)", triages) == triages
    assert scan.passing(b"p.requires_grad = False", triages) == triages[:2]
    assert scan.passing(b"requires_grad_", triages) == [triages[0], triages[2]]
    assert scan.passing(b"requires_gra", triages) == []


def test_a_token_whose_rule_is_not_scanned_passes():
    scanned, other = RuleTriage("X1", ("freez",)), RuleTriage("X2", ("unfreeze",))
    everywhere, wide = RuleTriage("X3", ("",)), RuleTriage("X4", ("é",))
    scan = TokenScan([scanned, everywhere, wide])
    assert scan.passing(b"x = 1", [scanned, other, everywhere, wide]) == [other, everywhere, wide]
    assert scan.passing(b"freeze(m)", [scanned]) == [scanned]


def test_a_token_scan_reads_a_family_and_others_apart():
    family = RuleTriage("X1", ("requires_grad", "requres", "reqires", "rquires"))
    other = RuleTriage("X2", ("freez",))
    scan = TokenScan([family, other])
    assert scan.passing(b"p.rquires_grad = False", [family, other]) == [family]
    assert scan.passing(b"p.require = False; freeze(m)", [family, other]) == [other]


class ConfigNamed(Rule):
    """Reports every file its triage admits."""

    code, name, summary = "FT992", "config-named", "Names files holding `Config`"
    required_tokens = ("Config",)
    VALID, INVALID = [], []

    def visit_Module(self, node: cst.Module) -> None:
        self.report(node, "admitted")


@pytest.mark.parametrize(
    ("encoding", "value", "admitted"),
    [
        ("utf-8", "Config", True),
        ("shift_jis", "Config", True),
        # b"\x83Config": the bytes hold the token, the text does not (the scan's verdict stands
        # for UTF-8 only).
        ("shift_jis", "イonfig", False),
    ],
)
def test_a_token_only_the_bytes_hold_admits_nothing(tmp_path, encoding, value, admitted):
    path = tmp_path / "names.py"
    path.write_bytes(f"# -*- coding: {encoding} -*-\nname = '{value}'\n".encode(encoding))
    assert b"Config" in path.read_bytes()
    result = check_paths([path], Settings(root=tmp_path), {"FT992"}, jobs=1, rules=[ConfigNamed])
    assert [d.message for d in result.diagnostics] == (["admitted"] if admitted else [])
