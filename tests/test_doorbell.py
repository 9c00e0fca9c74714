"""The worker starts on a new spool entry at once (issue 15, point 2): the MTA rings the
spool's doorbell after each entry lands in new/, instead of the worker finding it at its
next poll.  Shown with a poll interval far longer than the wait allowed."""
from __future__ import annotations

import smtplib
import time

from conftest import message, wait_for

from appliance.mta.spool import Doorbell


def test_a_new_mail_wakes_the_worker_long_before_its_poll(box):
    box.set_ini("worker", "poll_seconds", "30")
    box.start("mta")
    box.start("worker")
    wait_for(lambda: "worker started" in box.log("worker"), timeout=20)
    time.sleep(1.0)    # the worker is asleep in its 30 s wait now
    for n in range(3):
        started = time.monotonic()
        with smtplib.SMTP("127.0.0.1", box.smtp_port) as smtp:
            smtp.sendmail("ben@client.example", [f"tickets@{box.domain}"],
                          message(subject=f"Doorbell {n}"))
        wait_for(lambda: len(box.json("items", "list")) == n + 1, timeout=10)
        assert time.monotonic() - started < 10   # a 30 s poll would have missed this


def test_a_ring_nobody_hears_is_harmless_and_a_second_listener_polls(tmp_path):
    bell = Doorbell(tmp_path)
    bell.ring()                          # no worker: nothing happens, nothing raises
    assert bell.listen()
    other = Doorbell(tmp_path)
    assert not other.listen()            # one listener per spool
    bell.ring()
    bell.ring()
    assert bell.wait(5) is True          # both rings taken at once
    assert bell.wait(0.05) is False
    bell.close()
    other.close()
