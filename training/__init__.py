"""Lean LoRA trainer for ECInstruct datasets (reads data only through `datasets.load_dataset`)."""
