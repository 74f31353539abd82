"""``--fetch-configs``: the one download verify may do, and only when asked — a Hugging Face
model's ``config.json`` (never weights), fetched by the parent into the user's Hugging Face
cache, where the next contained run finds it offline."""

from __future__ import annotations


class HubError(RuntimeError):
    """The configuration could not be fetched."""


def fetch_config(name: str) -> str:
    """Download ``config.json`` of the model ``name`` into the Hugging Face cache; its path."""
    try:
        from huggingface_hub import hf_hub_download
    except ImportError:
        raise HubError("huggingface_hub is not installed (pip install 'ftlint[hf]')") from None
    try:
        return hf_hub_download(name, "config.json")
    except Exception as error:  # noqa: BLE001 - the hub's errors are many; each is reported
        first = str(error).strip().splitlines()
        raise HubError(
            f"{type(error).__name__}: {first[0] if first else ''}".rstrip(": ")
        ) from None
