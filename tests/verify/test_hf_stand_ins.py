"""Stand-ins Hugging Face libraries accept (ftlint/verify/hf_stand_ins.py): a real tokenizer for
one whose files are missing, a real ``datasets.Dataset`` for data ``load_dataset`` cannot read.
The objects themselves first, then TRL and peft scripts of our own through the real CLI, in a
hub cache that has a tiny Llama's config.json and no tokenizer file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import Workspace, entry, hub_config, target

from ftlint.verify import hf_stand_ins
from ftlint.verify.stand_ins import StandIn, is_stand_in

# Tiny Llama: per layer 4 * 16 * 16 attention, 3 * 16 * 32 MLP, 2 * 16 norm (9 tensors).
LLAMA = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 300,
         "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2,
         "num_attention_heads": 2, "num_key_value_heads": 2}  # fmt: skip
LLAMA_NUMEL = 300 * 16 + 2 * (4 * 16 * 16 + 3 * 16 * 32 + 2 * 16) + 16 + 300 * 16
LORA_NUMEL = 8 * 4 * 16  # r=4 on q_proj and v_proj of 2 layers: 8 tensors of 4 x 16


def test_the_stand_in_tokenizer_tokenizes_pads_and_chats(tmp_path: Path) -> None:
    from transformers import PreTrainedTokenizerBase

    # No config.json beside it: 256 byte tokens and the special tokens, the script's among them.
    made = hf_stand_ins.tokenizer(
        str(tmp_path),
        {"pad_token": "<p>", "padding_side": "left", "additional_special_tokens": ["<|user|>"],
         "trust_remote_code": True},
    )  # fmt: skip
    assert isinstance(made, PreTrainedTokenizerBase)
    assert (len(made), made.pad_token, made.pad_token_id, made.eos_token, made.padding_side) == (
        262, "<p>", 3, "</s>", "left",
    )  # fmt: skip
    assert made(["a", "abc"], padding=True) == {
        "input_ids": [[3, 3, 69], [69, 70, 71]],
        "attention_mask": [[0, 0, 1], [1, 1, 1]],
    }
    assert made.decode(made("héllo <|user|>")["input_ids"]) == "héllo <|user|>"
    chat = [{"role": "user", "content": "hi"}]
    assert made.apply_chat_template(chat, tokenize=False, add_generation_prompt=True) == (
        "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    )


def test_the_stand_in_tokenizer_has_the_vocabulary_of_a_local_config(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps(LLAMA))
    made = hf_stand_ins.tokenizer(str(tmp_path), {})
    assert (len(made), made.convert_ids_to_tokens(299)) == (300, "<unused_299>")
    # Twin: a token past the vocabulary is unknown.
    assert made.convert_tokens_to_ids("<unused_300>") == made.unk_token_id


def test_only_what_was_marked_is_a_stand_in() -> None:
    rows = hf_stand_ins.dataset(split="train")
    # Twins: None (whose id no mark has) and an object never marked are not stand-ins.
    assert [is_stand_in(value) for value in (rows, StandIn("data"), None, object())] == [
        True, True, False, False,
    ]  # fmt: skip


def test_the_stand_in_dataset_answers_what_datasets_answer() -> None:
    from datasets import Dataset, DatasetDict

    splits = hf_stand_ins.dataset()
    assert isinstance(splits, DatasetDict)
    assert list(splits) == ["train", "validation", "test"]
    assert isinstance(splits["validation_matched"], Dataset)  # any split a script names
    train = hf_stand_ins.dataset(split="train")
    text = hf_stand_ins.STAND_IN_TEXT
    assert (train.column_names, train.features["label"].names, train[0]) == (
        ["text", "label"],
        ["class_0", "class_1"],
        {"text": text, "label": 0},
    )
    mapped = train.map(lambda row: {"length": len(row["text"])}).filter(lambda row: row["label"])
    halves = train.select([0, 1]).train_test_split(test_size=0.5)
    assert (mapped[:], halves["test"].num_rows) == (
        {"text": [text], "label": [1], "length": [32]},
        1,
    )
    assert [d.num_rows for d in hf_stand_ins.dataset(split=["train", "test"])] == [2, 2]


def test_the_stand_in_dataset_grows_the_columns_a_script_names() -> None:
    from datasets import ClassLabel, Value

    glue = hf_stand_ins.dataset()
    tokenized = glue.map(
        lambda rows: {"pair": [a + b for a, b in zip(rows["sentence1"], rows["sentence2"])]},
        batched=True,
        remove_columns=["idx", "sentence1", "sentence2"],
        num_proc=4,
    ).rename_column("label", "labels")
    test = tokenized["test"]
    assert (is_stand_in(tokenized), is_stand_in(test)) == (True, True)
    assert test.features == {
        "text": Value("string"),
        "labels": ClassLabel(names=["class_0", "class_1"]),
        "pair": Value("string"),
    }
    tweets = glue["train"].filter(lambda row: row["Label"] == 1)
    assert (tweets["Tweet text"], tweets.features["Label"].names) == (
        [hf_stand_ins.STAND_IN_TEXT],
        ["class_0", "class_1"],
    )
    # Twin: a function's own failure is not a missing column: it is raised.
    with pytest.raises(KeyError, match="lr"):
        glue["train"].map(lambda row: {"rate": {"learning_rate": 0.1}["lr"]})


SFT = """
from datasets import load_dataset
from peft import LoraConfig
from transformers import AutoModelForCausalLM, AutoTokenizer
from trl import SFTConfig, SFTTrainer

