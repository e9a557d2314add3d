# octopack-spark developer entry points. `make quickstart` and `make test` are the README's two commands.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup setup-eval setup-train setup-report quickstart test test-fast bench clean

setup:
	bash infra/setup.sh

# Toolchains and caches for executing HumanEvalPack (Go, Rust crates, Boost headers, js-md5, ...).
setup-eval: setup
	bash evaluation/setup_toolchains.sh

# DeepSpeed JIT-compiles its CPU communication op on first use (~1-2 min); build it once into
# ~/.cache/octopack-spark/torch_extensions so training runs and tests start at once.
setup-train: setup
	$(PY) -m training.prebuild_ops

# Chromium for the browser test of `octopack report` pages (apt-get when missing; a no-op when present).
setup-report: setup
	bash infra/setup-report.sh

# Set everything up, create sample repositories, mine them plus this checkout with local Spark,
# then build CommitPackFT from the result. Output under out/quickstart/.
quickstart: setup
	bash infra/quickstart.sh

# The whole test suite. Starts (and stops) the local Spark standalone cluster and S3 server it needs.
test: setup setup-eval setup-train setup-report
	bash infra/run-tests.sh

# Unit tests only: no Spark cluster, no S3 server, no language toolchains.
test-fast: setup
	$(PY) -m pytest -q -m "not cluster and not s3 and not toolchain and not slow" tests

bench: setup
	bash benchmarks/run_all.sh

clean:
	rm -rf out .octopack build dist *.egg-info .pytest_cache
