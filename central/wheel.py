"""Build the project's wheel with the stdlib (``zipfile``), for firmware releases.

``pip wheel . --no-deps`` needs the ``wheel`` package and setuptools' build machinery, which
a market office machine may not have offline; a pure-Python wheel is a zip with a
``.dist-info`` folder (PEP 427), so central writes it itself, in well under a second.
The runtime requirements come from the installed distribution's metadata.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

DIST_NAME = "trace-scale"
PACKAGES = ("edge", "central", "simulator")
ENTRY_POINTS = "[console_scripts]\ntrace-edge = edge.cli:main\n"
WHEEL_FILE = "Wheel-Version: 1.0\nGenerator: trace-scale-central\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")


def _requirements() -> list[str]:
    try:
        return [r for r in distribution(DIST_NAME).requires or [] if "extra ==" not in r]
    except PackageNotFoundError:
        return []


def _sources(root: Path) -> list[Path]:
    files = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
                files.append(path)
    if not files:
        raise FileNotFoundError(
            f"{root} 中没有 {'、'.join(PACKAGES)} 中的任何一个包：请给出项目文件夹 / "
            f"{root} holds none of the packages {', '.join(PACKAGES)}; give the project's folder"
        )
    return files


def build_wheel(root: Path, version: str, out_dir: Path) -> Path:
    """``out_dir/trace_scale-VERSION-py3-none-any.whl`` from the packages under ``root``."""
    name = DIST_NAME.replace("-", "_")
    info = f"{name}-{version}.dist-info"
    metadata = (
        "\n".join(
            ["Metadata-Version: 2.1", f"Name: {DIST_NAME}", f"Version: {version}", "Requires-Python: >=3.11"]
            + [f"Requires-Dist: {r}" for r in _requirements()]
        )
        + "\n"
    )
    extra = {
        f"{info}/METADATA": metadata.encode(),
        f"{info}/WHEEL": WHEEL_FILE.encode(),
        f"{info}/top_level.txt": "".join(p + "\n" for p in PACKAGES).encode(),
        f"{info}/entry_points.txt": ENTRY_POINTS.encode(),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{name}-{version}-py3-none-any.whl"
    tmp = target.with_name(target.name + ".part")
    record = []
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in _sources(root):
            arcname = path.relative_to(root).as_posix()
            data = path.read_bytes()
            zf.writestr(arcname, data)
            record.append(f"{arcname},{_record_hash(data)},{len(data)}")
        for arcname, data in extra.items():
            zf.writestr(arcname, data)
            record.append(f"{arcname},{_record_hash(data)},{len(data)}")
        record.append(f"{info}/RECORD,,")
        zf.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    tmp.replace(target)
    return target