tokenizer = AutoTokenizer.from_pretrained("tiny/llama", padding_side="left")
tokenizer.pad_token = tokenizer.eos_token
dataset = load_dataset("org/chats", split="train")
model = AutoModelForCausalLM.from_pretrained("tiny/llama")
trainer = SFTTrainer(
    model=model,
    processing_class=tokenizer,
    args=SFTConfig(output_dir="out", report_to=[]),
    train_dataset=dataset,
    peft_config=LoraConfig(r=4, target_modules=["q_proj", "v_proj"]),
)
trainer.train()
"""

# TRL loads the model and its tokenizer (AutoProcessor) from the name itself.
SFT_BY_NAME = """
from datasets import load_dataset
from peft import LoraConfig
from trl import SFTConfig, SFTTrainer

dataset = load_dataset("org/chats")
SFTTrainer(
    model="tiny/llama",
    args=SFTConfig(output_dir="out", report_to=[], eval_strategy="steps"),
    train_dataset=dataset["train"],
    eval_dataset=dataset["test_sft"],
    peft_config=LoraConfig(r=4, target_modules=["q_proj", "v_proj"]),
).train()
"""

# A notebook's shape: it looks at its data at the top level, then tunes 8 virtual tokens whose
# init text peft tokenizes with the tokenizer it loads by name.
PROMPT_TUNING = """
from datasets import load_dataset
from peft import PromptTuningConfig, PromptTuningInit, get_peft_model
from transformers import AutoModelForCausalLM

data = load_dataset("parquet", data_files={"train": "hf://datasets/org/tweets/train.parquet"})
classes = data["train"].features["Label"].names
data = data.map(
    lambda rows: {"text_label": [classes[label] for label in rows["Label"]]}, batched=True
)
config = PromptTuningConfig(
    task_type="CAUSAL_LM",
    prompt_tuning_init=PromptTuningInit.TEXT,
    num_virtual_tokens=8,
    prompt_tuning_init_text="Classify if the tweet is a complaint or not:",
    tokenizer_name_or_path="tiny/llama",
)
model = get_peft_model(AutoModelForCausalLM.from_pretrained("tiny/llama"), config)
"""

# Twin: the script's own function reading a column the stand-in lacks is the script's failure.
OWN_FUNCTION = """
from datasets import load_dataset

def label_names(data):
    return data["train"].features["Label"].names

classes = label_names(load_dataset("org/tweets"))
"""

# Twin: data on this machine is read, not stood in for (3 rows: 3 inputs).
LOCAL_DATA = """
from datasets import load_dataset
from torch import nn

