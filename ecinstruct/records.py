"""The published record: column order, splits and settings (SPEC.md, "One record")."""

from __future__ import annotations

import polars as pl

RECORD_SCHEMA: dict[str, pl.DataType] = {
    # ECInstruct-compatible columns first ...
    "id": pl.String,
    "task": pl.String,
    "setting": pl.String,
    "split": pl.String,
    "instruction": pl.String,
    "input": pl.String,
    "options": pl.List(pl.String),
    "output": pl.String,
    # ... then our provenance columns.
    "instruction_id": pl.String,
    "product_ids": pl.List(pl.String),
    "category": pl.String,
    "source": pl.String,
    # Per-item gold labels where the answer is a ranking (QPR: the ESCI label of each lettered
    # product, in letter order) so scorers can compute graded metrics; null for other tasks.
    "gold_labels": pl.List(pl.String),
}
COLUMNS = tuple(RECORD_SCHEMA)

# Split -> setting, as in ECInstruct. train/validation use the seen (diverse) wordings.
SPLIT_SETTINGS: dict[str, str] = {
    "train": "IND_Diverse_Instruction",
    "validation": "IND_Diverse_Instruction",
    "test_ind": "IND_Diverse_Instruction",
    "test_ood": "OOD_Diverse_Instruction",
    "test_ind_unseen_instruction": "IND_Unseen_Instruction",
    "test_ood_unseen_instruction": "OOD_Unseen_Instruction",
}
SPLITS = tuple(SPLIT_SETTINGS)
# The four splits samples are assigned to; the unseen-instruction splits copy the tests.
BASE_SPLITS = ("train", "validation", "test_ind", "test_ood")
UNSEEN_OF = {"test_ind": "test_ind_unseen_instruction", "test_ood": "test_ood_unseen_instruction"}
