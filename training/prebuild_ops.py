"""Build DeepSpeed's JIT ops once, ahead of the first training run (CI setup step).

    python -m training.prebuild_ops            # CPU: deepspeed_shm_comm (70-100 s on 2 cores, once)

The op lands in `training.env.extensions_dir()` (TORCH_EXTENSIONS_DIR, default
~/.cache/octopack-spark/torch_extensions), which every training process uses. Re-running is cheap:
torch's loader finds the built library and returns in about a second.
"""

from __future__ import annotations

import argparse
import sys
import time


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.prebuild_ops", description=__doc__.splitlines()[0])
    p.add_argument("--ops", nargs="*", default=None,
                   help="op builder names (default: ShareMemCommBuilder on CPU, none on CUDA)")
    args = p.parse_args(argv)

    from training.env import extensions_dir, prepare_process_env

    prepare_process_env()
    from deepspeed.accelerator import get_accelerator

    acc = get_accelerator()
    ops = args.ops
    if ops is None:
        # CUDA builds use prebuilt/pip ops or JIT per op on demand; the CPU path always needs shm comm.
        ops = ["ShareMemCommBuilder"] if acc.device_name() == "cpu" else []
    for name in ops:
        t0 = time.time()
        builder = acc.create_op_builder(name)
        if builder is None:
            print(f"prebuild_ops: accelerator {acc.device_name()} has no op builder {name}", file=sys.stderr)
            return 1
        builder.load()
        print(f"prebuild_ops: {name} ready in {time.time() - t0:.1f}s (cache {extensions_dir()})")
    if not ops:
        print(f"prebuild_ops: nothing to build for accelerator {acc.device_name()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