data = load_dataset("json", data_files="rows.jsonl", split="train")
model = nn.Linear(len(data), 1)
"""

WEIGHTS_NOTE = (
    "line {}: pretrained weights not loaded (tiny/llama): architecture from its config only"
)
TOKENIZER_NOTE = (
    "line {}: tokenizer 'tiny/llama' is not on this machine (ValueError): a stand-in was used; a"
    " byte-level tokenizer of 300 tokens: token ids and lengths are not the real ones, and a"
    " vocabulary resized with `len(tokenizer)` gets 300 rows; tensor counts do not depend on it"
)
DATASET_NOTE = (
    "line {}: load_dataset({!r}) could not be read ({}): a stand-in was used; 2 rows of a `text`"
    " and a `label` column (2 classes), and of any column the script names, stood in; provide"
    " the data (a path argument) to size what depends on it exactly"
)
BF16_NOTE = "line {}: TrainingArguments(bf16=True) set for the CPU"


def test_trl_and_peft_get_stand_ins_they_accept(workspace: Workspace) -> None:
    hub_config(workspace.hub, "tiny/llama", LLAMA)
    scripts = {
        "sft.py": SFT, "sft_by_name.py": SFT_BY_NAME, "prompt_tuning.py": PROMPT_TUNING,
        "own_function.py": OWN_FUNCTION, "local_data.py": LOCAL_DATA,
    }  # fmt: skip
    for name, code in scripts.items():
        workspace.write(name, code)
    workspace.write("rows.jsonl", "".join(f'{{"text": "{t}"}}\n' for t in "abc"))

    status, entries = workspace.verify_json(*scripts)

    for actual in entries.values():
        for model in actual["targets"]:
            model["parameters"] = len(model["parameters"])
    # TRL applied the LoRA config inside SFTTrainer: r=4 on q_proj and v_proj of both layers.
    lora = [(8, 21, LORA_NUMEL, LLAMA_NUMEL)]
    assert (status, entries) == (
        2,  # own_function.py could not be verified
        {
            "sft.py": entry(
                [target("PeftModel", "peft.peft_model.PeftModel", 10, lora, 29)],
                notes=[
                    TOKENIZER_NOTE.format(6),
                    DATASET_NOTE.format(8, "org/chats", "ConnectionError"),
                    WEIGHTS_NOTE.format(9),
                    BF16_NOTE.format(13),
                ],
                stopped="line 17: SFTTrainer.train()",
            ),
            "sft_by_name.py": entry(
                [target("PeftModel", "peft.peft_model.PeftModel", 6, lora, 29)],
                notes=[
                    DATASET_NOTE.format(5, "org/chats", "ConnectionError"),
                    WEIGHTS_NOTE.format(6),
                    TOKENIZER_NOTE.format(6),
                    BF16_NOTE.format(8),
                ],
                stopped="line 6: SFTTrainer.train()",
            ),
            # One tensor trains: the 8 x 16 prompt embedding, initialised from the init text
            # the stand-in tokenizer tokenized.
            "prompt_tuning.py": entry(
                [target("model", "peft.get_peft_model", 17, [(1, 21, 8 * 16, LLAMA_NUMEL)], 22)],
                notes=[
                    DATASET_NOTE.format(5, "parquet", "OfflineModeIsEnabled"),
                    "line 6: skipped: it failed on data verify does not have (KeyError: 'Label')",
                    (
                        "line 7: skipped: it failed on data verify does not have (NameError: name"
                        " 'classes' is not defined)"
                    ),
                    WEIGHTS_NOTE.format(17),
                    TOKENIZER_NOTE.format(17),
                ],
            ),
            "own_function.py": entry(
                notes=[DATASET_NOTE.format(6, "org/tweets", "ConnectionError")],
                error="line 4: KeyError: 'Label'",
            ),
            "local_data.py": entry([target("model", "torch.nn.Linear", 5, [(2, 0, 4, 0)], 2)]),
        },
    )
