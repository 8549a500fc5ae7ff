# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""The exceptions of the binding, and the one place where a -errno becomes one."""
import errno
import os

__all__ = ["MissingAtomError", "DamagedAtomError", "ScratchValueError", "raise_for"]


class MissingAtomError(KeyError):
    """The atom is missing: never written, evicted, dropped, lost in a crash
    before a sync, or another tenant's (the kernel does not tell these apart).

    A ``KeyError``: a space is a mapping from ids to bytes that may forget.
    ``errno`` is ``errno.ENOENT``; ``id`` is the ``AtomId`` asked for.
    """

    errno = errno.ENOENT

    def __init__(self, atom_id=None, what="atom"):
        self.id = atom_id
        super().__init__(f"{what} {atom_id} is missing" if atom_id is not None else "missing atom")

    def __str__(self):
        return str(self.args[0])


class DamagedAtomError(OSError):
    """The atom's stored bytes do not match their checksum (EBADMSG): the
    kernel or the library refused to return them."""

    def __init__(self, atom_id=None):
        self.id = atom_id
        super().__init__(errno.EBADMSG, os.strerror(errno.EBADMSG) + f": atom {atom_id}")


class ScratchValueError(ValueError):
    """An argument the library or the kernel refused (EINVAL, ENOBUFS,
    EISDIR, EFBIG, E2BIG); ``errno`` says which."""

    def __init__(self, err, message):
        self.errno = err
        super().__init__(message)


_VALUE_ERRORS = {
    errno.EINVAL: "invalid argument",
    errno.ENOBUFS: "buffer too small",
    errno.EISDIR: "the id names an array: read its parts",
    errno.EFBIG: "too large for a segment of this space",
    errno.E2BIG: "too many",
}


def raise_for(ret, atom_id=None, what=None):
    """Raise the exception for a library return value ``ret`` (0 or -errno).

    Returns ``ret`` when it is not negative.
    """
    if ret >= 0:
        return ret
    err = -ret
    if err == errno.ENOENT and atom_id is not None:
        raise MissingAtomError(atom_id)
    if err == errno.EBADMSG:
        raise DamagedAtomError(atom_id)
    if err in _VALUE_ERRORS:
        text = _VALUE_ERRORS[err]
        raise ScratchValueError(err, f"{what}: {text}" if what else text)
    # OSError picks its subclass from errno (PermissionError, FileNotFoundError, ...).
    raise OSError(err, os.strerror(err) + (f": {what}" if what else ""))
