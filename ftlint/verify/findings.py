"""FT101-FT107: what the runs of a file's program show, as findings at the file's own lines."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence

from libcst.metadata import CodePosition, CodeRange
from torch import nn
from torch.optim import Optimizer

from ftlint.diagnostics import Diagnostic
from ftlint.engine import FileContext
from ftlint.runtime.expect import FreezeError, expect
from ftlint.runtime.freeze_map import format_names, plural
from ftlint.runtime.report import report
from ftlint.sources import SourceFile
from ftlint.verify.codes import (
    ExpectationMismatch,
    FreezeHadNoEffect,
    FrozenBatchNormUpdatesStats,
    OptimizerCoverage,
    OtherReadingDiffers,
    PatternMatchesNothing,
    PatternOvermatches,
)
from ftlint.verify.instrument import NameTest, Program
from ftlint.verify.pragmas import find_pragmas
from ftlint.verify.scenarios import Verification
from ftlint.verify.targets import Target

# What each name iterator yields, as a noun.
_NAME_NOUNS = {
    "named_parameters": "parameter",
    "named_buffers": "buffer",
    "state_dict": "state-dict key",
    "named_modules": "module",
    "named_children": "module",
}
_NUMBER = re.compile(r"^\d+$")


class Findings:
    """Collects the FT1xx findings of one verified file."""

    def __init__(self, source: SourceFile, program: Program, verification: Verification) -> None:
        self.source = source
        self.program = program
        self.verification = verification
        self.context = FileContext(source, program.module)
        self.run = verification.as_written
        self.several = len(self.run.targets) > 1

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return self.context.diagnostics

    def _add(self, code: str, span: CodeRange, message: str) -> None:
        self.context.add(code, message, span, None)

    def _first_line(self, span: CodeRange) -> CodeRange:
        """A statement's first line: where a finding about the whole statement points."""
        line = self.source.lines()[span.start.line - 1]
        return CodeRange(span.start, CodePosition(span.start.line, len(line.rstrip())))

    def _anchor(self, target: Target) -> CodeRange:
        return self._first_line(
            target.freeze_statements[0] if target.freeze_statements else target.span
        )

    def _whose(self, target: Target) -> str:
        return f" of {target.variable}" if self.several else ""

    # FT101 ---------------------------------------------------------------------------------------

    def expectations(self) -> None:
        lines = self.source.lines()
        for pragma in find_pragmas(self.source.text):
            if pragma.error is not None:
                self._add(
                    ExpectationMismatch.code, pragma.span, f"invalid expect pragma: {pragma.error}"
                )
                continue
            row = pragma.applies_to(self.program.statement_rows, lines)
            targets = [
                target
                for target in self.run.targets.values()
                if row in target.construction_rows
                or row in {statement.start.line for statement in target.freeze_statements}
            ]
            if not targets:
                self._add(
                    ExpectationMismatch.code,
                    pragma.span,
                    "this expect pragma is not on or just above the construction or the freeze code"
                    " of a model verify built, so it checks nothing",
                )
            for target in targets:
                self._expect(target, pragma.span, pragma.expectations)

    def _expect(self, target: Target, span: CodeRange, expectations: dict[str, int | str]) -> None:
        try:
            expect(target.module, frozen_batchnorm="ignore", **expectations)  # type: ignore[arg-type]
        except FreezeError as error:  # its message lists what differs as "  - ..." lines
            facts = [
                line.strip()[2:]
                for line in str(error).split("\n\n")[0].splitlines()
                if line.startswith("  - ")
            ]
            self._add(
                ExpectationMismatch.code,
                span,
                f"{target.variable} does not match the pragma: {'; '.join(facts)}",
            )
        except (TypeError, ValueError) as error:
            self._add(ExpectationMismatch.code, span, f"invalid expect pragma: {error}")

    # FT102 ---------------------------------------------------------------------------------------

    def other_readings(self) -> None:
        for chain_site, alternatives in self.verification.readings.items():
            chain = self.program.chains[chain_site]
            differing, identical = [], []
            for original, alternative in zip(self.verification.runs, alternatives):
                label = original.scenario.label()
                for key, written in original.reports.items():
                    other = alternative.reports.get(key)
                    if other is None:
                        continue
                    differs = set(written.trainable_names) ^ set(other.trainable_names)
                    if not differs:
                        identical.append(label)
                        continue
                    changed = [p.name for p in written.parameters if p.name in differs]
                    differing.append(
                        f"with {label}{self._whose(original.targets[key])}, {other.trainable_tensors}"
                        f" trainable / {other.frozen_tensors} frozen tensors instead of"
                        f" {written.trainable_tensors} / {written.frozen_tensors}"
                        f" (e.g. {format_names(changed)})"
                    )
            if differing:
                same = (
                    f"; identical with {', '.join(dict.fromkeys(identical))}" if identical else ""
                )
                self._add(
                    OtherReadingDiffers.code,
                    chain.span,
                    f"read left to right, as `{chain.left_to_right}`, this condition gives another"
                    f" trainable set: {'; '.join(differing)}{same}. Python reads it as"
                    f" `{chain.python_reading}`",
                )

    # FT103, FT104 --------------------------------------------------------------------------------

    def _iterated(self, test: NameTest) -> Iterator[tuple[str, list[str], object]]:
        """(label, names, module) for each module whose names the test's loop iterated."""
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
            yield label, names, value

    def name_tests(self) -> None:
        for test in self.program.name_tests:
            noun = _NAME_NOUNS[self.program.sites[test.site].method]
            for label, names, module in self._iterated(test):
                hits = [name for name in names if _hits(test, name)]
                if not hits:
                    self._add(
                        PatternMatchesNothing.code,
                        test.span,
                        self._nothing(test, label, names, noun, module),
                    )
                elif test.kind in ("substring", "prefix"):
                    message = _overmatch(test, hits, noun, leaf_names=noun != "module")
                    if message:
                        self._add(
                            PatternOvermatches.code,
                            test.span,
                            f"`{test.test}` on {label}: {message}",
                        )

    def _nothing(
        self, test: NameTest, label: str, names: list[str], noun: str, module: object
    ) -> str:
        top = list(dict.fromkeys(name.split(".")[0] for name in names))
        hint = (
            "; nn.Sequential names its children by position"
            if isinstance(module, nn.Sequential)
            else ""
        )
        built = {
            id(value): value
            for _, value in self.run.execution.probes.tracked
            if isinstance(value, nn.Module)
        }
        for other in built.values():
            try:
                meant = other.get_submodule(test.literal)
            except AttributeError:
                continue
            renamed = next((n for n, m in module.named_modules() if m is meant and n), None)  # type: ignore[attr-defined]
            if renamed is not None:
                hint = f"; the {test.literal} of {type(other).__name__} is named {renamed!r} here"
        return (
            f"`{test.test}`: {test.literal!r} matches none of the {len(names):,} {noun} names of"
            f" {label} (top level: {format_names(top, limit=8)}){hint}"
        )

    # FT105, FT106, FT107 -------------------------------------------------------------------------

    def frozen_batchnorms(self) -> None:
        for key, target in self.run.targets.items():
            updating = [
                bn.name for bn in self.run.reports[key].batchnorms if bn.frozen_but_updating
            ]
            if updating:
                self._add(
                    FrozenBatchNormUpdatesStats.code,
                    self._anchor(target),
                    f"{plural(len(updating), 'BatchNorm module')}{self._whose(target)} with every"
                    " affine parameter frozen, yet in train mode: their running statistics still"
                    f" change with every batch ({format_names(updating)}). Call .eval() on them"
                    " after model.train(), or use torchvision.ops.FrozenBatchNorm2d",
                )

    def optimizer_coverage(self) -> None:
        optimizers: dict[int, tuple[Optimizer, int]] = {}
        for site, value in self.run.execution.probes.tracked:
            if isinstance(value, Optimizer):
                optimizers.setdefault(id(value), (value, site))
        for key, target in self.run.targets.items():
            relevant = [
                (optimizer, site)
                for optimizer, site in optimizers.values()
                if any(target.owns(p) for group in optimizer.param_groups for p in group["params"])
            ]
            if not relevant:
                continue
            coverages = [report(target.module, optimizer).optimizer for optimizer, _ in relevant]
            missing = set.intersection(*(set(c.trainable_missing) for c in coverages))  # type: ignore[union-attr]
            frozen = set().union(*(c.frozen_included for c in coverages))  # type: ignore[union-attr]
            order = [p.name for p in self.run.reports[key].parameters]
            facts = []
            if missing:
                facts.append(
                    f"{_grouped([n for n in order if n in missing])} trainable, in no optimizer:"
                    " never updated"
                )
            if frozen:
                facts.append(
                    f"{_grouped([n for n in order if n in frozen])} frozen, passed to the optimizer"
                )
            if facts:
                span = self.program.constructions[relevant[0][1]].span
                self._add(
                    OptimizerCoverage.code,
                    self._first_line(span),
                    f"optimizer coverage{self._whose(target)}: {'; '.join(facts)}. Build the"
                    " optimizer after freezing and replacing modules, from the parameters that"
                    " require grad",
                )

    def freeze_effect(self) -> None:
        trained = {key for key, state in self.run.reports.items() if state.trainable_tensors}
        for key, target in self.run.targets.items():
            if not target.freeze_statements:
                continue
            state = self.run.reports[key]
            if state.trainable_tensors == 0 and not trained:  # else: a teacher, a feature extractor
                message = (
                    f"freeze code ran on {target.variable} and froze all of its"
                    f" {state.total_tensors} tensors: nothing will train. Replace or unfreeze the"
                    " head after freezing"
                )
            elif state.frozen_tensors == 0 and target.requested_freeze:
                message = (
                    f"freeze code ran on {target.variable} and set requires_grad to False, yet all"
                    f" {state.total_tensors} tensors still train: it set the flag on modules or"
                    " copies, not on the model's parameters"
                )
            else:
                continue
            self._add(FreezeHadNoEffect.code, self._anchor(target), message)


