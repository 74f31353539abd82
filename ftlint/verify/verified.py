"""What the runtime checks read: one verified file, its program and the runs of it, with the
questions several checks ask of them (which model a value belongs to, where to point)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from libcst.metadata import CodePosition, CodeRange
from torch import nn
from torch.optim import Optimizer

from ftlint.analysis.file import FileAnalysis
from ftlint.sources import SourceFile
from ftlint.verify.instrument import NameTest, Program
from ftlint.verify.scenarios import Run, Verification
from ftlint.verify.syntax import line_span
from ftlint.verify.targets import Target

# What each name iterator yields, as a noun.
_NAME_NOUNS = {
    "named_parameters": "parameter",
    "named_buffers": "buffer",
    "state_dict": "state-dict key",
    "named_modules": "module",
    "named_children": "module",
}


@dataclass(frozen=True)
class IteratedNames:
    """The names a name test's loop iterated, on one module."""

    label: str  # the module, as users name it: `backbone.layer4`, or its class
    names: list[str]
    module: nn.Module
    noun: str  # what the names name: parameter, module...

    @property
    def positional(self) -> bool:
        """Whether the module names its children by position (``nn.Sequential``)."""
        return isinstance(self.module, nn.Sequential)


class VerifiedFile:
    """One file's analysis, its instrumented program, and the runs of it in every scenario."""

    def __init__(
        self, analysis: FileAnalysis, program: Program, verification: Verification
    ) -> None:
        self.analysis = analysis
        self.program = program
        self.verification = verification

    @property
    def source(self) -> SourceFile:
        return self.analysis.source

    @property
    def run(self) -> Run:
        """The as-written run."""
        return self.verification.as_written

    def first_line(self, span: CodeRange) -> CodeRange:
        """A statement's first line: where a finding about the whole statement points."""
        line = self.source.lines()[span.start.line - 1]
        return CodeRange(span.start, CodePosition(span.start.line, len(line.rstrip())))

    def anchor(self, target: Target) -> CodeRange:
        """Where a finding about a model's freeze state points: its freeze code, else its
        construction."""
        return self.first_line(
            target.freeze_statements[0] if target.freeze_statements else target.span
        )

    def whose(self, target: Target) -> str:
        """`` of backbone`` when the file builds several models, else nothing."""
        return f" of {target.variable}" if len(self.run.targets) > 1 else ""

    def iterated(self, test: NameTest) -> Iterator[IteratedNames]:
        """The names of each module whose names the test's loop iterated."""
        method = self.program.sites[test.site].method
        for value in self.run.execution.probes.receivers.get(test.site, {}).values():
            if not isinstance(value, nn.Module):
                continue
            if method == "state_dict":
                names = list(value.state_dict())
            else:
                names = [name for name, _ in getattr(value, method)() if name]
            owner = next((t for t in self.run.targets.values() if t.owns(value)), None)
            if owner is None:
                label = type(value).__name__
            else:
                path = next(n for n, m in owner.module.named_modules() if m is value)
                label = f"{owner.variable}.{path}" if path else owner.variable
            yield IteratedNames(label, names, value, _NAME_NOUNS[method])

    def renamed(self, path: str, iterated: IteratedNames) -> tuple[str, str] | None:
        """When ``path`` names a submodule of a model the run built, and that submodule sits
        in ``iterated`` under another name: (the model's class, that name). The last such
        model wins."""
        found = None
        built = {
            id(value): value
            for _, value in self.run.execution.probes.tracked
            if isinstance(value, nn.Module)
        }
        for other in built.values():
            try:
                meant = other.get_submodule(path)
            except AttributeError:
                continue
            name = next((n for n, m in iterated.module.named_modules() if m is meant and n), None)
            if name is not None:
                found = (type(other).__name__, name)
        return found

    @cached_property
    def optimizers(self) -> list[tuple[Optimizer, CodeRange]]:
        """Every optimizer the as-written run built, once each, with the line that built it (for
        the one a Hugging Face Trainer would build, the line that calls ``train()``)."""
        return [
            (
                optimizer,
                self.program.constructions[site].span
                if site is not None
                else line_span(self.source, row),
            )
            for optimizer, site, row in self.run.execution.optimizers()
        ]
