"""Opening input files: regular files only, never blocking, every read bounded.

A FIFO, a device (`/dev/zero`, `/dev/urandom`), a socket or a folder where a file is expected is
refused with `NotRegularFile` before anything is read from it: reading it could block forever or
never end. Standard input (`-`) is the way to pipe data in.
"""
from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

__all__ = ["NotRegularFile", "open_regular", "read_regular"]


class NotRegularFile(OSError):
    """The path names something other than a regular file; `what` says what it is."""

    def __init__(self, path: str, what: str) -> None:
        super().__init__(errno.EINVAL, f"it is {what}, not a regular file (espolicy reads only regular "
                         "files; pipe anything else to standard input, `-`)", path)
        self.what = what


def describe_mode(mode: int) -> str:
    """What a file of mode `mode` is, in words (`a FIFO (named pipe)`, `a character device` …)."""
    for test, words in ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
                        (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                        (stat.S_ISDIR, "a folder")):
        if test(mode):
            return words
    return "a special file"


def open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """`path` opened for binary reading; NotRegularFile when it is not a regular file (checked before
    opening, so that a FIFO never blocks, and again on the open file, against a swap)."""
    name = os.fspath(path)
    st = os.stat(name)
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFile(name, describe_mode(st.st_mode))
    fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
                 | getattr(os, "O_BINARY", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(name, describe_mode(st.st_mode))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; OSError (`NotRegularFile`, or EFBIG
    for a larger file, which is not read) otherwise."""
    with open_regular(path) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise OSError(errno.EFBIG, f"it is larger than the limit of {limit} bytes", os.fspath(path))
    return data
