"""Tokenizer and model construction: a pretrained HF directory, or a random-weight model with a
byte-level BPE tokenizer trained locally from the training data (no model hub needed)."""

from __future__ import annotations

import logging
import os
from typing import Iterable, Iterator

from training.config import TrainConfig

log = logging.getLogger(__name__)

EOS = "<|endoftext|>"
PAD = "<|pad|>"


def train_bpe_tokenizer(texts: Iterable[str], vocab_size: int, min_frequency: int = 2):
    """A GPT-2-style byte-level BPE (every byte representable) with EOS and PAD special tokens."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=[EOS, PAD],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=EOS, bos_token=EOS, pad_token=PAD,
                                   clean_up_tokenization_spaces=False)


def corpus_texts(cfg: TrainConfig, storage, max_rows: int) -> Iterator[str]:
    """Prompt + answer text of the first rows of the primary source, in file order (deterministic)."""
    from training.data.discover import plan_units, resolve_files
    from training.data.pipeline import source_specs
    from training.data.reader import read_unit

    spec = source_specs(cfg)[0]
    src = resolve_files(storage, spec.name, spec.path, spec.table)
    n = 0
    for unit in plan_units(storage, src, spec.languages, required=list(spec.template.columns)):
        for row in read_unit(storage, unit, list(spec.template.columns)).to_pylist():
            r = spec.template.render(row)
            if isinstance(r, str):
                continue
            yield r[0] + r[1]
            n += 1
            if n >= max_rows:
                return


def load_tokenizer(path: str):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path, use_fast=True)
    if not getattr(tok, "is_fast", False):
        from octopack_spark.errors import UserFacingError

        raise UserFacingError(f"tokenizer at {path} has no fast (Rust) implementation; training needs one")
    if tok.pad_token is None and tok.eos_token is not None:
        tok.pad_token = tok.eos_token
    return tok


def resolve_tokenizer(cfg: TrainConfig, storage, out_dir: str, is_main: bool, barrier) -> tuple[object, str]:
    """(tokenizer, where it came from). Rank 0 trains and saves a new one under out_dir/tokenizer;
    the other ranks wait and load that copy, so every rank has byte-identical vocabularies. A resumed
    run finds the saved copy and reuses it."""
    path = cfg.tokenizer.path or cfg.model.name_or_path
    if path:
        return load_tokenizer(path), path
    saved = os.path.join(out_dir, "tokenizer")
    if is_main and not os.path.isfile(os.path.join(saved, "tokenizer.json")):
        t = cfg.tokenizer.train
        tok = train_bpe_tokenizer(corpus_texts(cfg, storage, t.max_rows), t.vocab_size, t.min_frequency)
        tok.save_pretrained(saved)
        log.info("trained a byte-level BPE tokenizer (%d tokens) -> %s", len(tok), saved)
    barrier()
    return load_tokenizer(saved), saved


def _round_up(n: int, k: int) -> int:
    return -(-n // k) * k


def model_config(cfg: TrainConfig, tokenizer):
    """HF config for random initialisation; `model.config` entries override the defaults."""
    from transformers import GPT2Config, LlamaConfig

    vocab = _round_up(len(tokenizer), 64)  # multiples of 64 keep matmuls on fast paths
    ids = dict(bos_token_id=tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id,
               eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    over = dict(cfg.model.config)
    if cfg.model.arch == "gpt2":
        base = dict(vocab_size=vocab, n_positions=cfg.tokenize.seq_len, n_embd=64, n_layer=2, n_head=4,
                    resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, use_cache=False, **ids)
        base.update(over)
        return GPT2Config(**base)
    base = dict(vocab_size=vocab, hidden_size=64, intermediate_size=176, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=4, max_position_embeddings=cfg.tokenize.seq_len, tie_word_embeddings=True,
                rms_norm_eps=1e-5, use_cache=False, **ids)
    base.update(over)
    return LlamaConfig(**base)


def build_model(cfg: TrainConfig, tokenizer):
    """The model in fp32 (DeepSpeed casts for bf16/fp16 and keeps fp32 master weights)."""
    import torch
    from transformers import AutoModelForCausalLM

    kw = {}
    if cfg.model.attn_implementation:
        kw["attn_implementation"] = cfg.model.attn_implementation
    if cfg.model.name_or_path:
        model = AutoModelForCausalLM.from_pretrained(cfg.model.name_or_path, dtype=torch.float32, **kw)
        for k, v in cfg.model.config.items():
            setattr(model.config, k, v)
        if len(tokenizer) > model.get_input_embeddings().num_embeddings:
            model.resize_token_embeddings(len(tokenizer), pad_to_multiple_of=64)
    else:
        torch.manual_seed(cfg.train.seed)  # identical random weights on every rank and every run
        model = AutoModelForCausalLM.from_config(model_config(cfg, tokenizer), dtype=torch.float32, **kw)
    if len(tokenizer) > model.get_input_embeddings().num_embeddings:
        from octopack_spark.errors import UserFacingError

        raise UserFacingError(f"model vocabulary ({model.get_input_embeddings().num_embeddings}) is smaller than the "
                              f"tokenizer's ({len(tokenizer)})")
    model.config.use_cache = False
    if cfg.model.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if cfg.lora.enabled:
        model = apply_lora(model, cfg)
    return model


def apply_lora(model, cfg: TrainConfig):
    from peft import LoraConfig, TaskType, get_peft_model

    lc = cfg.lora
    pc = LoraConfig(task_type=TaskType.CAUSAL_LM, r=lc.r, lora_alpha=lc.alpha, lora_dropout=lc.dropout,
                    target_modules=lc.target_modules)
    if cfg.model.gradient_checkpointing:
        model.enable_input_require_grads()
    model = get_peft_model(model, pc)
    return model


def base_model(model):
    """The transformers model under a peft wrapper (or the model itself)."""
    get = getattr(model, "get_base_model", None)
    return get() if get is not None else model


def parameter_counts(model) -> dict[str, int]:
    """Total, trainable and matmul parameters (for FLOPs: embeddings lookups cost no matmul FLOPs,
    the LM head does, tied or not)."""
    m = base_model(model)
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    emb = m.get_input_embeddings().weight
    emb_params = emb.numel()
    pos = 0
    wpe = getattr(getattr(m, "transformer", None), "wpe", None)
    if wpe is not None:
        pos = wpe.weight.numel()
    head = m.get_output_embeddings()
    tied = head is not None and head.weight is emb
    # peft adds adapter params which are matmuls too; they are part of `total`.
    matmul = total - emb_params - pos + (emb_params if tied else 0)
    return {"total": total, "trainable": trainable, "matmul": matmul}
