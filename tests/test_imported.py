"""The text test of an absolute import (FT016's triage) admits every file in which ``ImportMap``
binds a name to the package, however the import is written."""

from __future__ import annotations

import re

import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ftlint.analysis.imported import _named, may_import
from ftlint.analysis.imports import ImportMap

# Import statements: absolute and relative, aliased, several names, continued lines, other
# packages whose names contain the package's.
_STATEMENTS = st.sampled_from(
    [
        "from transformers import LlamaConfig",
        "from transformers.models.llama import LlamaConfig as C",
        "from transformers import (\n    AutoConfig,\n)",
        "from \\\n    transformers import AutoConfig",
        "import transformers",
        "import os, transformers.models as tm",
        "import os, \\\n    transformers",
        "import transformers as tf",
        "from . import transformers",
        "from .transformers import LlamaConfig",
        "from transformers_stream import X",
        "import mytransformers",
        "import os.transformers",
        "from x import transformers",
        "import os",
        'x = "import"; import transformers',
    ]
)
# Where a statement may start: a line, indented under a `def`, after a compound header's `:`,
# after a `;`; or inside a docstring (a `>>>` example is no statement).
_PLACES = st.sampled_from(
    [
        "{}\n",
        "def f():\n    {}\n",
        "try: {}\nexcept ImportError: pass\n",
        "x = 1; {}\n",
        "if True:\n\t{}\n",
        '"""\n>>> {}\n"""\n',
        '"""\n{}\n"""\n',
    ]
)


def _binds_the_package(text: str) -> bool:
    bindings = ImportMap.from_module(cst.parse_module(text)).bindings.values()
    return any(target.split(".")[0] == "transformers" for target in bindings)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.tuples(_STATEMENTS, _PLACES), min_size=1, max_size=3),
    st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_whenever_an_import_binds_the_package_the_text_test_admits(statements, newline):
    text = "".join(place.format(statement) for statement, place in statements)
    text = text.replace("\n", newline)
    if _binds_the_package(text):
        assert may_import(text, "transformers"), text


@pytest.mark.parametrize(
    ("text", "admitted"),
    [
        ("from transformers import AutoConfig\n", True),
        ('"""\n>>> from transformers import AutoConfig\n"""\n', False),
        ("import os, transformers\n", True),
        ("import os, mytransformers\n", False),
        ("try: import transformers\nexcept ImportError: pass\n", True),
        ("x = 'import transformers'\n", False),
        ("from .transformers import AutoConfig\n", False),
        ("x = 1; import transformers\n", True),
        ("x = 1 # import transformers\n", False),
        ('if x == "import": import transformers\n', True),
        ("import os, \\\r    transformers\r", True),
        ("import os, \\\r\n    transformers\r\n", True),
        ("import os; x = transformers\n", False),
        ("x = reimport, transformers\n", False),
    ],
)
def test_text_test_verdicts(text, admitted):
    assert may_import(text, "transformers") is admitted
    assert _binds_the_package(text) is admitted


def _named_by_regex(text: str) -> list[int]:
    """Whole occurrences of the package's name as a regex finds them, attributes left out."""
    return [
        found.start()
        for found in re.finditer(r"transformers\b", text)
        if not (found.start() and re.match(r"[\w.]", text[found.start() - 1]))
    ]


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(["transformers", "transformer", "s", "x", "é", "1", "_", ".", " ", "\n"]),
        max_size=12,
    )
)
def test_occurrences_are_the_whole_words_a_regex_finds(fragments):
    text = "".join(fragments)
    assert list(_named(text, "transformers")) == _named_by_regex(text)


def test_occurrences_of_the_package_name():
    text = "transformers transformerss xtransformers transformers.x .transformers étransformers"
    assert list(_named(text, "transformers")) == [0, 41] == _named_by_regex(text)
