"""Tokenizer training, random-weight models, and packing without attention across samples."""

import numpy as np
import pytest
import torch

from training.config import load_train_config
from training.data.packing import WholePacker, make_sample
from training.model import build_model, model_config, parameter_counts, train_bpe_tokenizer

TEXTS = [f"def f{i}(x):\n    return x * {i}\n" for i in range(200)]


def test_bpe_tokenizer_is_byte_level_and_deterministic():
    a = train_bpe_tokenizer(TEXTS, vocab_size=300)
    b = train_bpe_tokenizer(TEXTS, vocab_size=300)
    assert a.backend_tokenizer.to_str() == b.backend_tokenizer.to_str()
    text = "naïve ünïcode → 漢字 {}\t\n"
    assert a.decode(a(text, add_special_tokens=False)["input_ids"]) == text  # every byte representable
    assert a.eos_token == "<|endoftext|>" and a.pad_token == "<|pad|>" and a.pad_token_id != a.eos_token_id


def _model(arch, tok, **extra):
    cfg = load_train_config(None, overrides={"model.arch": arch, "tokenize.seq_len": 64, "model.config": extra,
                                             "model.attn_implementation": "sdpa"})
    return build_model(cfg, tok).eval()


@pytest.mark.parametrize("arch", ["llama", "gpt2"])
def test_packed_samples_do_not_attend_to_each_other(arch):
    """Logits of each sample inside a packed sequence equal the logits of the sample alone."""
    tok = train_bpe_tokenizer(TEXTS, vocab_size=300)
    model = _model(arch, tok)
    rng = np.random.default_rng(0)
    samples = [make_sample(rng.integers(5, 250, n), 2, loss_on="answer", eos_id=tok.eos_token_id, seq_len=64,
                           overflow="truncate", allow_long=False) for n in (9, 14, 20)]
    p = WholePacker(64, tok.pad_token_id, open_bins=1)
    for s in samples:
        p.add(s)
    (seq,) = list(p.flush())
    with torch.no_grad():
        packed = model(input_ids=torch.tensor(seq.input_ids[None], dtype=torch.long),
                       position_ids=torch.tensor(seq.position_ids[None], dtype=torch.long), use_cache=False).logits[0]
        start = 0
        for s in samples:
            alone = model(input_ids=torch.tensor(s.ids[None], dtype=torch.long), use_cache=False).logits[0]
            got = packed[start:start + len(s)]
            assert torch.allclose(got, alone, atol=1e-5), (arch, start, (got - alone).abs().max())
            start += len(s)
        # control: with plain causal attention over the whole row the later samples do change
        leaky = model(input_ids=torch.tensor(seq.input_ids[None], dtype=torch.long), use_cache=False).logits[0]
        second = model(input_ids=torch.tensor(samples[1].ids[None], dtype=torch.long), use_cache=False).logits[0]
        assert not torch.allclose(leaky[9:9 + len(samples[1])], second, atol=1e-3)


def test_random_init_is_reproducible_and_sized_to_the_tokenizer():
    tok = train_bpe_tokenizer(TEXTS, vocab_size=300)
    a, b = _model("llama", tok), _model("llama", tok)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    assert a.config.vocab_size % 64 == 0 and a.config.vocab_size >= len(tok)
    assert a.config.eos_token_id == tok.eos_token_id and a.config.pad_token_id == tok.pad_token_id


def test_parameter_counts_hand_checked():
    tok = train_bpe_tokenizer(TEXTS, vocab_size=300)
    cfg = load_train_config(None, overrides={"model.arch": "gpt2", "tokenize.seq_len": 32})
    m = build_model(cfg, tok)
    V, d, L, P = m.config.vocab_size, m.config.n_embd, m.config.n_layer, 32
    c = parameter_counts(m)
    assert c["total"] == sum(p.numel() for p in m.parameters())
    # GPT-2 block: ln_1 2d, c_attn d*3d+3d, attn c_proj d*d+d, ln_2 2d, c_fc d*4d+4d, mlp c_proj 4d*d+d
    block = 12 * d * d + 13 * d
    assert c["total"] == V * d + P * d + L * block + 2 * d  # + wte, wpe, ln_f
    # FLOPs count: the token/position lookups are no matmuls, the tied LM head (V x d) is
    assert c["matmul"] == L * block + 2 * d + V * d
    assert c["trainable"] == c["total"]


def test_lora_wraps_and_counts_trainable():
    tok = train_bpe_tokenizer(TEXTS, vocab_size=300)
    cfg = load_train_config(None, overrides={"model.arch": "llama", "lora.enabled": True, "lora.r": 4,
                                             "lora.target_modules": ["q_proj", "v_proj"]})
    m = build_model(cfg, tok)
    c = parameter_counts(m)
    d, L = m.config.hidden_size, m.config.num_hidden_layers
    assert c["trainable"] == L * 2 * (d * 4 + 4 * d)  # A (r x d) and B (d x r) for q and v per layer
    assert model_config(cfg, tok).num_hidden_layers == L
