"""What ftlint knows of transformers' models and Trainer, shared by rules and prefilters: no
import of transformers or libcst."""

from __future__ import annotations

# The model methods that turn checkpointing on, and the keyword of their kwargs dict.
CHECKPOINTING_ENABLE = {
    "gradient_checkpointing_enable": "gradient_checkpointing_kwargs",
    "activation_checkpointing_enable": "activation_checkpointing_kwargs",
}
