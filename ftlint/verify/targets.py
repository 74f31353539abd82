"""Which models a run built, and which freeze code ran on each.

A model is an ``nn.Module`` with parameters that the run built, still alive where the run
stopped: what a tracked construction of the file returned, what a stop point was handed
(``trainer.fit(model)``), or any other module built during the run (in a helper of another
file, by ``LightningCLI``). One that is part of another (a head built before it is attached) is
not a model of its own, nor is a data-parallel wrapper (the model is the module it holds, and
freeze code run on the wrapper ran on it), nor one that lent parameters to another (a ResNet
whose children were rebuilt into an ``nn.Sequential``): of two models that share parameters, the
one freeze code ran on is kept, else the later one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeGuard

from libcst.metadata import CodeRange
from torch import nn

from ftlint.sources import SourceFile
from ftlint.verify.cuda import unwrapped
from ftlint.verify.execution import Execution
from ftlint.verify.instrument import Construction, Program
from ftlint.verify.probes import Probes
from ftlint.verify.syntax import line_span


@dataclass(frozen=True, eq=False)
class Target:
    """A model, named after the outermost variable it was bound to."""

    key: tuple[int, ...]  # the construction sites it passed through, innermost first
    variable: str
    builder: str  # what built it: torchvision.models.resnet50
    span: CodeRange  # where ``variable`` is bound
    module: nn.Module
    construction_rows: frozenset[int]
    freeze_statements: tuple[CodeRange, ...]  # freeze code that ran on it, in file order
    requested_freeze: bool  # that freeze code gave requires_grad a false value
    owned: frozenset[int] = field(repr=False)  # ids of its modules and parameters

    def owns(self, value: object) -> bool:
        """``value`` is the model, one of its modules, or one of its parameters."""
        return id(value) in self.owned


def owned_ids(module: nn.Module) -> frozenset[int]:
    return frozenset(map(id, (*module.modules(), *module.parameters())))


def _with_parameters(value: object) -> TypeGuard[nn.Module]:
    return isinstance(value, nn.Module) and next(value.parameters(), None) is not None


def find_targets(program: Program, execution: Execution, source: SourceFile) -> list[Target]:
    """The models of one run, in the order they were built."""
    probes = execution.probes
    chains: dict[int, list[int]] = {}
    models: dict[int, nn.Module] = {}
    holding: set[int] = set()  # sites that returned a wrapper: they did not build its model
    for site, returned in probes.tracked:
        value = unwrapped(returned)
        if value is not returned:
            holding.add(site)
        if _with_parameters(value):
            chain = chains.setdefault(id(value), [])
            if not chain or chain[-1] != site:
                chain.append(site)
            models[id(value)] = value
    # Built elsewhere (another file, a framework): named after the variable holding it at the
    # stop, located at the script's line that built it. Keys stay apart from site chains.
    untracked: dict[int, Construction] = {}
    handed = [unwrapped(value) for value, _ in execution.session.handed]
    built_at = execution.session.built_at()
    rows = {id(module): row for module, row in built_at}
    children = {id(child) for module, _ in built_at for child in module.children()}
    built = sorted(
        ((module, row) for module, row in built_at if id(module) not in children),
        key=lambda item: item[1],
    )
    for value in [*handed, *(unwrapped(module) for module, _ in built)]:
        if _with_parameters(value) and id(value) not in models:
            models[id(value)] = value
            row = rows.get(id(value), 0) or execution.stop_row
            cls = type(value)
            untracked[id(value)] = Construction(
                execution.names.get(id(value)),
                f"{cls.__module__}.{cls.__qualname__}",
                line_span(source, row),
            )
            chains[id(value)] = [-len(untracked)]
    parts = {id(part) for model in models.values() for part in model.modules() if part is not model}
    models = {key: model for key, model in models.items() if key not in parts}
    receivers = [
        unwrapped(value)
        for site, values in probes.receivers.items()
        if program.sites[site].kind != "value"
        for value in values.values()
    ]
    owned = {key: owned_ids(model) for key, model in models.items()}
    ran_on = {key: any(id(value) in owned[key] for value in receivers) for key in models}
    parameters = {key: {id(p) for p in model.parameters()} for key, model in models.items()}
    order = list(models)  # in the order they were first built
    shadowed = {
        key
        for key in models
        for other in models
        if other != key
        and not parameters[key].isdisjoint(parameters[other])
        and (ran_on[other], order.index(other)) > (ran_on[key], order.index(key))
    }
    return [
        _target(program, probes, chains[key], model, owned[key], untracked.get(key), holding)
        for key, model in models.items()
        if key not in shadowed
    ]


def _target(
    program: Program,
    probes: Probes,
    chain: list[int],
    model: nn.Module,
    ids: frozenset[int],
    untracked: Construction | None,
    holding: set[int],
) -> Target:
    constructions = (
        [untracked] if untracked is not None else [program.constructions[site] for site in chain]
    )
    cls = type(model)
    builder = next(
        (c.callee for c, site in zip(constructions, chain, strict=True) if site not in holding),
        f"{cls.__module__}.{cls.__qualname__}",  # built inside the wrapper's call
    )
    named = next((c for c in reversed(constructions) if c.variable is not None), constructions[-1])
    statements = {
        site.statement.start.line: site.statement
        for number, site in program.sites.items()
        if site.kind != "value"
        and any(id(unwrapped(value)) in ids for value in probes.receivers.get(number, {}).values())
    }
    requested_freeze = any(
        False in probes.requested.get(number, ())
        for number, site in program.sites.items()
        if site.kind == "value" and site.statement.start.line in statements
    )
    return Target(
        key=tuple(chain),
        variable=named.variable or type(model).__name__,
        builder=builder,
        span=named.span,
        module=model,
        construction_rows=frozenset(c.span.start.line for c in constructions),
        freeze_statements=tuple(statements[row] for row in sorted(statements)),
        requested_freeze=requested_freeze,
        owned=ids,
    )
