"""Generation backends: a tiny local HF model, an OpenAI-compatible server on 127.0.0.1, a generations file."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from evaluation.backends import GenerationRequest, SamplingParams, derive_seed, load_backend
from evaluation.backends.generations_file import GenerationsFileBackend
from evaluation.backends.openai_compat import EndpointError, OpenAICompatBackend, api_base
from evaluation.postprocess import stop_words
from octopack_spark.errors import UserFacingError


def req(key="synthesize/python/Python/0", prompt="def f(x):", lang="python", index=0, offset=0, code=True,
        group="synthesize/python"):
    return GenerationRequest(key=key, prompt=prompt, language=lang, index=index, offset=offset,
                             stop_words=stop_words(lang), code=code, group=group)


def test_derive_seed_is_stable_and_distinct():
    assert derive_seed(0, "a") == derive_seed(0, "a")
    assert len({derive_seed(0, "a"), derive_seed(1, "a"), derive_seed(0, "b"), derive_seed(0, "a", 1)}) == 4
    assert 0 <= derive_seed(123, "x") < 2**31


# ---------------------------------------------------------------- local transformers model

@pytest.fixture(scope="module")
def hf(tiny_model_dir):
    b = load_backend(str(tiny_model_dir))
    yield b
    b.close()


def test_hf_backend_is_seeded_per_prompt(hf):
    params = SamplingParams(temperature=1.0, top_p=1.0, max_new_tokens=12, batch_size=2)
    # JS prompts: the brace rule, not the first character, decides when to stop, so answers have some length.
    r1 = req("k1", "const add = (a, b) => {", "js", group="synthesize/js")
    r2 = req("k2", "const sub = (a, b) => {", "js", group="synthesize/js")
    a = hf.generate([r1, r2], 3, params)
    b = hf.generate([r2, r1], 3, params)  # other order: same answers per key
    assert [len(x.completions) for x in a] == [3, 3]
    assert a[0].completions == b[1].completions and a[1].completions == b[0].completions
    other = hf.generate([r1], 3, params.model_copy(update={"seed": 7}))
    assert other[0].completions != a[0].completions
    assert a[0].meta["prompt_tokens"] > 0


def test_hf_backend_greedy_repeats_one_answer(hf):
    out = hf.generate([req("g", "const f = (x) => {", "js")], 4, SamplingParams(temperature=0, max_new_tokens=8))
    assert len(out[0].completions) == 4 and len(set(out[0].completions)) == 1


def test_hf_backend_prompt_longer_than_window(hf):
    out = hf.generate([req(prompt="x = 1\n" * 3000)], 2, SamplingParams(max_new_tokens=4))
    assert out[0].completions == ["", ""] and "no room" in out[0].error


def test_hf_backend_stops_python_at_unindented_line(hf):
    params = SamplingParams(temperature=1.0, top_p=1.0, max_new_tokens=40, batch_size=4)
    out = hf.generate([req("s", "def f(x):")], 4, params)
    from evaluation.postprocess import is_finished

    for c in out[0].completions:
        # Either the budget ran out or generation stopped right when the rule fired (not later).
        if is_finished(c, "python", stop_words("python")):
            assert not any(is_finished(c[:i], "python", stop_words("python")) for i in range(len(c) - 8))


def test_load_backend_errors(tmp_path):
    with pytest.raises(UserFacingError, match="neither"):
        load_backend(str(tmp_path / "nope"))
    with pytest.raises(UserFacingError, match="no config.json"):
        load_backend(str(tmp_path))


# ---------------------------------------------------------------- OpenAI-compatible server

class _Server:
    """A fake vLLM: /v1/models and /v1/completions; the first completion call answers 503 (to test retries)."""

    def __init__(self, max_n=None):
        self.bodies = []
        self.fail_first = True
        self.max_n = max_n  # a server that ignores `n` (TGI) answers with fewer choices
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _send(self, code, obj):
                data = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path == "/v1/models":
                    self._send(200, {"object": "list", "data": [{"id": "tiny-octo", "object": "model"}]})
                else:
                    self._send(404, {"error": "not found"})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.bodies.append((self.path, body, self.headers.get("Authorization")))
                if self.path != "/v1/completions":
                    return self._send(404, {"error": "not found"})
                if body.get("model") != "tiny-octo":
                    return self._send(400, {"error": {"message": f"model {body.get('model')} does not exist"}})
                if outer.fail_first:
                    outer.fail_first = False
                    return self._send(503, {"error": "warming up"})
                n = body["n"] if outer.max_n is None else min(body["n"], outer.max_n)
                # Answers in reverse index order: the client must sort by index.
                choices = [{"index": i, "text": f"\n    return {i}  # seed {body['seed']}", "finish_reason": "stop"}
                           for i in reversed(range(n))]
                self._send(200, {"id": "cmpl-1", "object": "text_completion", "choices": choices})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_openai_backend_against_local_server():
    with _Server() as srv:
        b = load_backend(srv.url)  # model name discovered from /v1/models
        assert isinstance(b, OpenAICompatBackend) and b.model == "tiny-octo"
        b.backoff_s = 0.01
        params = SamplingParams(temperature=0.2, top_p=0.95, max_new_tokens=64, seed=3)
        reqs = [req("synthesize/python/Python/0", "P0"), req("synthesize/python/Python/1", "P1", index=1)]
        out = b.generate(reqs, 3, params)
        assert [r.key for r in out] == [r.key for r in reqs]
        assert out[0].completions[0].startswith("\n    return 0") and out[0].completions[2].startswith("\n    return 2")
        posts = [body for path, body, _ in srv.bodies if path == "/v1/completions" and body["prompt"] == "P0"]
        assert len(posts) >= 1
        body = posts[-1]
        assert body["n"] == 3 and body["max_tokens"] == 64 and body["temperature"] == 0.2 and body["top_p"] == 0.95
        assert body["seed"] == derive_seed(3, "synthesize/python/Python/0")
        assert body["stop"][-1] == "<|endoftext|>" and len(body["stop"]) <= 4
        # the first POST got a 503 and was retried
        assert len([1 for path, *_ in srv.bodies if path == "/v1/completions"]) == 3


def test_openai_backend_client_error_is_not_retried():
    with _Server() as srv:
        b = OpenAICompatBackend(srv.url + "/v1", model="other-model", backoff_s=0.01, api_key="sk-test")
        with pytest.raises(EndpointError, match="HTTP 400.*does not exist"):
            b.generate([req()], 1, SamplingParams())
        assert len(srv.bodies) == 1 and srv.bodies[0][2] == "Bearer sk-test"


def test_openai_backend_unreachable_server_gives_clear_error():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(EndpointError, match="still failing after 1 retries"):
        OpenAICompatBackend(f"http://127.0.0.1:{port}", max_retries=1, backoff_s=0.01)


def test_api_base_normalization():
    assert api_base("http://h:8000") == "http://h:8000/v1"
    assert api_base("http://h:8000/v1/") == "http://h:8000/v1"
    assert api_base("http://h:8000/v1/completions") == "http://h:8000/v1"


# ---------------------------------------------------------------- generations file

def test_generations_file_backend(tmp_path):
    p = tmp_path / "g.json"
    p.write_text(json.dumps({"synthesize/python": [["a", "b"], ["c", "d"]], "explain-synthesize/go": [["x", "y"]]}))
    b = load_backend(f"file:{p}")
    assert isinstance(b, GenerationsFileBackend)
    out = b.generate([req(index=1)], 2, SamplingParams())
    assert out[0].completions == ["c", "d"]
    out = b.generate([req(group="explain-synthesize/go", lang="go", offset=1)], 1, SamplingParams())
    assert out[0].completions == ["y"]
    with pytest.raises(UserFacingError, match="problem 0 has 2 completions, needs 3"):
        b.generate([req()], 3, SamplingParams())
    with pytest.raises(UserFacingError, match="no entry 'fix-tests/python'"):
        b.generate([req(group="fix-tests/python")], 1, SamplingParams())
    with pytest.raises(UserFacingError, match="no entry for problem 5"):
        b.generate([req(index=5)], 1, SamplingParams())


def test_generations_file_backend_validation(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[[\"a\"], [1]]")
    with pytest.raises(UserFacingError, match="problem 1, sample 0: expected a string"):
        GenerationsFileBackend(bad)
    bad.write_text("{not json")
    with pytest.raises(UserFacingError, match="not valid JSON"):
        GenerationsFileBackend(bad)
    plain = tmp_path / "plain.json"
    plain.write_text("[[\"a\"]]")
    b = GenerationsFileBackend(plain)
    b.generate([req()], 1, SamplingParams())
    with pytest.raises(UserFacingError, match="plain list"):
        b.generate([req(group="synthesize/go", lang="go")], 1, SamplingParams())


def test_hf_backend_loads_a_llama_export(tmp_path):
    """The training module exports Llama-architecture models with a locally trained tokenizer: same path."""
    from tests.evaluation.conftest import build_tiny_model

    d = build_tiny_model(tmp_path / "llama", ["def f(x):\n    return x + 1\n", "const g = (a) => {\n  return a;\n}\n"],
                         arch="llama", vocab_size=300, n_positions=256)
    b = load_backend(str(d))
    assert b.describe()["context_window"] == 256
    out = b.generate([req("l", "const g = (a) => {", "js")], 2,
                     SamplingParams(temperature=0.8, max_new_tokens=6, batch_size=2))
    assert len(out[0].completions) == 2 and out[0].error is None
    long = b.generate([req("l2", "x " * 400)], 1, SamplingParams(max_new_tokens=6))
    assert "no room" in long[0].error  # 256-token window, not the 2048 default


def test_openai_backend_server_without_n_support():
    with _Server(max_n=1) as srv:
        srv.fail_first = False
        b = OpenAICompatBackend(srv.url, model="tiny-octo")
        out = b.generate([req("k")], 3, SamplingParams(seed=5))
        assert len(out[0].completions) == 3 and out[0].error is None
        seeds = [body["seed"] for path, body, _ in srv.bodies if path == "/v1/completions"]
        assert seeds == [derive_seed(5, "k", i) for i in range(3)]  # one seed per extra sample
        assert [c.split("# seed ")[1] for c in out[0].completions] == [str(x) for x in seeds]
