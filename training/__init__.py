"""Lean LoRA trainer for ECInstruct datasets (reads data only through `datasets.load_dataset`)."""

import warnings

# peft asks every model `is_gradient_checkpointing`, which transformers 5 deprecates in favour
# of `is_activation_checkpointing`: a warning on every run that no user of ours can act on.
# The benchmark loads its models and adapters through this package, so this covers it too.
warnings.filterwarnings(
    "ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning
)
