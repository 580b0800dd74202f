"""Shared by the benchmark scripts: the machine's description and the RESULTS.md section writer."""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path


def machine() -> str:
    """CPU model, core count and Python version of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def write_section(path: Path, key: str, heading: str, body: str) -> None:
    """Put `body` between ``<!-- key:start -->`` and ``<!-- key:end -->`` in `path`.

    The markers are added under `heading` at the end of the file the first time.
    """
    start, end = f"<!-- {key}:start -->", f"<!-- {key}:end -->"
    section = f"{start}\n{body}\n{end}"
    text = path.read_text() if path.exists() else "# Results\n"
    if start in text:
        text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda m: section, text, flags=re.S)
    else:
        text = text.rstrip() + f"\n\n## {heading}\n\n{section}\n"
    path.write_text(text)
