"""The extension point for simulators (the Lightning phases use it): what they keep and get."""

from __future__ import annotations

from collections import OrderedDict

import pytest

from ftlint.verify import pipeline, simulators
from ftlint.verify.runtime_check import SimulatedCheck
from ftlint.verify.simulators import SimulationInput, TargetSimulator

received: list[SimulationInput] = []


def _simulate(run: SimulationInput) -> None:
    received.append(run)
    (config,) = [value for value in run.values if isinstance(value, OrderedDict)]
    backbone = run.models["model"].layer4
    run.report(
        "FT105",
        f"simulated {config['epochs']} epochs on {type(backbone).__name__}",
        run.line_span(5),
    )


SIMULATOR = TargetSimulator(keeps=("collections.OrderedDict",), simulate=_simulate)


class SimulatedHere(SimulatedCheck):
    """A check this module's SIMULATOR implements, for files importing torchvision."""

    code = "FT199"
    simulator = "test_simulators"
    triggers = ("torchvision",)


@pytest.fixture
def registered(monkeypatch):
    monkeypatch.setattr(pipeline, "SIMULATED_CHECKS", (*pipeline.SIMULATED_CHECKS, SimulatedHere))
    received.clear()


def test_a_simulator_gets_the_objects_it_keeps_and_reports(registered, verify_code):
    result = verify_code(
        """
        from collections import OrderedDict
        from torchvision.models import resnet18
        model = resnet18()
        config = OrderedDict(epochs=4)
        model.layer1.requires_grad_(False)
        """
    )
    assert result.error is None
    (run,) = received
    assert run.namespace["config"] == {"epochs": 4}
    found = [(d.code, d.location.row, d.message) for d in result.diagnostics if d.code == "FT105"]
    assert ("FT105", 5, "simulated 4 epochs on Sequential") in found


def test_simulators_load_only_for_files_that_import_their_triggers():
    checks = [SimulatedHere]
    assert simulators.load_simulators("import torch\n", checks) == []
    assert simulators.load_simulators("from torchvision.models import resnet18\n", checks) == [
        SIMULATOR
    ]
