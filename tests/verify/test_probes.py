"""The probes an instrumented program calls: both readings of a condition, flags, stand-ins."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ftlint.verify.probes import Probes, SkippedCheckpoint

OPERAND_VALUES = st.sampled_from([True, False, 0, 1, None, "", "x", [], [0]])


@st.composite
def chains(draw):
    values = draw(st.lists(OPERAND_VALUES, min_size=2, max_size=6))
    words = draw(
        st.lists(st.sampled_from(["and", "or"]), min_size=len(values) - 1, max_size=len(values) - 1)
    )
    return values, words


def _run(values, words, reading):
    evaluated = []

    def operand(index):
        def thunk():
            evaluated.append(index)
            return values[index]

        return thunk

    probes = Probes({}, reading, {})
    result = probes.chain(7, " ".join(words), *(operand(i) for i in range(len(values))))
    return result, evaluated


def _python_source(count, words):
    return " ".join(
        f"{word} v[{i}]" if i else f"v[{i}]" for i, word in zip(range(count), ["", *words])
    )


@given(chains())
def test_as_python_reads_it_the_chain_is_the_expression_itself(chain):
    values, words = chain
    expected_order = []

    class Recorder(list):
        def __getitem__(self, index):
            expected_order.append(index)
            return values[index]

    expected = eval(_python_source(len(values), words), {"v": Recorder(values)})
    result, evaluated = _run(values, words, reading=None)
    assert result is expected
    assert evaluated == expected_order  # the same operands, lazily, in the same order


@given(chains())
def test_left_to_right_folds_without_precedence(chain):
    values, words = chain
    source = "v[0]"
    for index, word in enumerate(words, start=1):
        source = f"({source} {word} v[{index}])"
    expected = eval(source, {"v": values})
    result, _ = _run(values, words, reading=7)
    assert result is expected


def test_the_seed_condition_reads_differently_only_without_train_backbone():
    for train_backbone in (True, False):
        for name in ("conv1.weight", "layer2.0.conv1.weight", "layer3.1.bn2.bias"):
            values = [
                not train_backbone,
                "layer2" not in name,
                "layer3" not in name,
                "layer4" not in name,
            ]
            python, _ = _run(values, ["or", "and", "and"], reading=None)
            left_to_right, _ = _run(values, ["or", "and", "and"], reading=7)
            assert python == (not train_backbone or all(values[1:]))
            if train_backbone:
                assert left_to_right == python


def test_flags_are_booleans_read_with_one_value_and_overrides_win():
    probes = Probes({"pinned": 3}, None, {})
    assert probes.flag("train_backbone", True) is True
    assert probes.flag("train_backbone", True) is True
    assert probes.flag("layer_names", ["layer4"]) == ["layer4"]
    probes.flag("varies", True)
    probes.flag("varies", False)
    assert probes.flag("pinned", False) == 3
    assert probes.free_flags == {"train_backbone": True}


def test_a_skipped_checkpoint_reaches_load_state_dict_empty():
    checkpoint = SkippedCheckpoint("torch.load('ckpt.pt')")
    state = checkpoint["model"]
    assert isinstance(state, SkippedCheckpoint) and dict(state) == {}
    assert "ckpt.pt" in repr(checkpoint.get("state_dict"))
