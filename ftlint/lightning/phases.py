"""Phase simulation: what a Lightning finetuning callback does to a module, epoch by epoch.

``simulate_phases`` runs the callback's own code on a module that is already built (on the
meta device, by ``ftlint verify``), in the order of a real ``Trainer.fit`` (Lightning 2.6):

1. ``BaseFinetuning.setup`` calls ``freeze_before_training(pl_module)``;
2. the strategy then calls ``configure_optimizers``, which therefore sees the frozen model;
3. every ``on_train_epoch_start`` calls ``finetune_function(pl_module, epoch, optimizer)`` for
   each optimizer.

No Trainer, no data, no forward pass. The callback's ``setup``/``on_fit_start`` are not run:
beyond step 1 they only check the strategy and restore checkpoint state. The module and the
callback change as they would in a fit.

"Backbone" below means what ``freeze_before_training`` froze (BatchNorm excluded), with the
BatchNorm layers that sit beside it (in a parent module holding a tensor it froze).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import torch
from torch.nn.modules.batchnorm import _BatchNorm
from torch.overrides import TorchFunctionMode

from ftlint.lightning._compat import configure_optimizers_output
from ftlint.lightning.ft108_train_bn_phase_mismatch import TrainBnPhaseMismatch
from ftlint.runtime.report import block_of
from ftlint.text import align_columns, format_names, plural
from ftlint.verify.checks.ft106_optimizer_coverage import OptimizerCoverage

if TYPE_CHECKING:
    from torch.nn import Parameter
    from torch.optim import Optimizer

    from ftlint.lightning._compat import BaseFinetuning, LightningModule

__all__ = [
    "PHASE_HEADINGS",
    "OptimizerBlock",
    "Phase",
    "PhaseFinding",
    "PhaseReport",
    "PhaseSimulationError",
    "Share",
    "simulate_phases",
]

PHASE_HEADINGS = (
    "phase", "epochs", "backbone trainable", "BatchNorm trainable", "BatchNorm updating stats",
    "optimizer",
)  # fmt: skip

# Lightning's Trainer runs this many epochs when given neither max_epochs nor max_steps.
DEFAULT_MAX_EPOCHS = 1000

_Result = TypeVar("_Result")


class PhaseSimulationError(RuntimeError):
    """The module's or the callback's own code failed while being simulated."""


@dataclass(frozen=True)
class Share:
    """``count`` of ``total`` tensors (or layers) are in some state."""

    count: int
    total: int

    def __str__(self) -> str:
        if self.total == 0:
            return "-"
        if self.count in (0, self.total):
            return f"{'yes' if self.count else 'no'} ({self.count}/{self.total})"
        return f"{self.count}/{self.total}"


@dataclass(frozen=True)
class OptimizerBlock:
    """The tensors of one top-level block that the optimizers hold."""

    block: str
    tensors: int
    batchnorm_tensors: int

    def __str__(self) -> str:
        batchnorm = f" ({self.batchnorm_tensors} BatchNorm)" if self.batchnorm_tensors else ""
        return f"{self.block} {self.tensors}{batchnorm}"


@dataclass(frozen=True)
class Phase:
    """Epochs ``first_epoch``..``last_epoch``, during which the freeze state does not change."""

    name: str  # "frozen phase", "after unfreeze", "after unfreeze 2", ...
    first_epoch: int
    last_epoch: int
    backbone_trainable: Share  # backbone tensors (BatchNorm excluded) that require grad
    batchnorm_trainable: Share  # backbone BatchNorm weights/biases that an optimizer updates
    batchnorm_grad_only: int  # ... that require grad but are in no optimizer: never updated
    batchnorm_updating_stats: Share  # backbone BatchNorm layers updating running statistics
    optimizer_groups: int
    optimizer_blocks: tuple[OptimizerBlock, ...]

    @property
    def epochs(self) -> str:
        if self.first_epoch == self.last_epoch:
            return str(self.first_epoch)
        return f"{self.first_epoch}-{self.last_epoch}"


@dataclass(frozen=True)
class PhaseFinding:
    code: str  # FT108 (train-bn-phase-mismatch) or FT106 (optimizer-coverage)
    phase: str  # the name of the Phase it is about
    message: str


@dataclass(frozen=True)
class PhaseReport:
    module_name: str
    callback_name: str
    train_bn: bool | None  # None: the callback has no boolean `train_bn`
    phases: tuple[Phase, ...]
    findings: tuple[PhaseFinding, ...]

    @property
    def callback(self) -> str:
        """The callback as a user wrote it, as far as it matters here."""
        if self.train_bn is None:
            return self.callback_name
        return f"{self.callback_name}(train_bn={self.train_bn})"

    @property
    def caption(self) -> str:
        return f"{self.module_name} with {self.callback}, epochs 0-{self.phases[-1].last_epoch}"

    @property
    def rows(self) -> tuple[tuple[str, ...], ...]:
        """The phase table's cells, one row per phase, under :data:`PHASE_HEADINGS`."""
        return tuple(_cells(phase) for phase in self.phases)

    def render(self) -> str:
        """The phase table, then one line per finding."""
        lines = [self.caption, align_columns([PHASE_HEADINGS, *self.rows])]
        if self.findings:
            lines.append("")
            lines.extend(f"{f.code} {f.phase}: {f.message}" for f in self.findings)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


