# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""The binding without a kernel: ids, argument checks, error mapping, struct layouts.

Run by `make unit` (python/run-tests.sh) against the tree's libscratch.
"""
import errno
import os
import pickle
import shutil
import subprocess

import pytest

import scratch
from scratch import _lib
from scratch.errors import raise_for
from scratch.space import Space

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def test_version_is_the_projects():
    with open(os.path.join(ROOT, "VERSION")) as f:
        assert scratch.__version__ == f.read().strip()
    assert scratch.library_version() == scratch.__version__


def test_id_text_round_trip_and_the_librarys_format():
    a = scratch.AtomId(0x0123456789ABCDEF, 0xFEDCBA9876543210)
    text = str(a)
    assert len(text) == 32
    assert scratch.AtomId.parse(text) == a
    buf = _lib.ffi.new("char[33]")
    _lib.lib.scratch_id_format(a._c(), buf)
    assert _lib.ffi.string(buf).decode() == text


@pytest.mark.parametrize("bad", ["", "xyz", "0" * 31, "0" * 33, "g" * 32, " " + "0" * 31],
                         ids=["empty", "word", "short", "long", "not-hex", "space"])
def test_id_parse_refuses(bad):
    with pytest.raises(ValueError):
        scratch.AtomId.parse(bad)


def test_id_parse_wants_a_str():
    with pytest.raises(TypeError):
        scratch.AtomId.parse(b"0" * 32)


def test_id_hashable_immutable_picklable():
    a, b = scratch.AtomId(1, 2), scratch.AtomId(1, 2)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != scratch.AtomId(2, 1)
    assert a != "00000000000000010000000000000002"
    with pytest.raises(AttributeError):
        a._lo = 5
    assert pickle.loads(pickle.dumps(a)) == a
    assert eval(repr(a), {"AtomId": scratch.AtomId}) == a


def test_id_range_and_types():
    with pytest.raises(ValueError):
        scratch.AtomId(-1, 0)
    with pytest.raises(ValueError):
        scratch.AtomId(0, 1 << 64)
    with pytest.raises(TypeError):
        scratch.AtomId("1", 2)


def test_parts():
    arr = scratch.AtomId(7, 9)
    assert not arr.is_part
    p = arr.part(0)
    assert p.is_part and p != arr and p != arr.part(1)
    with pytest.raises(ValueError):
        p.part(0)  # a part has no parts
    with pytest.raises(ValueError):
        arr.part(-1)
    with pytest.raises(ValueError):
        arr.part(65536)
    with pytest.raises(TypeError):
        arr.part(1.0)


def test_error_mapping():
    aid = scratch.AtomId(1, 1)
    with pytest.raises(KeyError) as e:
        raise_for(-errno.ENOENT, aid)
    assert isinstance(e.value, scratch.MissingAtomError) and e.value.id == aid
    assert str(aid) in str(e.value)
    with pytest.raises(OSError) as e:
        raise_for(-errno.EBADMSG, aid)
    assert isinstance(e.value, scratch.DamagedAtomError) and e.value.errno == errno.EBADMSG
    for err in (errno.EINVAL, errno.ENOBUFS, errno.EISDIR, errno.EFBIG):
        with pytest.raises(ValueError) as e:
            raise_for(-err)
        assert e.value.errno == err
    with pytest.raises(PermissionError):
        raise_for(-errno.EACCES)
    with pytest.raises(OSError) as e:
        raise_for(-errno.ENOSPC)
    assert e.value.errno == errno.ENOSPC
    assert raise_for(0) == 0 and raise_for(5) == 5


def test_open_errors():
    with pytest.raises(FileNotFoundError):
        Space("/nonexistent/scratch0")
    with pytest.raises(OSError) as e:
        Space("/dev/null")  # not a scratch space
    assert e.value.errno in (errno.ENOTTY, errno.EINVAL, errno.ENODEV)
    with pytest.raises(ValueError):
        Space("/dev/null", tenant=-1)
    with pytest.raises(ValueError):
        Space("/dev/null", tenant=1 << 32)
    with pytest.raises(ValueError):
        Space("/dev/null", queue_depth=5000)


def closed_space():
    sp = Space.__new__(Space)
    sp.path, sp.tenant, sp._s, sp._active = "/dev/scratch0", 0, None, 0
    import threading
    sp._cv = threading.Condition()
    return sp


def test_arguments_are_checked_before_the_kernel():
    sp = closed_space()
    aid = scratch.AtomId(1, 1)
    with pytest.raises(TypeError):
        sp.put("a str is not bytes")
    with pytest.raises(TypeError):
        sp.put(b"x", type="1")
    with pytest.raises(ValueError):
        sp.put(b"x", type=65536)
    with pytest.raises(ValueError):
        sp.put(b"x", zstd=True, level=40)
    with pytest.raises(ValueError):
        sp.put_array([])
    with pytest.raises(TypeError):
        sp.get("00" * 16)
    with pytest.raises(TypeError):
        sp.get_into(aid, b"read-only bytes")
    with pytest.raises(TypeError):
        sp.present([aid, "x"])
    with pytest.raises(TypeError):
        sp.stat(None)


def test_closed_space_raises():
    sp = closed_space()
    aid = scratch.AtomId(1, 1)
    for call in (lambda: sp.put(b"x"), lambda: sp.get(aid), lambda: sp.map(aid),
                 lambda: sp.get_into(aid, bytearray(1)), lambda: sp.present([aid]),
                 lambda: sp.stat(aid), sp.sync, sp.info, sp.fileno):
        with pytest.raises(ValueError, match="closed"):
            call()
    sp.close()  # idempotent
    assert sp.closed


def test_noncontiguous_buffers_refused():
    np = pytest.importorskip("numpy")
    sp = closed_space()
    a = np.zeros((8, 8), dtype=np.uint8)[:, ::2]
    with pytest.raises(ValueError):
        sp.put(a)
    with pytest.raises(ValueError):
        sp.get_into(scratch.AtomId(1, 1), a)


def test_watch_gone_matches_segment_and_generation():
    from scratch import Eviction, Watch
    a = scratch.AtomId(5 | 2 << 32, 9)
    later = scratch.AtomId(5 | 3 << 32, 1)
    other = scratch.AtomId(6 | 2 << 32, 9)
    evs = [Eviction(7, 1), Eviction(5, 2)]
    assert Watch.gone(evs, [a, later, other, a.part(3)]) == [True, False, False, True]
    assert Watch.gone([], [a]) == [False]
    assert Watch.gone(evs, []) == []
    with pytest.raises(TypeError):
        Watch.gone(evs, ["5"])


LAYOUT = r"""
#include <stddef.h>
#include <stdio.h>
#include <scratch.h>
int main(void)
{
	printf("%zu %zu %zu %zu %zu %zu %zu %zu\n", sizeof(struct scratch_id),
	       sizeof(struct scratch_info), sizeof(struct scratch_atom_info),
	       sizeof(struct scratch_get), offsetof(struct scratch_get, res),
	       offsetof(struct scratch_info, write_errors), offsetof(struct scratch_atom_info, status),
	       sizeof(struct scratch_eviction));
	return 0;
}
"""


def test_struct_layouts_match_the_header(tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc")
    inc = os.path.join(ROOT, "include")
    gen = os.path.join(ROOT, "build", "include")
    if not cc or not os.path.exists(os.path.join(gen, "scratch_version.h")):
        pytest.skip("no C compiler or no build/include (make lib)")
    src = tmp_path / "layout.c"
    src.write_text(LAYOUT)
    exe = tmp_path / "layout"
    subprocess.run([cc, "-I", inc, "-I", gen, str(src), "-o", str(exe)], check=True)
    got = subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.split()
    ffi = _lib.ffi
    want = [ffi.sizeof("struct scratch_id"), ffi.sizeof("struct scratch_info"),
            ffi.sizeof("struct scratch_atom_info"), ffi.sizeof("struct scratch_get"),
            ffi.offsetof("struct scratch_get", "res"),
            ffi.offsetof("struct scratch_info", "write_errors"),
            ffi.offsetof("struct scratch_atom_info", "status"),
            ffi.sizeof("struct scratch_eviction")]
    assert [int(x) for x in got] == want
