"""The extension point for simulators (the Lightning phases use it): which files load them."""

from __future__ import annotations

from ftlint.verify import simulators
from ftlint.verify.runtime_check import SimulatedCheck
from ftlint.verify.simulators import SimulationInput, TargetSimulator


def _simulate(run: SimulationInput) -> None:
    pass


SIMULATOR = TargetSimulator(simulate=_simulate)


class SimulatedHere(SimulatedCheck):
    """A check this module's SIMULATOR implements, for files importing torchvision."""

    code = "FT199"
    simulator = "test_simulators"
    triggers = ("torchvision",)


def test_simulators_load_only_for_files_that_import_their_triggers():
    checks = [SimulatedHere]
    assert simulators.load_simulators("import torch\n", checks) == []
    assert simulators.load_simulators("from torchvision.models import resnet18\n", checks) == [
        SIMULATOR
    ]
