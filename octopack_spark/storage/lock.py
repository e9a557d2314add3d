"""One writer per dataset: a lock object beside the manifest, held for the whole run.

`_lock.json` is created exclusively (O_EXCL on local disk, a conditional PutObject on S3) and names the
run, host and process that hold it, with an expiry that a heartbeat thread pushes forward while the run
lives. A second writer is refused with a message naming the holder. A lock whose holder is gone (expired,
or a dead process on this host) is taken over, so a killed run never blocks the next one for long.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
import uuid
from typing import Iterator

from octopack_spark.errors import UserFacingError
from octopack_spark.storage.fs import Storage, join

LOCK_NAME = "_lock.json"


class DatasetLocked(UserFacingError):
    pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _stale(holder: dict, now: float) -> bool:
    if holder.get("expires", 0) < now:
        return True
    return holder.get("host") == socket.gethostname() and not _alive(int(holder.get("pid", 0)))


@contextlib.contextmanager
def dataset_lock(storage: Storage, root: str, command: str, ttl_s: float = 300.0) -> Iterator[dict]:
    """Hold the dataset's write lock for the block; raises DatasetLocked when another run holds it."""
    uri = join(root, LOCK_NAME)
    me = {"run": uuid.uuid4().hex, "command": command, "host": socket.gethostname(), "pid": os.getpid(),
          "since": time.time()}

    def body() -> bytes:
        return json.dumps({**me, "expires": time.time() + ttl_s}).encode()

    for _attempt in range(2):
        if storage.create_exclusive(uri, body()):
            break
        try:
            holder = json.loads(storage.read_text(uri))
        except Exception:
            holder = {}
        if holder and not _stale(holder, time.time()):
            since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(holder.get("since", 0)))
            raise DatasetLocked(
                f"{root} is being written by another run (octopack {holder.get('command', '?')}, host "
                f"{holder.get('host', '?')}, pid {holder.get('pid', '?')}, since {since}); wait for it to finish, "
                f"or delete {uri} if that run is gone")
        storage.delete(uri)  # the holder is gone: take the lock over
    else:
        raise DatasetLocked(f"could not take the write lock {uri}: another run took it at the same moment")

    stop = threading.Event()

    def heartbeat():
        while not stop.wait(ttl_s / 3):
            try:
                cur = json.loads(storage.read_text(uri))
                if cur.get("run") == me["run"]:
                    storage.write_bytes_atomic(uri, body())
            except Exception:  # a missed beat only shortens the expiry
                pass

    th = threading.Thread(target=heartbeat, name="dataset-lock", daemon=True)
    th.start()
    try:
        yield me
    finally:
        stop.set()
        th.join(timeout=5)
        try:
            if json.loads(storage.read_text(uri)).get("run") == me["run"]:
                storage.delete(uri)
        except Exception:
            pass
