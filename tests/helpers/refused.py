"""Files a reader must refuse: write the content, read it, expect the error and what its message says."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional, Union

import pytest


def assert_refused(read: Callable[[Path], object], path: Path, content: Union[str, bytes],
                   error: type[BaseException], match: Optional[str] = None) -> BaseException:
    """Write `content` (text or bytes) to `path` and check that `read(path)` raises `error` with a message
    matching the regular expression `match` when given (searched, as `pytest.raises(match=...)`); returns
    the error."""
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(error, match=match) as e:
        read(path)
    return e.value
