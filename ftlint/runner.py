"""Check many files: discovery, per-file rule selection, triage, the result cache, linting; in
worker processes when there are enough files to pay for starting them.

Only files some rule may report in, by the triage of their text (``ftlint.triage``) and of
CPython's tree (``ftlint.prefilter``), import the engine, and with it libcst; in worker
processes, only the first worker that meets such a file, the others leaving theirs to it
(``_in_pool``).
"""

from __future__ import annotations

import os
import re
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ftlint.cache import ResultCache, catalog_index
from ftlint.config import DEFAULT_MAX_FILE_SIZE, Settings, format_size
from ftlint.configfiles import CONFIG_SUFFIXES
from ftlint.diagnostics import Diagnostic, Location
from ftlint.discovery import discover
from ftlint.input_checks import REPORT, InternalError, UnreadableFile
from ftlint.prefilter import PythonTree, collector_paused, prefiltered, python_tree
from ftlint.sources import SourceError, SourceFile, read_bytes, read_source, source_of, wide_bom
from ftlint.tokenscan import TokenScan
from ftlint.triage import INHERITS, RuleTriage, admitted

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.context import DefaultContext, ForkContext, SpawnContext
    from multiprocessing.process import BaseProcess
    from multiprocessing.queues import Queue
    from multiprocessing.sharedctypes import Synchronized

    from ftlint.rules.base import Rule

# Below this many files, checking them costs less than starting worker processes: a file no
# rule can match costs ~0.1 ms, a fork a few ms plus libcst's import in each worker.
POOL_MIN_FILES = 64
# Files per task sent to a worker: enough to amortise the round trip, few enough to balance.
_CHUNK_FILES = 16
# Files looked up in the cache before deciding that a run is cold (see _check_all).
_SAMPLE_FILES = 64
# Files whose bytes triage can scan before decoding them (see TokenScan), unless UTF-16/32; not
# notebooks, JSON where a token's characters may be escaped. Configurations are UTF-8, and their
# keys are never escaped in practice.
_SCANNED_SUFFIXES = frozenset({".py", ".pyi", *CONFIG_SUFFIXES})
# Encodings whose bytes hold an ASCII token exactly where the text does (not so in Shift JIS,
# whose second bytes may be ASCII).
UTF8 = frozenset({"utf-8", "utf-8-sig"})
# The identifier `_base_` (a non-ASCII byte beside it counts as a boundary: kept, conservatively).
_NAMES_BASES = re.compile(rb"(?<!\w)%s(?!\w)" % INHERITS.encode())


_Item = TypeVar("_Item")


@dataclass
class CheckResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: int = 0
    # Sources of the files with findings, by display path (the text output shows their lines).
    sources: dict[str, SourceFile] = field(default_factory=dict)


def display_path(path: Path, cwd: str | None = None) -> str:
    """``path`` relative to the current directory ``cwd`` when it lies under it, else absolute."""
    absolute = os.path.abspath(path)
    cwd = os.getcwd() if cwd is None else cwd
    if absolute == cwd:
        return os.curdir
    under = cwd if cwd.endswith(os.sep) else cwd + os.sep
    if absolute.startswith(under):
        return absolute[len(under) :]  # what relpath gives, without its work per file
    if os.name == "posix":  # paths compare as strings: relpath would climb out with `..`
        return absolute
    try:  # Windows: relpath compares paths whatever their case, and fails across drives
        relative = os.path.relpath(absolute, cwd)
    except ValueError:
        return absolute
    return absolute if relative.startswith("..") else relative


def default_jobs() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _catalog_rules() -> Sequence[type[Rule]]:
    from ftlint.catalog import RULES

    return RULES


@cache
def _named(origin: str) -> Any:
    """What ``module:name`` names (a rule's class, its prefilter), its module imported alone: not
    the catalog, which imports every check, nor libcst for a prefilter."""
    import importlib

    module, _, name = origin.partition(":")
    return getattr(importlib.import_module(module), name)


def _rules_of(triages: Iterable[RuleTriage]) -> list[type[Any]]:
    """The rules of ``triages``, each imported from its own module."""
    return [_named(triage.origin or "") for triage in triages]


def is_config(path: Path) -> bool:
    """Whether ``path`` is checked as a YAML/JSON configuration rather than as Python."""
    return path.suffix.lower() in CONFIG_SUFFIXES


