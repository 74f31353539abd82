"""Stand-ins Hugging Face libraries accept: a real tokenizer, a real dataset.

A :class:`~ftlint.verify.stand_ins.StandIn` answers anything, but TRL's trainers check the types
they are handed (``train_dataset must be a Dataset``, ``processing_class must be a
PreTrainedTokenizerBase``) and peft tokenizes a prompt-tuning init text and repeats the ids it
gets. So a tokenizer whose files are missing is a real ``PreTrainedTokenizerFast`` built in
memory, and a dataset ``datasets.load_dataset`` cannot read is a real ``datasets.Dataset`` of
:data:`~ftlint.verify.stand_ins.STAND_IN_SIZE` rows, so the trainers construct (TRL applies the
peft config inside ``SFTTrainer.__init__``: the adapter counts depend on it).

The tokenizer splits text into bytes (every text tokenizes); its vocabulary is the model's
``vocab_size`` when the model's config.json is on this machine, so ``len(tokenizer)`` and a
``resize_token_embeddings(len(tokenizer))`` keep the model's shapes (else it has 256 byte tokens
and the special tokens below); special tokens and settings the script passes are applied, and a
ChatML chat template answers ``apply_chat_template`` unless the script sets its own. Token ids
and lengths are not the real ones: nothing verify counts depends on them.

The dataset has a ``text`` column (TRL's default text field) and a ``label`` column of two
classes, and grows any column the script names (``remove_columns=["idx", "sentence1"]``, a
``map`` function reading ``rows["sentence1"]``); a ``DatasetDict`` answers any split.

Both are marked (:func:`ftlint.verify.stand_ins.mark`), and what is asked of the dataset counts
as touching a stand-in: a top-level statement failing on them (``features["Label"]``, a feature
the rows lack) is skipped as one failing on any stand-in.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Mapping
from typing import Any

from ftlint.verify.stand_ins import STAND_IN_SIZE, StandIn, class_names, mark

# The special tokens of the stand-in tokenizer (RoBERTa's set: the pad, mask, cls and sep tokens
# collators and sequence-pair scripts ask for).
_SPECIAL_TOKENS = {
    "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
    "mask_token": "<mask>", "cls_token": "<s>", "sep_token": "</s>",
}  # fmt: skip
# Settings of `from_pretrained` a tokenizer takes at construction (the others are about loading).
_TOKENIZER_SETTINGS = frozenset({
    "additional_special_tokens", "extra_special_tokens", "padding_side", "truncation_side",
    "model_max_length", "chat_template", "clean_up_tokenization_spaces", "model_input_names",
})  # fmt: skip
_CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n'"
    " + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
STAND_IN_TEXT = "text missing: verify has no data"


def tokenizer(name: str, options: Mapping[str, Any]) -> Any:
    """A byte-level tokenizer standing in for ``name``'s, with the ``options`` that configure a
    tokenizer (special tokens, padding side...) applied."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    specials = {**_SPECIAL_TOKENS, **{k: v for k, v in options.items() if k.endswith("_token")}}
    vocabulary = {token: index for index, token in enumerate(dict.fromkeys(
        str(token) for token in specials.values() if token is not None
    ))}  # fmt: skip
    for byte in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocabulary.setdefault(byte, len(vocabulary))
    for index in range(len(vocabulary), _vocab_size(name)):  # the model's own size
        vocabulary[f"<unused_{index}>"] = index
    backend = Tokenizer(models.BPE(vocabulary, [], unk_token=str(specials["unk_token"])))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    settings = {k: v for k, v in options.items() if k in _TOKENIZER_SETTINGS}
    made = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]  # its __init__ is unannotated
        tokenizer_object=backend, name_or_path=name, **specials, **settings
    )
    if made.chat_template is None:
        made.chat_template = _CHATML
    return mark(made)


def _vocab_size(name: str) -> int:
    """The vocabulary size in ``name``'s config.json on this machine, else 0."""
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(name)
    except Exception:  # noqa: BLE001 - no config here: the byte vocabulary only
        return 0
    size = getattr(config.get_text_config(), "vocab_size", 0)
    return size if isinstance(size, int) else 0


def dataset(split: object = None, **options: object) -> Any:
    """The rows standing in for a dataset: a ``Dataset`` for one ``split`` (a list for a list),
    else every split; the reader's other ``options`` change nothing."""
    rows, splits = _dataset_classes()
    if isinstance(split, (list, tuple)):  # load_dataset(..., split=["train", "test"])
        return [rows.made() for _ in split]
    if split is not None:
        return rows.made()
    return mark(splits({name: rows.made() for name in ("train", "validation", "test")}))