def _cells(phase: Phase) -> tuple[str, ...]:
    batchnorm = str(phase.batchnorm_trainable)
    if phase.batchnorm_grad_only:
        batchnorm += f", {phase.batchnorm_grad_only} require grad in no optimizer"
    optimizer = "none"
    if phase.optimizer_groups:
        blocks = ", ".join(str(block) for block in phase.optimizer_blocks)
        optimizer = f"{plural(phase.optimizer_groups, 'group')}: {blocks}"
    return (
        phase.name, phase.epochs, str(phase.backbone_trainable), batchnorm,
        str(phase.batchnorm_updating_stats), optimizer,
    )  # fmt: skip


def simulate_phases(
    pl_module: LightningModule,
    callback: BaseFinetuning,
    *,
    max_epochs: int = DEFAULT_MAX_EPOCHS,
) -> PhaseReport:
    """Run ``callback``'s freeze and unfreeze code on ``pl_module`` for epochs 0..max_epochs-1.

    Raises PhaseSimulationError when the module's or the callback's code fails (for example a
    ``configure_optimizers`` that needs ``self.trainer``).
    """
    if max_epochs < 1:
        raise ValueError(f"max_epochs must be at least 1, got {max_epochs}")
    return _Simulation(pl_module, callback).run(max_epochs)


@dataclass(frozen=True)
class _State:
    """What the freeze state is made of; a phase ends when it changes."""

    trainable: frozenset[str]
    in_optimizer: frozenset[str]
    updating_stats: frozenset[str]  # BatchNorm layers
    optimizer_groups: int


@dataclass(frozen=True)
class _PhaseStart:
    first_epoch: int
    unfreezes: int  # state changes before it: 0 for the frozen phase
    state: _State