def selected_for(path: Path, settings: Settings, enabled: set[str]) -> set[str]:
    """The ``enabled`` codes minus the ``per-file-ignores`` of ``path``."""
    from ftlint.catalog import SELECTABLE

    return enabled - settings.ignored_for(path, SELECTABLE)


def rules_for(path: Path, settings: Settings, enabled: set[str]) -> list[type[Rule]]:
    selected = selected_for(path, settings, enabled)
    return [rule for rule in _catalog_rules() if rule.code in selected]


def about_file(code: str, message: str, shown: str) -> Diagnostic:
    """A diagnostic about the file as a whole (it cannot be read, or checking it failed)."""
    return Diagnostic(code, message, shown, Location(1, 1), Location(1, 1))


# What analysing a file costs in memory follows its tokens more than its bytes: libcst needs
# ~2 KB per token of ordinary code (~5 bytes each) and up to ~4.5 KB for one-token lines (`a` on
# each line), so a byte limit alone lets 1 MB of dense code take 4 GB. A file therefore counts
# as its bytes or, when more, as this many bytes per token: max-file-size bounds the memory of
# any code, ~0.9 GB at the default.
BYTES_PER_TOKEN = 5.5
# Names, numbers, operators and line breaks, as the tokenizer splits them (a string or a
# comment counts once per word: more, never fewer, tokens than there are).
_TOKEN = re.compile(r"\w+|[^\w\s]|\n")
MEMORY_NOTE = "analysis needs up to about 0.9 GB of memory per MB"


def _rounded(size: float) -> str:
    return f"{size / 1024**2:.2f} MB" if size >= 1024**2 else f"{size / 1024:.0f} KB"


def _too_large(task: _Task, source: SourceFile, limit: int) -> _Outcome | None:
    """FT901 for ``source`` when it counts as more than ``limit`` bytes, else None. Only Python
    counts its tokens: libcst's trees are what dense code makes large, and a YAML/JSON file
    (never parsed by libcst) past the limit is data, skipped before it is read."""
    size = len(source.raw)
    if size > limit:
        counted = format_size(size)
    elif not is_config(task.path) and len(source.text) * BYTES_PER_TOKEN > limit:
        tokens = len(_TOKEN.findall(source.text))
        if tokens * BYTES_PER_TOKEN <= limit:
            return None
        counted = (
            f"{tokens:,} tokens in {_rounded(size)}, which count as "
            f"{_rounded(tokens * BYTES_PER_TOKEN)} ({BYTES_PER_TOKEN} bytes a token, for dense code)"
        )
    else:
        return None
    message = (
        f"file too large to analyse: {counted}, over max-file-size ({format_size(limit)})"
        "; not checked. Raise `max-file-size` in [tool.ftlint] or pass --max-file-size "
        f"({MEMORY_NOTE})"
    )
    return _Outcome([about_file(UnreadableFile.code, message, task.shown)])


def exhaustive_mode() -> bool:
    """FTLINT_EXHAUSTIVE=1: every rule on every file, no triage and no cache (the oracle)."""
    return os.environ.get("FTLINT_EXHAUSTIVE", "") not in ("", "0")


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0  # reading it reports why


@dataclass(frozen=True)
class _Task:
    path: Path
    shown: str
    codes: frozenset[str]  # rules in effect for this file: enabled, minus per-file ignores


@dataclass
class _Outcome:
    diagnostics: list[Diagnostic]
    source: SourceFile | None = None  # only with diagnostics


