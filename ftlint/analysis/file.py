"""One file's analysis, made once and shared by every consumer: the source, its parsed module,
positions, comments, imports, and each check's raw findings with what they found.

``ftlint check`` renders the findings, the fixer applies their edits, ``ftlint verify`` builds
on them (FT102 instruments the very conditions FT001 found) and adds its own. Selection and
``# noqa`` apply once, in :meth:`FileAnalysis.diagnostics`: they hide a report, never the
analysis another check builds on.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from functools import cached_property
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider, ProviderT

from ftlint.analysis.imports import ImportMap
from ftlint.analysis.positions import StatementPositions
from ftlint.diagnostics import Diagnostic, Edit, Finding
from ftlint.prefilter import PythonTree
from ftlint.sources import SourceFile
from ftlint.suppression import comments_by_row, is_suppressed, noqa_codes

if TYPE_CHECKING:
    from ftlint.analysis.mmconfig import MMConfig


class FileAnalysis:
    """What checks share about one parsed file, and where their findings go."""

    def __init__(
        self, source: SourceFile, module: cst.Module, python: PythonTree | None = None
    ) -> None:
        """``python``: CPython's tree of the source, when it parsed, and the views of it that
        the prefilters made already."""
        self.source = source
        self.module = module
        self.python = python
        self.findings: list[Finding] = []
        # FT9xx: the file or ftlint failed. Never selected away nor suppressed.
        self.errors: list[Diagnostic] = []
        self._wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        self._metadata: dict[ProviderT, Mapping[cst.CSTNode, object]] = {}

    def metadata(self, provider: ProviderT) -> Mapping[cst.CSTNode, object]:
        """One provider's metadata for the whole module, resolved on first use only: most files
        rules visit hold no finding. Positions, which cost twice the parse for the whole
        module, are computed for the statements asked about."""
        if provider not in self._metadata:
            self._metadata[provider] = (
                StatementPositions(
                    self.module, None if self.python is None else self.python.tree, self.source.text
                )
                if provider is PositionProvider
                else self._wrapper.resolve(provider)
            )
        return self._metadata[provider]

    @property
    def positions(self) -> Mapping[cst.CSTNode, CodeRange]:
        return self.metadata(PositionProvider)  # type: ignore[return-value]  # metadata() caches every provider's map as Mapping[CSTNode, object]; this one holds CodeRange

    @cached_property
    def imports(self) -> ImportMap:
        return ImportMap.from_module(self.module)

    @cached_property
    def mmconfig(self) -> MMConfig | None:
        """The settings of this OpenMMLab config file with its bases, or None when the file is
        not one (known by its content: `ftlint.analysis.mmconfig.CONFIG_MARKER`)."""
        from ftlint.analysis.mmconfig import is_config, read_config

        if not is_config(self.source.text):
            return None
        return read_config(self.module, self.source.path)

    @cached_property
    def comments(self) -> Mapping[int, str]:
        return comments_by_row(self.source.text)

    def add(self, finding: Finding) -> None:
        self.findings.append(finding)

    def found(self, code: str) -> list[Finding]:
        return [finding for finding in self.findings if finding.code == code]

    def edit(self, span: CodeRange, content: str) -> Edit:
        source = self.source
        return Edit(
            content,
            source.offset(span.start.line, span.start.column),
            source.offset(span.end.line, span.end.column),
            source.display(span.start.line, span.start.column)[1],
            source.display(span.end.line, span.end.column)[1],
        )

    def diagnostics(self, selected: Collection[str]) -> list[Diagnostic]:
        """The findings users see: the ``selected`` codes not silenced by ``# noqa``, with the
        errors, in file order."""
        shown = [
            self._diagnostic(finding)
            for finding in self.findings
            if finding.code in selected and not self._suppressed(finding)
        ]
        return sorted([*self.errors, *shown], key=lambda d: d.sort_key)

    def _suppressed(self, finding: Finding) -> bool:
        """Whether a ``# noqa`` comment on the finding's row silences it. A row whose text holds
        none has no such comment: the file is tokenized for its comments only otherwise."""
        row = finding.span.start.line
        starts = self.source.line_starts()
        text = self.source.text[starts[row - 1] : starts[row] if row < len(starts) else None]
        return noqa_codes(text) is not None and is_suppressed(
            finding.code, self.comments.get(row, "")
        )

    def _diagnostic(self, finding: Finding) -> Diagnostic:
        span = finding.span
        cell, start = self.source.display(span.start.line, span.start.column)
        _, end = self.source.display(span.end.line, span.end.column)
        return Diagnostic(
            finding.code,
            finding.message,
            self.source.display_path,
            start,
            end,
            finding.fix,
            cell,
            span.start.line,
        )