class _Simulation:
    def __init__(self, pl_module: LightningModule, callback: BaseFinetuning) -> None:
        self.pl_module = pl_module
        self.callback = callback
        train_bn = getattr(callback, "train_bn", None)
        self.train_bn = train_bn if isinstance(train_bn, bool) else None
        self.parameters: dict[str, Parameter] = dict(pl_module.named_parameters())
        self.batchnorms = {
            name: module
            for name, module in pl_module.named_modules()
            if isinstance(module, _BatchNorm)  # what Lightning's freeze() treats as BatchNorm
        }
        self.batchnorm_tensors = {
            f"{layer}.{name}": layer
            for layer, module in self.batchnorms.items()
            for name, _ in module.named_parameters(recurse=False)
        }
        self.optimizers: list[Optimizer] = []
        # Filled once freeze_before_training ran.
        self.backbone_tensors: frozenset[str] = frozenset()
        self.backbone_batchnorm_tensors: frozenset[str] = frozenset()
        # Backbone BatchNorm layer -> the backbone tensors beside it.
        self.backbone_batchnorms: dict[str, frozenset[str]] = {}

    def run(self, max_epochs: int) -> PhaseReport:
        trainable_before = self._trainable()
        _run("freeze_before_training", self.callback.freeze_before_training, self.pl_module)
        self.optimizers = _run("configure_optimizers", _optimizers, self.pl_module)
        self._find_backbone(frozen=trainable_before - self._trainable())

        starts = [_PhaseStart(0, 0, self._state())]
        re_added: dict[frozenset[str], list[int]] = {}
        for epoch in range(max_epochs):
            held = self._finetune(epoch)
            if held:
                re_added.setdefault(held, []).append(epoch)
            state = self._state()
            if state == starts[-1].state:
                continue
            if starts[-1].first_epoch == epoch:  # a phase that lasted no epoch
                starts.pop()
            starts.append(_PhaseStart(epoch, starts[-1].unfreezes + 1 if starts else 1, state))

        phases = self._phases(starts, max_epochs)
        findings = [
            finding
            for start, phase in zip(starts, phases)
            for finding in self._phase_findings(start.state, phase)
        ]
        findings.extend(self._re_added_findings(re_added, phases))
        return PhaseReport(
            module_name=type(self.pl_module).__name__,
            callback_name=type(self.callback).__name__,
            train_bn=self.train_bn,
            phases=phases,
            findings=tuple(findings),
        )

    def _trainable(self) -> frozenset[str]:
        return frozenset(name for name, p in self.parameters.items() if p.requires_grad)

    def _find_backbone(self, frozen: frozenset[str]) -> None:
        self.backbone_tensors = frozen - self.batchnorm_tensors.keys()
        for layer in self.batchnorms:
            parent = layer.rpartition(".")[0]
            beside = {name for name in frozen if not parent or name.startswith(parent + ".")}
            if beside:
                self.backbone_batchnorms[layer] = frozenset(beside & self.backbone_tensors)
        self.backbone_batchnorm_tensors = frozenset(
            name for name, layer in self.batchnorm_tensors.items()
            if layer in self.backbone_batchnorms
        )  # fmt: skip

    def _finetune(self, epoch: int) -> frozenset[str]:
        """Run the epoch's unfreeze step; return the parameters it re-added to an optimizer."""
        equal = _IdentityEqualOnMeta()
        # Lightning warns about re-added parameters; the findings say it with names.
        with warnings.catch_warnings(), equal:
            warnings.simplefilter("ignore")
            for optimizer in self.optimizers:
                _run(
                    f"finetune_function at epoch {epoch}",
                    self.callback.finetune_function,
                    self.pl_module,
                    epoch,
                    optimizer,
                )
        return frozenset(name for name, p in self.parameters.items() if id(p) in equal.identical)

    def _state(self) -> _State:
        held = {id(p) for o in self.optimizers for group in o.param_groups for p in group["params"]}
        return _State(
            trainable=self._trainable(),
            in_optimizer=frozenset(name for name, p in self.parameters.items() if id(p) in held),
            updating_stats=frozenset(
                name
                for name, module in self.batchnorms.items()
                if module.training and module.track_running_stats
            ),
            optimizer_groups=sum(len(optimizer.param_groups) for optimizer in self.optimizers),
        )

    def _phases(self, starts: Sequence[_PhaseStart], max_epochs: int) -> tuple[Phase, ...]:
        last_epochs = [start.first_epoch - 1 for start in starts[1:]] + [max_epochs - 1]
        several_unfreezes = starts[-1].unfreezes > 1
        return tuple(
            self._phase(
                _phase_name(start.unfreezes, several_unfreezes),
                start.first_epoch,
                last_epoch,
                start.state,
            )
            for start, last_epoch in zip(starts, last_epochs)
        )

    def _phase(self, name: str, first_epoch: int, last_epoch: int, state: _State) -> Phase:
        requiring_grad = self.backbone_batchnorm_tensors & state.trainable
        blocks: dict[str, list[str]] = {}
        for tensor in self._ordered(state.in_optimizer):
            blocks.setdefault(block_of(tensor, 1), []).append(tensor)
        return Phase(
            name=name,
            first_epoch=first_epoch,
            last_epoch=last_epoch,
            backbone_trainable=_share(
                self.backbone_tensors & state.trainable, self.backbone_tensors
            ),
            batchnorm_trainable=_share(
                requiring_grad & state.in_optimizer, self.backbone_batchnorm_tensors
            ),
            batchnorm_grad_only=len(requiring_grad - state.in_optimizer),
            batchnorm_updating_stats=_share(
                self.backbone_batchnorms.keys() & state.updating_stats, self.backbone_batchnorms
            ),
            optimizer_groups=state.optimizer_groups,
            optimizer_blocks=tuple(
                OptimizerBlock(block, len(tensors), len(self.batchnorm_tensors.keys() & tensors))
                for block, tensors in blocks.items()
            ),
        )

    def _ordered(self, names: Collection[str]) -> list[str]:
        """``names`` in the module's own order."""
        return [name for name in self.parameters if name in names]

    def _phase_findings(self, state: _State, phase: Phase) -> list[PhaseFinding]:
        findings = []
        mismatch = self._train_bn_mismatch(state, phase)
        if mismatch:
            findings.append(PhaseFinding(TrainBnPhaseMismatch.code, phase.name, mismatch))
        # With train_bn=False, Lightning's unfreeze makes BatchNorm require grad but keeps it
        # out of the optimizer on purpose; whether BatchNorm trains is FT108's business then.
        deliberately_left_out = self.backbone_batchnorm_tensors if self.train_bn is False else set()
        left_out = self._ordered(state.trainable - state.in_optimizer - deliberately_left_out)
        if left_out:
            findings.append(
                PhaseFinding(
                    OptimizerCoverage.code,
                    phase.name,
                    f"during epochs {phase.epochs}, {plural(len(left_out), 'trainable tensor')}"
                    f" are in no optimizer param group, so they never update"
                    f" ({format_names(left_out)}). configure_optimizers runs after"
                    " freeze_before_training: build the optimizer from the parameters that"
                    " require grad then, and let finetune_function add the rest with"
                    " unfreeze_and_add_param_group",
                )
            )
        return findings

    def _train_bn_mismatch(self, state: _State, phase: Phase) -> str | None:
        setting = f"{type(self.callback).__name__} has train_bn={self.train_bn}"
        if self.train_bn:
            frozen = self._ordered(self.backbone_batchnorm_tensors - state.trainable)
            if not frozen:
                return None
            return (
                f"{setting}, but during epochs {phase.epochs},"
                f" {plural(len(frozen), 'BatchNorm weight/bias tensor')} of the backbone are"
                f" frozen ({format_names(frozen)}). Pass train_bn=self.train_bn to self.freeze"
                " and self.unfreeze_and_add_param_group"
            )
        if self.train_bn is None:
            return None
        trained = self._ordered(
            self.backbone_batchnorm_tensors & state.trainable & state.in_optimizer
        )
        updating_beside_frozen = [
            layer
            for layer, beside in self.backbone_batchnorms.items()
            if layer in state.updating_stats and not beside & state.trainable
        ]
        facts = []
        if trained:
            facts.append(
                f"{plural(len(trained), 'BatchNorm weight/bias tensor')} of the backbone train"
                f" (they require grad and are in the optimizer: {format_names(trained)})"
            )
        if updating_beside_frozen:
            facts.append(
                f"{plural(len(updating_beside_frozen), 'BatchNorm layer')} update their running"
                f" statistics beside frozen layers ({format_names(updating_beside_frozen)})"
            )
        if not facts:
            return None
        cause = ""
        if phase.first_epoch > 0 and trained:
            cause = (
                " They joined the optimizer when configure_optimizers ran, as they required grad"
                " then; unfreeze_and_add_param_group(train_bn=False) only keeps them out of the"
                " new param group."
            )
        return (
            f"{setting}, but during epochs {phase.epochs}, {' and '.join(facts)}.{cause} Fix:"
            " freeze_before_training must call self.freeze(..., train_bn=self.train_bn), which"
            " Lightning's BackboneFinetuning does not (issue #21531)"
        )

    def _re_added_findings(
        self, re_added: Mapping[frozenset[str], list[int]], phases: Sequence[Phase]
    ) -> list[PhaseFinding]:
        findings = []
        for names, epochs in re_added.items():
            phase = next(phase for phase in phases if phase.last_epoch >= epochs[0])
            later = (
                f" (and again at {plural(len(epochs) - 1, 'later epoch')})" if epochs[1:] else ""
            )
            ordered = self._ordered(names)
            findings.append(
                PhaseFinding(
                    OptimizerCoverage.code,
                    phase.name,
                    f"finetune_function at epoch {epochs[0]}{later} adds"
                    f" {plural(len(ordered), 'tensor')} the optimizer already holds"
                    f" ({format_names(ordered)}): Lightning skips them, so they keep the"
                    " learning rate of the param group they were in, not the new group's. They"
                    " required grad when configure_optimizers ran: freeze them in"
                    " freeze_before_training, or build the optimizer from the parameters outside the"
                    " backbone",
                )
            )
        return findings


