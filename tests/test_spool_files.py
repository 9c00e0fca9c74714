"""How a message gets into ``spool/new/``: as an unnamed file (``O_TMPFILE``) linked under
its id where the file system allows it, else written in ``tmp/`` and renamed.  Both ways
in-process against a real directory: the entry is whole, named by a fresh id, and a
message dropped on the way leaves no file anywhere."""
from __future__ import annotations

import os

import pytest

from appliance.mta.spool import Envelope, Spool

RAW = b"From: ben@client.example\r\nSubject: hello\r\n\r\nbody\r\n"


def envelope() -> Envelope:
    return Envelope("ben@client.example", ["tickets@box.example"], peer="192.0.2.7",
                    helo="client.example")


@pytest.fixture(params=["unnamed", "tmp-and-rename"])
def spool(request, tmp_path) -> Spool:
    spool = Spool(tmp_path / "spool").ensure()
    if request.param == "unnamed":
        if not spool.unnamed_files:
            pytest.skip("no O_TMPFILE or /proc here")
    else:
        spool._unnamed = False   # what a file system without O_TMPFILE decides
    return spool


def names(spool: Spool, where: str) -> list[str]:
    return sorted(os.listdir(spool.root / where))


def test_a_message_arrives_whole_under_a_fresh_id(spool):
    entry_id = spool.write(envelope(), RAW)
    assert names(spool, "new") == [entry_id] and names(spool, "tmp") == []
    entry = spool.read(entry_id)
    assert entry.raw == RAW and entry.envelope.rcpt_tos == ["tickets@box.example"]
    assert os.stat(spool.root / "new" / entry_id).st_mode & 0o777 == 0o640


def test_a_message_dropped_on_its_way_leaves_no_file(spool):
    arriving = spool.begin(envelope())
    arriving.write(RAW[:20])
    arriving.write(RAW[20:])
    arriving.abort()
    arriving.abort()   # idempotent
    assert names(spool, "new") == [] and names(spool, "tmp") == []


def test_a_message_dropped_after_its_fsync_leaves_no_file(spool):
    """The committer fsyncs a file, then fails to name it: abort then removes it."""
    arriving = spool.begin(envelope())
    arriving.write(RAW)
    arriving.durable()
    arriving.abort()
    assert names(spool, "new") == [] and names(spool, "tmp") == []


def test_unnamed_files_are_used_where_they_work(tmp_path):
    """On this machine's file systems (ext4, tmpfs) O_TMPFILE and the /proc link work; a
    spool on them never names a file in ``tmp/`` and leaves no probe behind."""
    spool = Spool(tmp_path / "spool").ensure()
    assert spool.unnamed_files
    arriving = spool.begin(envelope())
    arriving.write(RAW)
    assert names(spool, "tmp") == [] and names(spool, "new") == []
    entry_id = arriving.commit()
    assert names(spool, "new") == [entry_id]
