"""Fixtures for evaluation tests: a tiny random-weight causal LM with a tokenizer trained here (no hub)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def build_tiny_model(out: Path, corpus: list[str], arch: str = "gpt2", vocab_size: int = 400,
                     n_positions: int = 2048, seed: int = 0) -> Path:
    """A HF-format model directory (config, safetensors, tokenizer) small enough to generate on a CPU."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus, trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", bos_token="<|endoftext|>",
                                   unk_token="<|endoftext|>", pad_token="<|endoftext|>")
    eos = fast.convert_tokens_to_ids("<|endoftext|>")
    torch.manual_seed(seed)
    if arch == "gpt2":
        cfg = GPT2Config(vocab_size=len(fast), n_positions=n_positions, n_embd=32, n_layer=2, n_head=2,
                         bos_token_id=eos, eos_token_id=eos, pad_token_id=eos)
        model = GPT2LMHeadModel(cfg)
    else:
        cfg = LlamaConfig(vocab_size=len(fast), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                          num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=n_positions,
                          bos_token_id=eos, eos_token_id=eos, pad_token_id=eos)
        model = LlamaForCausalLM(cfg)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    fast.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, humanevalpack_dir) -> Path:
    corpus = []
    for lang in ("python", "js"):
        with open(Path(humanevalpack_dir) / f"{lang}.jsonl", encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                corpus += [row["prompt"], row["canonical_solution"]]
    return build_tiny_model(tmp_path_factory.mktemp("tiny-gpt2"), corpus)