def _phase_name(unfreezes: int, several_unfreezes: bool) -> str:
    if unfreezes == 0:
        return "frozen phase"
    return f"after unfreeze {unfreezes}" if several_unfreezes else "after unfreeze"


def _share(part: Collection[Any], whole: Collection[Any]) -> Share:
    return Share(len(part), len(whole))


def _run(step: str, function: Callable[..., _Result], *args: Any) -> _Result:
    try:
        return function(*args)
    except Exception as error:
        raise PhaseSimulationError(f"{step} failed: {type(error).__name__}: {error}") from error


def _optimizers(pl_module: LightningModule) -> list[Optimizer]:
    output = pl_module.configure_optimizers()
    # Lightning then fits without an optimizer, and never calls finetune_function.
    if output is None:
        return []
    optimizers, _schedulers, _monitor = configure_optimizers_output(output)  # type: ignore[arg-type]  # Lightning types this output as Sequence/TypedDict, its parser as list/dict
    return list(optimizers)


class _IdentityEqualOnMeta(TorchFunctionMode):
    """``torch.equal`` as Lightning's ``filter_on_optimizer`` needs it on meta tensors.

    ``filter_on_optimizer`` skips a parameter an optimizer already holds by comparing values
    with ``torch.equal``, which has no meta kernel. Meta tensors have no values, so identity
    (what that check is for) answers. Identical pairs are recorded on every device.
    """

    def __init__(self) -> None:
        super().__init__()
        self.identical: set[int] = set()  # ids of parameters compared with themselves

    def __torch_function__(
        self,
        func: Callable[..., Any],
        types: Collection[type],
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
    ) -> Any:
        if func is torch.equal and len(args) == 2:
            held, candidate = args
            if held is candidate:
                self.identical.add(id(held))
            if held.is_meta or candidate.is_meta:
                return held is candidate
        return func(*args, **(kwargs or {}))
