import pytest

from octopack_spark.ft.tokens import TokenizerUnavailable, count_sample_tokens, load_token_counter


@pytest.fixture(scope="module")
def tokenizer_json(tmp_path_factory):
    """A tiny byte-level BPE with <|endoftext|> as a special token, trained here (no hub)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    corpus = ["def get(url):\n    return fetch(url)\n"] * 50 + ["for i in range(10): print(i)\n"] * 50
    tok.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=300, special_tokens=["<|endoftext|>"],
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    d = tmp_path_factory.mktemp("tok")
    tok.save(str(d / "tokenizer.json"))
    return d / "tokenizer.json"


def test_tokenizer_json_file_and_separator_is_one_token(tokenizer_json):
    c = load_token_counter(str(tokenizer_json))
    assert c.method == f"hf:{tokenizer_json}"
    a, b = "def get(url):\n", "    return fetch(url)\n"
    na, nb = c.count([a, b])
    assert c.count_pairs([a], [b], "<|endoftext|>") == [na + nb + 1]


def test_saved_pretrained_directory(tokenizer_json, tmp_path):
    from transformers import PreTrainedTokenizerFast

    t = PreTrainedTokenizerFast(tokenizer_file=str(tokenizer_json), eos_token="<|endoftext|>")
    t.save_pretrained(str(tmp_path / "saved"))
    c = load_token_counter(str(tmp_path / "saved"))
    ref = load_token_counter(str(tokenizer_json))
    texts = ["def get(url):\n    return 1\n", "x = [i for i in range(3)]"]
    assert c.count(texts) == ref.count(texts)
    assert c.count_pairs(["a"], ["b"], "<|endoftext|>") == [3]


def test_unloadable_name_fails_with_remedies(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(TokenizerUnavailable) as e:
        load_token_counter("no-such-org/no-such-tokenizer-xyz")
    msg = str(e.value)
    assert "no-such-org/no-such-tokenizer-xyz" in msg and "--token-fallback chars" in msg and "tokenizer.json" in msg


def test_chars_fallback_is_explicit_and_recorded(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    c = load_token_counter("no-such-org/no-such-tokenizer-xyz", fallback="chars", chars_per_token=4.0)
    assert c.method == "chars/4"
    assert c.count_pairs(["abcd" * 10], ["abc"], "<|endoftext|>") == [12]  # ceil(43/4) + 1


def test_count_sample_tokens_skips_missing_and_huge(tokenizer_json):
    c = load_token_counter(str(tokenizer_json))
    out = count_sample_tokens(c, ["a", None, "x" * 50, "b"], ["b", "c", "y" * 60, None], "<|endoftext|>", max_chars=100)
    assert out[0] is not None and out[0] >= 3
    assert out[1] is None and out[2] is None and out[3] is None


def test_executors_rebuild_the_drivers_method_offline(tokenizer_json):
    from octopack_spark.ft.tokens import counter_for_method

    c = counter_for_method("chars/2", "bigcode/starcoder", 2.0)
    assert c.method == "chars/2" and c.count_pairs(["abcd"], ["ef"], "<|endoftext|>") == [4]
    hf = counter_for_method(f"hf:{tokenizer_json}", str(tokenizer_json), 3.5)
    assert hf.method.startswith("hf:") and hf.tokenizer is not None
    with pytest.raises(TokenizerUnavailable):  # never falls back silently to another method
        counter_for_method("hf:no-such-org/xyz", "no-such-org/xyz", 3.5)


def test_name_lookup_tries_cache_only_when_downloads_are_off(monkeypatch):
    import time

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    t0 = time.monotonic()
    with pytest.raises(TokenizerUnavailable):
        load_token_counter("no-such-org/cache-only-xyz", allow_download=False)
    assert time.monotonic() - t0 < 30  # no hub retries


def test_name_resolved_from_local_hf_cache(tokenizer_json, tmp_path, monkeypatch):
    """A tokenizer in the HF cache is found by its hub name with no network (HF_HUB_OFFLINE=1)."""
    import shutil

    import huggingface_hub.constants as hc

    cache = tmp_path / "hub"
    snap = cache / "models--my-org--tiny-tok" / "snapshots" / "abc123"
    snap.mkdir(parents=True)
    shutil.copy(tokenizer_json, snap / "tokenizer.json")
    (cache / "models--my-org--tiny-tok" / "refs").mkdir()
    (cache / "models--my-org--tiny-tok" / "refs" / "main").write_text("abc123")
    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    c = load_token_counter("my-org/tiny-tok")
    assert c.method == "hf:my-org/tiny-tok"
    assert c.count(["def get(url):\n"]) == load_token_counter(str(tokenizer_json)).count(["def get(url):\n"])
