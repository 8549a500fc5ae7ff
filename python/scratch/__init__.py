# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""scratch: atoms on a worker's NVMe scratch space, from Python.

    import scratch
    with scratch.Space("/dev/scratch/work", tenant=7) as sp:
        aid = sp.put(b"hello")              # an AtomId
        assert sp.get(aid) == b"hello"
        buf = bytearray(5)
        sp.get_into(aid, buf)               # no copy of ours
        with sp.map(aid) as m:              # zero-copy, read-only
            view = m.view                   # memoryview; numpy.frombuffer(view)

A missing atom raises MissingAtomError (a KeyError), a damaged one
DamagedAtomError (an OSError with errno EBADMSG).  See docs/python.md.
"""
from ._lib import ffi as _ffi, lib as _clib
from .errors import DamagedAtomError, MissingAtomError, ScratchValueError
from .space import AtomId, AtomInfo, Eviction, Horizon, Map, Space, SpaceInfo, Watch
from ._version import __version__

__all__ = ["__version__", "AtomId", "AtomInfo", "DamagedAtomError", "Eviction", "Horizon", "Map",
           "MissingAtomError", "ScratchValueError", "Space", "SpaceInfo", "Watch",
           "library_version"]


def library_version() -> str:
    """The version of the libscratch this binding runs on."""
    return _ffi.string(_clib.scratch_version()).decode()