# Parameters of Dataset methods that name columns (`map(remove_columns=...)`, `rename_column`...).
_COLUMN_PARAMETERS = (
    "column_names", "original_column_name", "column_mapping", "column", "remove_columns",
    "input_columns",
)  # fmt: skip


@functools.cache
def _dataset_classes() -> tuple[Any, Any]:
    """The stand-in ``Dataset`` and ``DatasetDict`` classes, made when a script uses datasets.

    What is asked of them counts as touching a stand-in (``StandIn.touches``), as with any
    stand-in: a statement failing after that failed for want of data. A column the script
    names that the rows lack is added (:func:`_column`), wherever it is named: ``rows["col"]``,
    a method's column argument, a ``map`` or ``filter`` function reading it (the call is
    retried); what the methods return stands in too. ``features["Label"]`` is not grown: a
    top-level statement failing there is skipped."""
    from datasets import Dataset, DatasetDict, Features, Value

    def adopted(value: Any) -> Any:
        """``value`` made of stand-in classes: the datasets a stand-in's method returns."""
        if type(value) is Dataset:
            value.__class__ = Rows
        elif type(value) is DatasetDict:
            value.__class__ = AnySplit
        if isinstance(value, (list, DatasetDict)):
            for item in value.values() if isinstance(value, dict) else value:
                adopted(item)
        return mark(value) if isinstance(value, (Rows, AnySplit)) else value

    class Rows(Dataset):  # type: ignore[misc]  # datasets is untyped here
        calling = False  # in a method call of a stand-in's

        def __getattribute__(self, name: str) -> Any:
            StandIn.touches += 1
            value = super().__getattribute__(name)
            if name.startswith("_") or name in vars(Rows) or not inspect.ismethod(value):
                return value
            return functools.partial(self.called, value)

        def __getitem__(self, key: Any) -> Any:
            if isinstance(key, str):
                self.grow([key])
            return super().__getitem__(key)

        def called(self, method: Any, *args: Any, **kwargs: Any) -> Any:
            if Rows.calling:  # datasets calling itself (`filter` maps): the outer call retries
                return method(*args, **kwargs)
            Rows.calling = True
            try:
                return self.retried(method, *args, **kwargs)
            finally:
                Rows.calling = False

        def retried(self, method: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                named = inspect.signature(method).bind_partial(*args, **kwargs).arguments
            except TypeError:  # the method raises it, as it would
                named = {}
            for parameter in _COLUMN_PARAMETERS:
                columns = named.get(parameter)
                self.grow([columns] if isinstance(columns, str) else list(columns or ()))
            if "num_proc" in named:  # 2 rows: in this process (the class is not importable)
                kwargs["num_proc"] = None
            while True:
                try:
                    return adopted(method(*args, **kwargs))
                except KeyError as error:  # a function reading a column the rows lack
                    key = error.args[0] if error.args else None
                    if not isinstance(key, str) or key in self.column_names:
                        raise
                    self.grow([key])

        def grow(self, names: list[Any]) -> None:
            """Add the columns ``names`` that are missing, in place."""
            for name in names:
                if isinstance(name, str) and name not in super().__getattribute__("column_names"):
                    feature, values = _column(name, Dataset.__len__(self))
                    grown = Dataset.add_column(self, name, values, feature=feature)
                    self.__dict__.update(grown.__dict__)

        @classmethod
        def made(cls) -> Any:
            rows = cls.from_dict(
                {"text": [STAND_IN_TEXT] * STAND_IN_SIZE},
                features=Features({"text": Value("string")}),
            )
            rows.grow(["label"])
            return mark(rows)

    class AnySplit(DatasetDict):  # type: ignore[misc]
        """Answers the splits the script names that were not made up front
        (``validation_matched``)."""

        def __getattribute__(self, name: str) -> Any:
            StandIn.touches += 1
            value = super().__getattribute__(name)
            if name.startswith("_") or not inspect.ismethod(value):
                return value
            return lambda *args, **kwargs: adopted(value(*args, **kwargs))

        def __getitem__(self, key: Any) -> Any:
            StandIn.touches += 1
            return super().__getitem__(key)

        def __missing__(self, key: str) -> Any:
            self[key] = Rows.made()
            return self[key]

    return Rows, AnySplit


def _column(name: str, rows: int) -> tuple[Any, list[Any]]:
    """The feature and ``rows`` values of a column the stand-in rows did not have: classes for
    a label (``label``, ``Label``, ``labels``...), an index for ``idx`` or ``id``, else text."""
    from datasets import ClassLabel, Value

    if "label" in name.lower():
        return ClassLabel(names=class_names()), [row % STAND_IN_SIZE for row in range(rows)]
    if name.lower() in ("idx", "id"):
        return Value("int64"), list(range(rows))
    return Value("string"), [STAND_IN_TEXT] * rows
