"""Directory change events from Linux inotify, through libc with ctypes: one daemon thread per watch.

watt (its YAML directory) and diagd (the snapshot and status files) only need "this path changed" calls. A
general file-watching library costs each of them about 5 MiB of resident memory for that; this module costs the
ctypes import (about 0.4 MiB).

Events are reported as ``on_event(path, is_directory, removed)``: ``removed`` for a deletion or a move away.
A directory created (or moved in) under a recursive watch is watched in turn, and what it already holds is
reported, so a file written between the directory's creation and its watch is not missed. When the kernel's
event queue overflows, the root is reported as a changed directory: the caller rescans.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import select
import struct
import threading
from collections.abc import Callable, Sequence

__all__ = ["DirectoryEvents", "EventCallback"]

EventCallback = Callable[[str, bool, bool], None]

log = logging.getLogger("watt.inotify")

_MODIFY, _ATTRIB, _CLOSE_WRITE = 0x2, 0x4, 0x8
_MOVED_FROM, _MOVED_TO, _CREATE, _DELETE = 0x40, 0x80, 0x100, 0x200
_DELETE_SELF, _MOVE_SELF = 0x400, 0x800
_Q_OVERFLOW, _IGNORED, _ISDIR = 0x4000, 0x8000, 0x40000000
_ONLYDIR = 0x01000000
_MASK = (_MODIFY | _ATTRIB | _CLOSE_WRITE | _MOVED_FROM | _MOVED_TO | _CREATE | _DELETE | _DELETE_SELF
         | _MOVE_SELF | _ONLYDIR)
_REMOVED = _MOVED_FROM | _DELETE | _DELETE_SELF | _MOVE_SELF
_NEW_DIR = _CREATE | _MOVED_TO
_NONBLOCK, _CLOEXEC = os.O_NONBLOCK, os.O_CLOEXEC
_HEADER = struct.Struct("iIII")


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.inotify_init1.argtypes = [ctypes.c_int]
    libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
    return libc


class DirectoryEvents:
    """Watches ``roots`` (each must exist) and, with ``recursive``, every directory below them."""

    def __init__(self, roots: Sequence[str], on_event: EventCallback, *, recursive: bool) -> None:
        self._libc = _libc()
        self._on_event = on_event
        self._recursive = recursive
        self._roots = [os.path.abspath(root) for root in roots]
        self._fd = self._libc.inotify_init1(_NONBLOCK | _CLOEXEC)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), f"inotify_init1: {os.strerror(ctypes.get_errno())}")
        self._paths: dict[int, str] = {}
        try:
            for root in self._roots:
                if not self._watch_tree(root, report=False):
                    raise FileNotFoundError(errno.ENOENT, f"cannot watch {root}: not a directory or missing")
            self._wake_r, self._wake_w = os.pipe2(_CLOEXEC)
        except BaseException:
            os.close(self._fd)
            raise
        self._thread = threading.Thread(target=self._run, name="inotify", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ends the thread and closes the descriptors; safe to call twice."""
        if self._wake_w < 0:
            return
        os.write(self._wake_w, b"x")
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        for fd in (self._wake_w, self._wake_r, self._fd):
            os.close(fd)
        self._wake_w = self._wake_r = self._fd = -1

    def _add(self, path: str) -> bool:
        wd = self._libc.inotify_add_watch(self._fd, os.fsencode(path), _MASK)
        if wd < 0:
            code = ctypes.get_errno()
            if code in (errno.ENOENT, errno.ENOTDIR):  # gone, or replaced by a file, before we got to it
                return False
            raise OSError(code, f"inotify_add_watch {path}: {os.strerror(code)}")
        self._paths[wd] = path
        return True

    def _watch_tree(self, top: str, *, report: bool) -> bool:
        """Watch ``top`` (and, when recursive, the directories below it); with ``report``, report what they hold.
        False when ``top`` is no longer a directory."""
        if not self._add(top):
            return False
        if not self._recursive:
            return True
        for dirpath, dirnames, filenames in os.walk(top):
            for name in dirnames:
                path = os.path.join(dirpath, name)
                self._add(path)
                if report:
                    self._on_event(path, True, False)
            if report:
                for name in filenames:
                    self._on_event(os.path.join(dirpath, name), False, False)
        return True

    def _run(self) -> None:
        while True:
            ready, _, _ = select.select([self._fd, self._wake_r], [], [])
            if self._wake_r in ready:
                return
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                continue
            try:
                self._dispatch(data)
            except Exception:  # a failing callback must not end the watch
                log.exception("inotify: handling an event failed")

    def _dispatch(self, data: bytes) -> None:
        offset = 0
        while offset + _HEADER.size <= len(data):
            wd, mask, _cookie, length = _HEADER.unpack_from(data, offset)
            name = data[offset + _HEADER.size: offset + _HEADER.size + length].rstrip(b"\0")
            offset += _HEADER.size + length
            self._event(wd, mask, os.fsdecode(name))

    def _event(self, wd: int, mask: int, name: str) -> None:
        if mask & _Q_OVERFLOW:
            for root in self._roots:
                self._on_event(root, True, False)
            return
        if mask & _IGNORED:
            self._paths.pop(wd, None)
            return
        directory = self._paths.get(wd)
        if directory is None:
            return
        path = os.path.join(directory, name) if name else directory
        is_dir = bool(mask & _ISDIR)
        self._on_event(path, is_dir, bool(mask & _REMOVED))
        if is_dir and name and mask & _NEW_DIR and self._recursive:
            self._watch_tree(path, report=True)
