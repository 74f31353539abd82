"""FT007's prefilter."""

from __future__ import annotations

import ast

from ftlint.analysis.collisions import INDEX_PREFIX_END, literal_collides
from ftlint.analysis.model_iterators import MODEL_ITERATORS, STATE_DICT
from ftlint.prefilter import PythonTree, attributes_in, names_in


def _may_collide(node: ast.AST, ranges: set[str]) -> bool:
    """A literal ``_collides`` may accept: a string (an implicit concatenation is one here) as a
    name or as a pattern, or an f-string ending in ``.{i}`` for a variable ``i`` some loop takes
    from ``range()`` (its container is not judged: CPython's text has its escapes resolved)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return literal_collides(node.value, False) or literal_collides(node.value, True)
    if isinstance(node, ast.JoinedStr) and len(node.values) >= 2:
        *_, text, index = node.values
        return (
            isinstance(text, ast.Constant)
            and isinstance(text.value, str)
            and INDEX_PREFIX_END.search(text.value) is not None
            and isinstance(index, ast.FormattedValue)
            and isinstance(index.value, ast.Name)
            and index.value.id in ranges
        )
    return False


def _may_iterate_model(iterable: ast.expr) -> bool:
    """``ModelLoops`` may bind names from this loop: it calls a model iterator, or mentions a
    state dict (``x.state_dict()``, ``sd.items()`` of a ``state_dict`` name or key)."""
    attributes = set(attributes_in(iterable))
    if attributes & MODEL_ITERATORS.keys():
        return True
    words = [*attributes, *names_in(iterable)]
    words += [
        node.value
        for node in ast.walk(iterable)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]
    return any(STATE_DICT in word for word in words)


_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


def may_report(tree: PythonTree) -> bool:
    """A finding is a colliding literal tested against a name a loop over a model binds: the
    test is in that loop, the literal in the test or in a list (or tuple, set) display that
    a loop iterates, directly or through a name it was assigned to."""
    in_loops: set[int] = set()
    for node in tree.nodes:
        if (isinstance(node, (ast.For, ast.AsyncFor)) and _may_iterate_model(node.iter)) or (
            isinstance(node, _COMPREHENSIONS)
            and any(_may_iterate_model(clause.iter) for clause in node.generators)
        ):
            in_loops.update(id(found) for found in ast.walk(node))
    if not in_loops:
        return False
    loops = [
        node for node in tree.nodes if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension))
    ]
    iterated = [loop.iter for loop in loops]
    ranges = {
        loop.target.id
        for loop in loops
        if isinstance(loop.target, ast.Name)
        and isinstance(loop.iter, ast.Call)
        and isinstance(loop.iter.func, ast.Name)
        and loop.iter.func.id == "range"
    }
    iterated_names = {node.id for node in iterated if isinstance(node, ast.Name)}
    assigned = [
        node.value
        for node in tree.nodes
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id in iterated_names for t in node.targets)
    ]
    named = [
        element
        for value in [*iterated, *assigned]
        if isinstance(value, (ast.List, ast.Tuple, ast.Set))
        for element in value.elts
    ]
    return any(_may_collide(node, ranges) for node in named) or any(
        _may_collide(node, ranges) for node in tree.nodes if id(node) in in_loops
    )