def _hits(test: NameTest, name: str) -> bool:
    if test.kind == "substring":
        return test.literal in name
    if test.kind == "prefix":
        return name.startswith(test.literal)
    if test.kind == "suffix":
        return name.endswith(test.literal)
    return name == test.literal


def _occurrences(test: NameTest, name: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each place the test matches in ``name``."""
    start = name.find(test.literal)
    while start >= 0 and (test.kind == "substring" or start == 0):
        yield start, start + len(test.literal)
        start = name.find(test.literal, start + 1)


def _at_boundaries(literal: str, name: str, start: int, end: int) -> bool:
    starts = start == 0 or name[start - 1] == "." or literal.startswith(".")
    ends = end == len(name) or name[end] == "." or literal.endswith(".")
    return starts and ends


def _component_end(name: str, end: int) -> str:
    """The name up to the end of the component where a match ends."""
    stop = name.find(".", end)
    return name if stop < 0 else name[:stop]


def _overmatch(test: NameTest, hits: list[str], noun: str, *, leaf_names: bool) -> str | None:
    """Why a substring or prefix test hits more than it likely means, or None."""
    whole: dict[str, int] = {}  # hits at component boundaries: where, at which depth
    partial: Counter[str] = Counter()
    for name in hits:
        matches = list(_occurrences(test, name))
        bounded = [(s, e) for s, e in matches if _at_boundaries(test.literal, name, s, e)]
        if not bounded:
            partial[_component_end(name, matches[0][1])] += 1
        for start, end in bounded:
            if not (leaf_names and end == len(name)):  # weight/bias: meant everywhere
                whole[name[:end]] = name.count(".", 0, start)
    if partial and whole:
        meant = sorted(whole)
        return (
            f"{test.literal!r} also matches inside longer names: {_listing(partial, noun)}, besides"
            f" {format_names(meant)}. Test whole components, e.g."
            f" name.startswith({(meant[0] + '.')!r})"
        )
    if len(set(whole.values())) > 1:
        groups: Counter[str] = Counter()
        for name in hits:
            for start, end in _occurrences(test, name):
                if name[:end] in whole:
                    groups[
                        ".".join("*" if _NUMBER.match(c) else c for c in name[:end].split("."))
                    ] += 1
                    break
        shallowest = min(whole, key=whole.__getitem__)
        return (
            f"{test.literal!r} matches at {len(set(whole.values()))} depths, not only"
            f" {shallowest!r}: {_listing(groups, noun)}. To mean only {shallowest!r}, test"
            f" name.startswith({(shallowest + '.')!r})"
        )
    return None


def _listing(groups: Counter[str], noun: str) -> str:
    return ", ".join(f"{group} ({plural(count, noun)})" for group, count in groups.items())


def _grouped(names: Sequence[str]) -> str:
    """``12 tensors (layer4: 10, fc: 2)``: names counted by top-level block."""
    blocks = Counter(name.split(".")[0] for name in names)
    shown = ", ".join(f"{block}: {count}" for block, count in list(blocks.items())[:6])
    more = f", +{len(blocks) - 6} more blocks" if len(blocks) > 6 else ""
    return f"{plural(len(names), 'tensor')} ({shown}{more})"


_CHECKS = {
    ExpectationMismatch.code: Findings.expectations,
    OtherReadingDiffers.code: Findings.other_readings,
    FrozenBatchNormUpdatesStats.code: Findings.frozen_batchnorms,
    OptimizerCoverage.code: Findings.optimizer_coverage,
    FreezeHadNoEffect.code: Findings.freeze_effect,
}
_NAME_CODES = (PatternMatchesNothing.code, PatternOvermatches.code)


def verify_findings(
    source: SourceFile, program: Program, verification: Verification, codes: set[str]
) -> list[Diagnostic]:
    """The FT1xx findings among ``codes`` that the runs show."""
    findings = Findings(source, program, verification)
    for code, check in _CHECKS.items():
        if code in codes:
            check(findings)
    if codes & set(_NAME_CODES):
        findings.name_tests()
    return [d for d in findings.diagnostics if d.code in codes]
