"""Write outputs so that a failed or interrupted run never leaves a half-written file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Mapping


def write_atomically(files: Mapping[Path, bytes]) -> None:
    """Write every file to a temporary name beside it, then rename all into place.

    If any write fails, the temporary files are removed and no destination changes.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for destination, data in files.items():
            destination.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".tmp", dir=destination.parent)
            staged.append((Path(tmp), destination))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, destination in staged:
        os.replace(tmp, destination)
