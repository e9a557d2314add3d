"""Tokenization at the prompt/answer boundary and the tokenized cache beside the data."""

import numpy as np
import pyarrow as pa

from octopack_spark.storage.fs import Storage
from training.config import load_train_config
from training.data.discover import plan_units, resolve_files
from training.data.packing import IGNORE, make_sample
from training.data.tokenized import TokenCache, cache_key, encode_table
from training.templates import CompiledTemplate

ROW = {"subject": "Fix typo in greeting message", "old_contents": "print('helo')\n",
       "new_contents": "print('hello')\n"}


def tpl(name="octocoder"):
    return CompiledTemplate.compile(name, load_train_config(None).template(name))


def test_prompt_answer_boundary_and_loss_mask_on_real_text(tiny_tokenizer):
    t = tpl()
    prompt, answer = t.render(ROW)
    tu = encode_table(pa.Table.from_pylist([ROW, dict(ROW, old_contents=None)]), t, tiny_tokenizer)
    assert tu.skip == [None, "null:old_contents"]
    ids, n_prompt = tu.ids[0], int(tu.n_prompt[0])
    assert tiny_tokenizer.decode(ids[:n_prompt]) == prompt
    assert tiny_tokenizer.decode(ids[n_prompt:]) == answer
    s = make_sample(ids, n_prompt, loss_on="answer", eos_id=tiny_tokenizer.eos_token_id, seq_len=4096,
                    overflow="truncate", allow_long=False)
    targets = s.ids[s.labels != IGNORE]
    assert tiny_tokenizer.decode(targets) == answer + tiny_tokenizer.eos_token  # exactly the answer + EOS
    assert (s.labels[:n_prompt] == IGNORE).all()


def test_language_filter_on_a_lang_column(tiny_tokenizer):
    rows = [dict(ROW, lang="Python"), dict(ROW, lang="Go")]
    tu = encode_table(pa.Table.from_pylist(rows), tpl(), tiny_tokenizer, languages=["Go"])
    assert tu.skip == ["lang_filtered", None]


def test_cache_roundtrip_and_key(ft_dataset, tiny_tokenizer, tmp_path):
    s = Storage()
    src = resolve_files(s, "ft", str(ft_dataset), "commitpackft")
    unit = plan_units(s, src)[0]
    from training.data.reader import read_unit

    tu = encode_table(read_unit(s, unit, list(tpl().columns)), tpl(), tiny_tokenizer)
    cache = TokenCache(s, str(tmp_path), cache_key(tiny_tokenizer, tpl(), None), {"x": 1})
    assert cache.get(unit) is None and cache.misses == 1
    cache.put(unit, tu)
    back = cache.get(unit)
    assert cache.hits == 1 and back.skip == tu.skip and (back.n_prompt == tu.n_prompt).all()
    assert all(np.array_equal(a, b) for a, b in zip(back.ids, tu.ids))
    assert (tmp_path / cache_key(tiny_tokenizer, tpl(), None) / "info.json").is_file()
    # keyed by template and language filter: another template cannot reuse these tokens
    assert cache_key(tiny_tokenizer, tpl(), None) != cache_key(tiny_tokenizer, tpl("octocoder_line_diff"), None)
    assert cache_key(tiny_tokenizer, tpl(), None) != cache_key(tiny_tokenizer, tpl(), ["Go"])


def test_unwritable_cache_location_degrades_to_uncached(ft_dataset, tiny_tokenizer, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    s = Storage()
    unit = plan_units(s, resolve_files(s, "ft", str(ft_dataset), "commitpackft"))[0]
    cache = TokenCache(s, str(blocker / "cache"), "k", {})
    from training.data.tokenized import TokenizedUnit

    cache.put(unit, TokenizedUnit([np.array([1, 2], np.int32)], np.array([1], np.int32), [None]))
    assert cache.writable is False
    assert cache.get(unit) is None
