"""The configuration front end of `ftlint check`: which YAML/JSON files are read, locations,
output formats, exit codes, `# noqa`, selection, and the pre-commit hook, through the real CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from support import REPO, check_config, check_json, run_ftlint

from ftlint.configfiles import is_config_path

# A LLaMA-Factory recipe whose freeze option is ignored (FT204, row 3).
LORA_WITH_FREEZE = """\
model_name_or_path: meta-llama/Llama-3.2-1B
finetuning_type: lora
freeze_trainable_layers: 4
"""
FT204_MESSAGE = (
    "`freeze_trainable_layers` is ignored: LLaMA-Factory applies the `freeze_*` options only "
    "with `finetuning_type: freeze`, and this config's `finetuning_type` is `lora`, so LoRA "
    "adapters train and every base weight stays frozen"
)

# Tool configurations that hold the very keys the rules look for, each in a place (name,
# directory or content) that says it is no training configuration.
TOOL_CONFIGS = {
    ".github/workflows/train.yml": "on: push\njobs:\n  t:\n    steps: []\n" + LORA_WITH_FREEZE,
    "docker-compose.yml": "services:\n  train: {image: x}\n" + LORA_WITH_FREEZE,
    "compose.yaml": LORA_WITH_FREEZE,
    ".pre-commit-config.yaml": LORA_WITH_FREEZE,
    "environment.yml": LORA_WITH_FREEZE,
    "deploy/job.yaml": "apiVersion: batch/v1\nkind: Job\n" + LORA_WITH_FREEZE,
    "deploy/stack.yaml": "services:\n  web: {image: x}\n" + LORA_WITH_FREEZE,
    "package.json": json.dumps({"peft_type": "LORA", "target_modules": "q_proj,v_proj"}),
}


def _write(directory: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_tool_configurations_are_never_read_as_training_configs(tmp_path):
    _write(tmp_path, {**TOOL_CONFIGS, "configs/lora.yaml": LORA_WITH_FREEZE})
    # Named one by one (as pre-commit passes them) and as a directory.
    for paths in ([tmp_path / name for name in TOOL_CONFIGS], [tmp_path]):
        status, findings = check_json("--no-cache", *paths)
        expected = [] if len(paths) > 1 else [os.path.join("configs", "lora.yaml")]
        assert (status, [os.path.relpath(f["filename"], tmp_path) for f in findings]) == (
            1 if expected else 0,
            expected,
        )


def test_config_paths_by_name():
    assert [is_config_path(Path(p)) for p in (
        "configs/llama3_lora_sft.yaml", "adapter_config.json", "axolotl/qlora.YML",
        ".github/workflows/ci.yml", "docker-compose.override.yml", "tokenizer.json",
        "train.py",
    )] == [True, True, True, False, False, False, False]  # fmt: skip


def test_json_output_of_a_yaml_finding_whole(tmp_path):
    path = tmp_path / "lora.yaml"
    path.write_text(LORA_WITH_FREEZE)
    status, findings = check_json("--no-cache", path)
    assert status == 1
    [finding] = findings
    assert {key: finding[key] for key in ("code", "message", "location", "end_location", "fix")} == {
        "code": "FT204",
        "message": FT204_MESSAGE,
        "location": {"row": 3, "column": 1},
        "end_location": {"row": 3, "column": 27},
        "fix": None,
    }
    assert finding["filename"].endswith("lora.yaml")


def test_text_and_sarif_locations(tmp_path):
    path = tmp_path / "lora.yaml"
    path.write_text(LORA_WITH_FREEZE)
    text = run_ftlint("check", "--no-cache", str(path), cwd=tmp_path)
    assert text.returncode == 1
    assert f"lora.yaml:3:1: FT204 {FT204_MESSAGE}" in text.stdout
    assert "3 | freeze_trainable_layers: 4" in text.stdout
    sarif = run_ftlint("check", "--no-cache", "--output-format", "sarif", "lora.yaml", cwd=tmp_path)
    [result] = json.loads(sarif.stdout)["runs"][0]["results"]
    location = result["locations"][0]["physicalLocation"]
    assert (result["ruleId"], location["artifactLocation"]["uri"], location["region"]) == (
        "FT204",
        "lora.yaml",
        {"startLine": 3, "startColumn": 1, "endLine": 3, "endColumn": 27},
    )


def test_noqa_on_the_yaml_line_and_not_inside_a_quoted_value(tmp_path):
    suppressed = check_config(tmp_path, "a.yaml", LORA_WITH_FREEZE.replace(
        "layers: 4", "layers: 4  # noqa: FT204"))  # fmt: skip
    other_code = check_config(tmp_path, "b.yaml", LORA_WITH_FREEZE.replace(
        "layers: 4", "layers: 4  # noqa: FT205"))  # fmt: skip
    quoted = check_config(tmp_path, "c.yaml", LORA_WITH_FREEZE.replace(
        "freeze_trainable_layers: 4", "freeze_extra_modules: 'norm # noqa: FT204'"))  # fmt: skip
    assert [len(suppressed), len(other_code), len(quoted)] == [0, 1, 1]


def test_selection_and_per_file_ignores(tmp_path):
    _write(tmp_path, {"configs/lora.yaml": LORA_WITH_FREEZE, "pyproject.toml": textwrap.dedent("""
        [tool.ftlint]
        per-file-ignores = {"configs/*.yaml" = ["FT204"]}
        """)})  # fmt: skip
    assert run_ftlint("check", "--no-cache", ".", cwd=tmp_path).returncode == 0
    _write(tmp_path / "other", {"lora.yaml": LORA_WITH_FREEZE})

    def status(*args: str) -> int:
        return run_ftlint("check", "--no-cache", *args, "lora.yaml", cwd=tmp_path / "other").returncode

    assert [status(), status("--ignore", "FT2"), status("--select", "FT205")] == [1, 0, 0]


@pytest.mark.parametrize(
    ("name", "text", "message", "row"),
    [
        ("bad.yaml", "finetuning_type: lora\nfreeze_trainable_layers: [4\n",
         ("cannot parse: invalid YAML: while parsing a flow sequence did not find expected ',' "
          "or ']'; no rule ran on this file"), 3),
        ("adapter_config.json", '{"peft_type": "LORA", "target_modules": "q_proj",}\n',
         ("cannot parse: invalid JSON: Expecting property name enclosed in double quotes; no "
          "rule ran on this file"), 1),
    ],
)  # fmt: skip
def test_invalid_config_is_ft901_exit_2_without_traceback(tmp_path, name, text, message, row):
    (tmp_path / name).write_text(text)
    status, findings = check_json("--no-cache", tmp_path / name)
    assert status == 2
    assert [(f["code"], f["message"], f["location"]["row"]) for f in findings] == [
        ("FT901", message, row)
    ]


def test_invalid_yaml_with_no_rule_token_is_not_parsed(tmp_path):
    (tmp_path / "other.yaml").write_text("key: [unclosed\n")
    assert check_json("--no-cache", tmp_path / "other.yaml") == (0, [])


def test_checking_yaml_never_imports_a_framework(tmp_path):
    (tmp_path / "lora.yaml").write_text(LORA_WITH_FREEZE)
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from ftlint.cli import main\n"
        f"result = CliRunner().invoke(main, ['check', '--no-cache', {str(tmp_path)!r}])\n"
        "assert result.exit_code == 1, result.output\n"
        "print(','.join(m for m in ('torch', 'lightning', 'peft', 'transformers', 'detectron2',"
        " 'mmengine') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout.strip()) == (0, ""), result.stderr


def test_pre_commit_hook_checks_training_yaml_and_skips_workflows(tmp_path):
    pre_commit = shutil.which("pre-commit", path=os.path.dirname(sys.executable))
    assert pre_commit, "pre-commit is a test dependency"
    project = tmp_path / "project"
    _write(project, {**TOOL_CONFIGS, "configs/lora.yaml": LORA_WITH_FREEZE})
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid",
        "NO_COLOR": "1",
    }  # fmt: skip
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run(["git", "add", "."], cwd=project, check=True)
    result = subprocess.run(
        [pre_commit, "try-repo", str(REPO), "ftlint", "--all-files", "--color", "never"],
        cwd=project, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert f"configs/lora.yaml:3:1: FT204 {FT204_MESSAGE}" in output
    assert "workflows" not in output and "compose" not in output


def test_verify_never_runs_a_configuration_as_python(tmp_path):
    # Valid YAML and valid Python: run as a script, the annotation would create the marker.
    (tmp_path / "lora.yaml").write_text(
        LORA_WITH_FREEZE + "output_dir: open('marker', 'w')\n"
    )
    (tmp_path / "train.py").write_text("import os\n")
    # verify builds the model it names (not cached in this empty hub cache) instead.
    empty_hub = {"HF_HUB_CACHE": str(tmp_path / "hub")}
    named = run_ftlint("verify", "lora.yaml", cwd=tmp_path, env=empty_hub)
    assert (named.returncode, (tmp_path / "marker").exists()) == (2, False)
    assert (
        "could not verify: line 1: 'meta-llama/Llama-3.2-1B' has no config.json on this machine"
    ) in named.stdout
    assert f"lora.yaml:3:1: FT204 {FT204_MESSAGE}" in named.stdout
    directory = run_ftlint("verify", ".", cwd=tmp_path)
    assert ("lora.yaml" in directory.stdout, (tmp_path / "marker").exists()) == (False, False)
    assert "train.py" in directory.stdout


def test_interpolated_values_are_never_judged(tmp_path):
    # A template filled in at run time (axolotl's RunPod config), and OmegaConf interpolation.
    assert check_config(tmp_path, "template.yaml", """
        base_model: ${BASE_MODEL}
        lora_target_modules:
          - ${LORA_TARGET_MODULES}
        unfrozen_parameters:
          - ${UNFROZEN}
        """) == []
    assert check_config(tmp_path, "lf.yaml", """
        model_name_or_path: x
        stage: sft
        finetuning_type: ${oc.env:FT_TYPE}
        freeze_trainable_layers: 4
        """) == []
    # The twin: the same recipe with the value written out.
    found = check_config(tmp_path, "lf2.yaml", """
        model_name_or_path: x
        stage: sft
        finetuning_type: lora
        freeze_trainable_layers: 4
        """)
    assert [(d.code, d.location.row) for d in found] == [("FT204", 4)]


def test_a_configuration_past_max_file_size_is_data_and_not_read(tmp_path):
    (tmp_path / "lora.yaml").write_text(LORA_WITH_FREEZE)  # 93 bytes
    assert check_json("--no-cache", "--max-file-size", "64", tmp_path / "lora.yaml") == (0, [])
    status, findings = check_json("--no-cache", "--max-file-size", "1k", tmp_path / "lora.yaml")
    assert (status, [f["code"] for f in findings]) == (1, ["FT204"])
