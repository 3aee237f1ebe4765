"""A pseudo-terminal behind a stable symlink, like a USB-serial adapter's udev name.

Shared by the virtual weighing module and the virtual printer: ``plug()`` makes a new
raw pty and points the symlink at it atomically, ``unplug()`` removes the symlink and
closes the pty, as when the adapter is pulled. The simulator keeps the slave side open
itself, so the master never sees a hang-up when the host closes and reopens the port.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import tty
from pathlib import Path


class LinkedPty:
    def __init__(self, directory: str | os.PathLike[str] | None, name: str) -> None:
        self._own_directory = directory is None
        self.directory = Path(directory) if directory is not None else Path(tempfile.mkdtemp(prefix="trace-sim-"))
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = str(self.directory / name)
        self.device = ""  # the /dev/pts/N currently behind the symlink
        self.master = -1
        self._slave = -1

    def plug(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no CR/LF translation: the bytes are the protocol
        os.set_blocking(master, False)
        self.master, self._slave = master, slave
        self.device = os.ttyname(slave)
        temporary = f"{self.path}.{os.getpid()}.new"
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        os.symlink(self.device, temporary)
        os.replace(temporary, self.path)  # atomic: the path never dangles while plugged

    def unplug(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        for fd in (self.master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.master = self._slave = -1
        self.device = ""

    def remove_directory(self) -> None:
        """Remove the folder if this object made it (a temporary one)."""
        if self._own_directory:
            with contextlib.suppress(OSError):
                self.directory.rmdir()