@dataclass(frozen=True)
class _Checker:
    """What checking a file needs, sent once to each worker process."""

    triages: tuple[RuleTriage, ...]
    rules: tuple[type[Rule], ...] | None  # None: the catalog's, imported once a file needs them
    cache: ResultCache | None
    tokens: TokenScan
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    # Every rule on every file, no triage: the oracle the triage must agree with (FTLINT_EXHAUSTIVE=1).
    exhaustive: bool = False
    _effective: dict[tuple[frozenset[str], bool], list[RuleTriage]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def check(self, task: _Task) -> _Outcome:
        outcome = self._guarded(task, lint=True, defer=False)
        assert outcome is not None
        return outcome

    def known(self, task: _Task) -> _Outcome | None:
        """The outcome of ``task`` when no linting is needed (no rule applies, the cache has
        it, the file cannot be read), else None."""
        return self._guarded(task, lint=False, defer=False)

    def check_or_defer(self, task: _Task) -> _Outcome | None:
        """The outcome of ``task``, or None when only libcst can settle it and another worker
        claimed such files (see ``_in_pool``)."""
        return self._guarded(task, lint=True, defer=True)

    def _guarded(self, task: _Task, *, lint: bool, defer: bool) -> _Outcome | None:
        try:
            return self._check(task, lint=lint, defer=defer)
        except Exception as error:  # noqa: BLE001 - an ftlint bug on one file must not end the run
            message = (
                f"internal error in ftlint while checking this file ({type(error).__name__}: "
                f"{error}); no rule ran on this file; {REPORT}"
            )
            return _Outcome([about_file(InternalError.code, message, task.shown)])

    def _check(self, task: _Task, *, lint: bool, defer: bool) -> _Outcome | None:
        config = is_config(task.path)
        triages = self._in_effect(task.codes, config)
        if not triages:
            return _Outcome([])
        # A YAML/JSON file past the size limit is data (a data set, a tokenizer), never a
        # training configuration: not even read.
        if config and _size(task.path) > self.max_file_size:
            return _Outcome([])
        try:
            raw = read_bytes(task.path)
        except SourceError as error:
            return _Outcome([about_file(UnreadableFile.code, str(error), task.shown)])
        key = None
        # An OpenMMLab config's findings depend on its `_base_` files too: never cached by its
        # own bytes alone. Only a file naming `_base_` can be one (not `_base_model_prefix`, in
        # 41 of transformers' files).
        if self.cache is not None and not (
            INHERITS.encode() in raw and _NAMES_BASES.search(raw) is not None
        ):
            key = self.cache.key(raw, task.path.suffix, task.codes)
            cached = self.cache.load(key, task.shown)
            if cached is not None:
                return _Outcome(cached, self._source(task) if cached else None)
        if not lint:
            return None
        scanned = (
            task.path.suffix.lower() in _SCANNED_SUFFIXES
            and not self.exhaustive
            and wide_bom(raw) is None
        )
        if scanned:
            triages = self.tokens.passing(raw, triages)
        return self._lint(task, triages, key, raw, scanned=scanned, defer=defer)

    def _in_effect(self, codes: frozenset[str], config: bool) -> list[RuleTriage]:
        """The triages of ``codes`` for a configuration file or a Python one, in the catalog's
        order; files share their codes, so this is worked out once per set."""
        key = (codes, config)
        if key not in self._effective:
            self._effective[key] = [
                triage
                for triage in self.triages
                if triage.code in codes and triage.config == config
            ]
        return list(self._effective[key])

    def _lint(
        self,
        task: _Task,
        triages: list[RuleTriage],
        key: str | None,
        raw: bytes,
        *,
        scanned: bool,
        defer: bool,
    ) -> _Outcome | None:
        """Decode ``raw``, the file's bytes, triage it finely (``scanned``: ``triages`` passed
        the token scan), lint it; cache the result under ``key``, the key of ``raw``. None:
        deferred (``defer``: see ``check_or_defer``)."""
        source = None
        diagnostics: list[Diagnostic] = []
        if triages:
            try:
                source = source_of(task.path, task.shown, raw)
            except SourceError as error:
                return _Outcome([about_file(UnreadableFile.code, str(error), task.shown)])
            if self.exhaustive:
                codes = {triage.code for triage in triages}
            else:
                found = scanned and source.encoding in UTF8
                codes = set(admitted(source.text, triages, tokens_found=found))
            # In the catalog's order, the order the rules run and report in.
            admitted_triages = [triage for triage in triages if triage.code in codes]
            # Only parsing costs memory in proportion to the file, so only a file that passes
            # triage can be too large.
            too_large = _too_large(task, source, self.max_file_size) if codes else None
            if too_large is not None:
                return too_large
            if codes and is_config(task.path):
                from ftlint.configfiles.engine import lint_config  # PyYAML: past triage only

                diagnostics = lint_config(source, _rules_of(admitted_triages))
            elif codes:
                linted = self._lint_python(source, admitted_triages, defer=defer)
                if linted is None:
                    return None
                diagnostics = linted
        if (
            self.cache is not None
            and key is not None
            and all(d.code != InternalError.code for d in diagnostics)
        ):
            self.cache.store(key, diagnostics)
        return _Outcome(diagnostics, source if diagnostics else None)

    @collector_paused()
    def _lint_python(
        self, source: SourceFile, triages: list[RuleTriage], *, defer: bool
    ) -> list[Diagnostic] | None:
        """The findings of the rules of ``triages`` in ``source``, a Python file that passed the
        text triage. Only the rules that may report in CPython's tree run (none in the
        exhaustive mode), and libcst is imported only for them; or None when ``defer`` and
        another worker claimed such files."""
        python = python_tree(source.text)
        if not self.exhaustive:
            triages = prefiltered(python, triages, self._may_report)
            if not triages:
                return []
        if defer and _leaves_libcst_to_another():
            return None
        from ftlint.engine import run_rules  # libcst: only for files some rule may report in

        codes = {triage.code for triage in triages}
        rules = (
            _rules_of(triages)
            if self.rules is None
            else [rule for rule in self.rules if rule.code in codes]
        )
        return run_rules(source, rules, prefilter=False, python=python)

    def _may_report(self, triage: RuleTriage, python: PythonTree) -> bool:
        if self.rules is not None:  # rules given as classes, imported already
            return any(rule.may_report(python) for rule in self.rules if rule.code == triage.code)
        return triage.prefilter is None or bool(_named(triage.prefilter)(python))

    @staticmethod
    def _source(task: _Task) -> SourceFile | None:
        try:
            return read_source(task.path, task.shown)
        except SourceError:
            return None


_Indexed = tuple[int, _Task]  # a task and its place among all
# What `_check_in_worker` returns: the outcomes it has (its chunk's, and files left by others),
# and the files of its chunk it left to another worker.
_Checked = tuple[list[tuple[int, _Outcome]], list[int]]

# A worker leaves files only libcst can settle to another while they are rare: one for every
# this many files it has checked. An import (~0.09 s) takes as long as ~500 files no rule matches;
# where such files are common, the worker holding libcst would parse them all while the others
# wait, and each file left is read, triaged and parsed by CPython twice.
_FILES_PER_DEFERRAL = 100

_worker_checker: _Checker | None = None
# In a worker: the pid of the worker that parses the files only libcst can settle (0: none yet)
# and the queue of the files left to it, shared by every worker of the pool; the files this
# worker has checked, and left.
_libcst_claim: Synchronized[int] | None = None
_left_files: Queue[_Indexed] | None = None
_checked_here = _deferred_here = 0


def _libcst_imported() -> bool:
    return "libcst" in sys.modules


def _start_worker(checker: _Checker, claim: Synchronized[int], left: Queue[_Indexed]) -> None:
    global _worker_checker, _libcst_claim, _left_files
    _worker_checker, _libcst_claim, _left_files = checker, claim, left
    # A worker stopping never waits for files it left to be read: a lost one is checked again.
    left.cancel_join_thread()


def _leaves_libcst_to_another() -> bool:
    """Whether this worker leaves a file only libcst can settle to the worker that claimed
    them, not having imported libcst itself, such files being rare (:data:`_FILES_PER_DEFERRAL`).
    The first worker to ask claims them."""
    global _deferred_here
    rare = (_deferred_here + 1) * _FILES_PER_DEFERRAL <= _checked_here
    if _libcst_claim is None or _libcst_imported() or not rare:
        return False
    with _libcst_claim.get_lock():
        if _libcst_claim.value in (0, os.getpid()):
            _libcst_claim.value = os.getpid()
            return False
    _deferred_here += 1
    return True


def _check_left(*, wait: float = 0) -> list[tuple[int, _Outcome]]:
    """The outcomes of the files other workers left, checked here: when this worker holds
    libcst, or when asked to wait for them (``wait`` seconds for the first)."""
    import queue

    assert _worker_checker is not None and _left_files is not None
    checked: list[tuple[int, _Outcome]] = []
    while wait or _libcst_imported():
        try:
            index, task = _left_files.get(timeout=wait) if wait else _left_files.get_nowait()
        except queue.Empty:
            break
        checked.append((index, _worker_checker.check(task)))
        wait = 0
    return checked


def _check_in_worker(chunk: list[_Indexed]) -> _Checked:
    """The outcomes of ``chunk``'s files but those left to the worker holding libcst, and of
    the files others left (checked first and last, when this worker holds libcst)."""
    global _checked_here
    assert _worker_checker is not None and _left_files is not None
    checked, left = _check_left(), []
    for index, task in chunk:
        outcome = _worker_checker.check_or_defer(task)
        if outcome is None:
            _left_files.put((index, task))
            left.append(index)
        else:
            checked.append((index, outcome))
    _checked_here += len(chunk)
    return checked + _check_left(), left


def _check_left_in_worker() -> _Checked:
    return _check_left(wait=_LEFT_IN_TRANSIT), []


def _lost(task: _Task, why: str) -> _Outcome:
    message = (
        f"internal error: the process checking this file stopped ({why}); no rule ran on this "
        f"file; {REPORT}"
    )
    return _Outcome([about_file(InternalError.code, message, task.shown)])


def _check_alone(checker: _Checker, task: _Task, connection: Connection) -> None:
    connection.send(checker.check(task))
    connection.close()


def _stopped(exit_code: int | None) -> str:
    if exit_code is not None and exit_code < 0:
        return f"killed by {signal.Signals(-exit_code).name}"
    return f"exit code {exit_code}"


def _isolated(
    checker: _Checker,
    tasks: list[_Task],
    jobs: int,
    context: DefaultContext | ForkContext | SpawnContext,
) -> list[_Outcome]:
    """Outcomes of ``tasks``, each checked in a process of its own, ``jobs`` at a time: when a
    file kills its process (a crash in native code, the out-of-memory killer), only that file
    is lost."""
    from multiprocessing.connection import wait

    if context.get_start_method() == "fork":
        import ftlint.engine  # noqa: F401 - forked children then start with libcst imported

    outcomes: dict[int, _Outcome] = {}
    running: dict[int, tuple[BaseProcess, Connection]] = {}
    pending = list(enumerate(tasks))[::-1]
    while pending or running:
        while pending and len(running) < jobs:
            index, task = pending.pop()
            receiver, sender = context.Pipe(duplex=False)
            child: BaseProcess = context.Process(target=_check_alone, args=(checker, task, sender))
            child.start()
            sender.close()
            running[index] = (child, receiver)
        ready = set(wait([process.sentinel for process, _ in running.values()]
                         + [receiver for _, receiver in running.values()]))  # fmt: skip
        for index, (process, receiver) in list(running.items()):
            if process.sentinel not in ready and receiver not in ready:
                continue
            # Read before joining: a child whose result fills the pipe waits for it to be read.
            try:
                outcome: _Outcome | None = receiver.recv()
            except EOFError:  # it stopped without sending one: it died
                outcome = None
            process.join()
            receiver.close()
            del running[index]
            if outcome is None:
                outcome = _lost(tasks[index], _stopped(process.exitcode))
            outcomes[index] = outcome
    return [outcomes[index] for index in range(len(tasks))]


def _batches(items: Iterable[_Item], size: int) -> Iterator[list[_Item]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _check_all(checker: _Checker, tasks: Iterator[_Task], jobs: int) -> Iterable[_Outcome]:
    """Outcomes in the order of ``tasks``, whatever the number of processes. ``tasks`` is read
    as it comes: workers start on the first files while the rest are being discovered."""
    first = list(islice(tasks, POOL_MIN_FILES))
    if jobs <= 1 or len(first) < POOL_MIN_FILES:
        return map(checker.check, chain(first, tasks))
    if checker.cache is None:
        return _in_pool(checker, chain(first, tasks), jobs)
    # A warm run is cache hits, cheaper here than the pool's start-up (transformers: 0.31 s
    # against 0.45 s): look files up in this process while they hit, and leave the rest to the
    # pool once a sample of them mostly misses (a cold run pays for one sample).
    looked_up: list[_Task] = []
    outcomes: list[_Outcome | None] = []
    for task in chain(first, tasks):
        looked_up.append(task)
        outcomes.append(checker.known(task))
        if len(outcomes) == _SAMPLE_FILES and outcomes.count(None) > _SAMPLE_FILES // 4:
            break  # cold: the rest to the pool
    missed = [task for task, outcome in zip(looked_up, outcomes) if outcome is None]
    rest = list(islice(tasks, POOL_MIN_FILES))  # empty when every file was looked up
    unknown = chain(missed, rest, tasks)
    checked = iter(
        _in_pool(checker, unknown, jobs)
        if len(missed) + len(rest) >= POOL_MIN_FILES
        else map(checker.check, unknown)
    )
    known = (outcome if outcome is not None else next(checked) for outcome in outcomes)
    return chain(known, checked)


# Seconds a worker waits for a file left by another still on its way to the queue.
_LEFT_IN_TRANSIT = 1.0


def _in_pool(checker: _Checker, tasks: Iterable[_Task], jobs: int) -> list[_Outcome]:
    """Outcomes in the order of ``tasks``, checked by ``jobs`` worker processes.

    Files only libcst can settle are left by every worker to the first one that met such a
    file (``_leaves_libcst_to_another``), through a queue it reads between chunks: one import
    of libcst (~0.09 s) instead of one per worker. Those still in the queue once every chunk is
    done go to any worker."""
    import multiprocessing  # with concurrent.futures, 10 ms of imports a one-file run skips
    from concurrent.futures import Future, ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # Forked workers start in milliseconds with ftlint already imported; macOS and Windows
    # cannot fork safely, and spawn there.
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else None)
    batches = _batches(enumerate(tasks), _CHUNK_FILES)
    chunks = list(islice(batches, jobs))  # no more workers than chunks
    outcomes: dict[int, _Outcome] = {}
    left: set[int] = set()
    broken = False

    def collect(future: Future[_Checked] | None) -> None:
        nonlocal broken
        try:
            if future is not None:
                checked, left_here = future.result()
                outcomes.update(checked)
                left.update(left_here)
                return
        except BrokenProcessPool:
            pass
        # A worker died: every chunk not finished yet fails with it, whichever file killed it,
        # and the pool takes no more. Their files are checked again, one process each.
        broken = True

    claim, left_files = context.Value("q", 0), context.Queue()
    initargs = (checker, claim, left_files)
    with ProcessPoolExecutor(
        len(chunks), mp_context=context, initializer=_start_worker, initargs=initargs
    ) as pool:

        def submit(call: Callable[..., _Checked], *args: Any) -> Future[_Checked] | None:
            try:
                return pool.submit(call, *args)
            except BrokenProcessPool:  # a worker died already: see collect
                return None

        futures = [submit(_check_in_worker, chunk) for chunk in chunks]
        for chunk in batches:  # the files still being discovered
            chunks.append(chunk)
            futures.append(submit(_check_in_worker, chunk))
        for future in futures:
            collect(future)
        # Files left after the worker holding libcst had finished: any worker checks them.
        while not broken and left - outcomes.keys():
            waiting = len(left - outcomes.keys())
            collect(submit(_check_left_in_worker))
            if len(left - outcomes.keys()) == waiting:
                break  # none came: checked again below
    left_files.close()
    lost = [(index, task) for chunk in chunks for index, task in chunk if index not in outcomes]
    if lost:
        # Only when a worker died: checked again, one process each (importing libcst here
        # first, ~0.09 s).
        rechecked = _isolated(checker, [task for _, task in lost], jobs, context)
        outcomes.update(zip((index for index, _ in lost), rechecked, strict=True))
    return [outcomes[index] for index in range(len(outcomes))]


def _tasks(
    paths: Sequence[Path],
    settings: Settings,
    enabled: set[str],
    available: set[str],
    result: CheckResult,
) -> Iterator[_Task]:
    """A task per file under ``paths``, as discovery finds it, counted in ``result.files``."""
    cwd = os.getcwd()
    # Files share their codes: a worker receives each set once per chunk, not once per file.
    shared: dict[frozenset[str], frozenset[str]] = {}
    for path in discover(paths, settings):
        codes = frozenset(enabled - settings.ignored_for(path, available))
        result.files += 1
        yield _Task(path, display_path(path, cwd), shared.setdefault(codes, codes))


def check_paths(
    paths: Sequence[Path],
    settings: Settings,
    enabled: set[str],
    *,
    jobs: int | None = None,
    cache: ResultCache | None = None,
    rules: Sequence[type[Rule]] | None = None,
) -> CheckResult:
    """Lint every file under ``paths`` with the ``enabled`` rules (``rules``: instead of the
    catalog's), on ``jobs`` processes (default: the cores), reusing ``cache`` if given."""
    catalog = catalog_index()
    if rules is None:
        triages, available = catalog.rules, set(catalog.codes)
    else:
        triages = tuple(RuleTriage.of(rule) for rule in rules)
        available = set(catalog.codes) | {rule.code for rule in rules}
    exhaustive = exhaustive_mode()
    checker = _Checker(
        triages,
        None if rules is None else tuple(rules),
        None if exhaustive else cache,
        TokenScan(triage for triage in triages if triage.code in enabled),
        settings.max_file_size,
        exhaustive,
    )
    result = CheckResult()
    tasks = _tasks(paths, settings, enabled, available, result)
    for outcome in _check_all(checker, tasks, default_jobs() if jobs is None else jobs):
        result.diagnostics.extend(outcome.diagnostics)
        if outcome.source is not None:
            result.sources[outcome.source.display_path] = outcome.source
    result.diagnostics.sort(key=lambda d: d.sort_key)
    return result
