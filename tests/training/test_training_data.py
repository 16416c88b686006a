import pytest

from ecinstruct.errors import UserError
from training.data import (
    DROP_TOO_LONG,
    IGNORE_INDEX,
    answer_ids,
    encode_record,
    encode_split,
    load_splits,
)
from training.models import load_tokenizer
from training.prompt import build_prompt

RECORD = {
    "instruction": "Rate the sentiment of this review.",
    "input": "lovely sturdy cable, fast charger, quiet and bright " * 12,
    "options": ["very positive", "positive", "neutral", "negative", "very negative"],
    "output": "positive",
}


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir):
    return load_tokenizer(str(tiny_model_dir))


def test_tokenizer_gets_pad_token(tokenizer):
    assert tokenizer.pad_token == tokenizer.eos_token


def test_labels_mask_exactly_the_prompt(tokenizer):
    encoded = encode_record(RECORD, tokenizer, max_length=4096)
    prompt_len = len(tokenizer(build_prompt(RECORD))["input_ids"])
    masked = [i for i, label in enumerate(encoded.labels) if label == IGNORE_INDEX]
    assert masked == list(range(prompt_len))
    answer = encoded.labels[prompt_len:]
    assert answer == answer_ids(tokenizer, RECORD["output"])
    assert answer[-1] == tokenizer.eos_token_id
    assert tokenizer.decode(answer[:-1]) == RECORD["output"]
    assert not encoded.truncated


def test_truncation_cuts_the_input_and_keeps_the_answer(tokenizer):
    full = encode_record(RECORD, tokenizer, max_length=4096)
    limit = len(full.input_ids) - 40
    cut = encode_record(RECORD, tokenizer, max_length=limit)
    assert cut.truncated and len(cut.input_ids) <= limit
    answer = answer_ids(tokenizer, RECORD["output"])
    assert cut.input_ids[cut.prompt_len :] == answer
    prompt = tokenizer.decode(cut.input_ids[: cut.prompt_len])
    assert RECORD["instruction"] in prompt and "### Options:" in prompt
    assert "E: very negative" in prompt
    assert prompt.endswith("### Response:\n")
    kept_input = prompt.split("### Input:\n")[1].split("\n\n### Options:")[0]
    assert 0 < len(kept_input) < len(RECORD["input"])
    assert RECORD["input"].startswith(kept_input)


def test_samples_that_cannot_fit_are_dropped_and_counted(tokenizer):
    fits = dict(RECORD, input="short")
    too_long = dict(RECORD, output="very positive " * 200)
    long_input = dict(RECORD)
    limit = len(encode_record(fits, tokenizer, max_length=4096).input_ids) + 5
    split = encode_split([fits, too_long, long_input], tokenizer, max_length=limit)
    assert len(split.samples) == 2
    assert split.truncated == 1
    assert split.dropped == {DROP_TOO_LONG: 1}
    assert split.samples[0] == encode_record(fits, tokenizer, max_length=limit)


def test_load_splits_filters_tasks(dataset_dir):
    splits = load_splits(str(dataset_dir), ["product_matching"])
    assert set(splits) == {"train", "validation"}
    assert set(splits["train"]["task"]) == {"product_matching"}
    assert len(splits["validation"]) == 6
    everything = load_splits(str(dataset_dir))
    assert len(everything["train"]) == 3 * len(splits["train"])


def test_unknown_task_lists_what_exists(dataset_dir):
    with pytest.raises(UserError, match="unknown task nope.*answer_generation, product_matching"):
        load_splits(str(dataset_dir), ["sentiment_analysis", "nope"])


def test_a_known_task_the_dataset_lacks_is_not_called_unknown(dataset_dir):
    with pytest.raises(UserError) as caught:
        load_splits(str(dataset_dir), ["sentiment_analysis", "attribute_value_extraction"])
    assert str(caught.value) == (
        f"the dataset {dataset_dir} has no attribute_value_extraction; "
        "it has: answer_generation, product_matching, sentiment_analysis"
    )
    with pytest.raises(UserError, match="^unknown task nope in dataset"):  # the worse problem
        load_splits(str(dataset_dir), ["attribute_value_extraction", "nope"])


def test_dataset_without_validation_split(no_validation_dir):
    with pytest.raises(UserError, match="no validation split"):
        load_splits(str(no_validation_dir))


def test_missing_dataset_folder(tmp_path):
    with pytest.raises(UserError, match="no such folder"):
        load_splits(str(tmp_path / "nothing"))
