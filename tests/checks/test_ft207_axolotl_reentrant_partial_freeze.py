"""FT207 beyond its own examples: the whole message, and traps."""

from __future__ import annotations

from support import check_config, found_at


def test_whole_message(tmp_path):
    found = check_config(tmp_path, "axolotl.yml", """
        base_model: meta-llama/Llama-3.2-1B
        unfrozen_parameters: ["^model.layers.1."]
        gradient_checkpointing_kwargs: {use_reentrant: true}
        """)
    assert found_at(found) == [(
        "FT207", 3, 33,
        (
            "`use_reentrant: true` with `unfrozen_parameters`: reentrant checkpointing gives a "
            "checkpointed layer's parameters a gradient only when its inputs require grad, and with "
            "the embeddings frozen they do not, so the unfrozen parameters inside checkpointed "
            "layers would get none; axolotl refuses this config when it validates it. Set "
            "`use_reentrant: false`"
        ),
    )]  # fmt: skip


def test_empty_unfrozen_list_is_silent(tmp_path):
    assert check_config(tmp_path, "axolotl.yml", """
        base_model: meta-llama/Llama-3.2-1B
        unfrozen_parameters: []
        gradient_checkpointing_kwargs: {use_reentrant: true}
        """) == []
