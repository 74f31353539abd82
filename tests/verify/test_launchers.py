"""accelerate's launchers run the training function once, in verify's child
(ftlint.verify.launchers): a launch of several processes would need a network port."""

from __future__ import annotations

LAUNCHED = """
    import torch
    from accelerate import notebook_launcher
    from torch import nn

    def training_loop(width):
        model = nn.Sequential(nn.Linear(width, 4), nn.Linear(4, 2))
        model[0].requires_grad_(False)
        assert width == 8, "launched with its args"
        torch.optim.SGD(model.parameters(), lr=0.1).step()

    notebook_launcher(training_loop, args=(WIDTH,), num_processes=2)
    """


def test_notebook_launcher_runs_the_function_once_in_the_child(verify_code):
    result = verify_code(LAUNCHED.replace("WIDTH", "8"))
    (model,) = result.models
    assert [(p.shape, p.trainable) for p in model.freeze_map.parameters] == [
        ((4, 8), False),
        ((4,), False),
        ((2, 4), True),
        ((2,), True),
    ]
    assert (result.stopped, result.notes) == (
        "line 9: SGD.step()",
        [
            (
                "line 11: notebook_launcher(training_loop) ran training_loop once, in this process"
                " (every process it would start trains the same parameters)"
            )
        ],
    )


def test_the_launched_functions_own_failure_is_reported_at_its_line(verify_code):
    result = verify_code(LAUNCHED.replace("WIDTH", "3"))
    assert result.error == (
        "line 8: AssertionError: launched with its args; the models built before it are shown as"
        " they stood"
    )
