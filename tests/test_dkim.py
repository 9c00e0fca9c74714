"""DKIM signing checked by three independent verifiers (dkimpy, OpenDKIM, Perl's Mail::DKIM),
each fed only the key record that ``appliance dkim dns`` prints; and that command's output."""
from __future__ import annotations

import base64
import re
import shutil
import stat
import subprocess
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization

from appliance import config
from appliance.outbound.sign import (Record, Signer, ed25519_public_b64, generate_ed25519_key,
                                     header_list)

DATA = Path(__file__).resolve().parent / "data" / "dkim"
FROM = "support@box.example"
OPENDKIM = shutil.which("opendkim") or shutil.which("/usr/sbin/opendkim")


def _perl_dkim() -> bool:
    return (shutil.which("perl") is not None and subprocess.run(
        ["perl", "-MMail::DKIM::Verifier", "-MNet::DNS", "-e1"],
        capture_output=True).returncode == 0)


PERL = _perl_dkim()


def message(**extra: str) -> bytes:
    """A reply as the helpdesk sends it: multipart/alternative, non-ASCII everywhere."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = '"María at Ácme Support" <support@box.example>'
    msg["To"] = '"Jürgen Groß" <juergen@kunde.example>'
    msg["Reply-To"] = "reply+7f3a@box.example"
    msg["Subject"] = "Re: Größenänderung der Bestellung ✓ — 注文 [#42]"
    msg["Date"] = "Tue, 05 Mar 2024 10:00:00 +0100"
    msg["Message-ID"] = "<a1b2c3.42@box.example>"
    msg["In-Reply-To"] = "<orig-1@kunde.example>"
    msg["References"] = "<orig-1@kunde.example> <a1b2c3.41@box.example>"
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Appliance-Loop"] = "box.example"
    for name, value in extra.items():
        msg[name.replace("_", "-")] = value
    msg.set_content("Hallo Jürgen,\n\ndie Größe ist geändert. Привет, 你好.\n\n-- \nMaría\n")
    msg.add_alternative("<p>Hallo Jürgen,</p><p>die Größe ist geändert. Привет, 你好.</p>",
                        subtype="html")
    return msg.as_bytes()


# -- the box and the records it prints ------------------------------------------------------

def dns_json(box) -> list[dict]:
    return box.json("dkim", "dns")


def key_table(box) -> dict[str, str]:
    """DKIM key records exactly as ``appliance dkim dns --json`` prints them."""
    return {r["name"]: r["value"] for r in dns_json(box)
            if r["type"] == "TXT" and "._domainkey." in r["name"]}


def signer(box, ed25519: bool = False) -> Signer:
    return Signer.from_config(config.load(box.ini), FROM, ed25519)


def enable_ed25519(box) -> None:
    box.cli("settings", "set", "dkim.ed25519", "true")


# -- the three verifiers: each returns {selector: "pass" | "fail" | ...} ---------------------

def verify_dkimpy(raw: bytes, keys: dict[str, str], tmp_path: Path) -> dict[str, str]:
    def dnsfunc(name, timeout=5):
        return keys.get(name.decode().rstrip(".").lower(), "").encode()
    d = dkim.DKIM(raw)
    results = {}
    for idx, (name, value) in enumerate((n, v) for n, v in d.headers
                                        if n.lower() == b"dkim-signature"):
        selector = re.search(rb"\bs=([^;\s]+)", value).group(1).decode()
        try:
            ok = d.verify(idx=idx, dnsfunc=dnsfunc)
        except dkim.DKIMException:
            ok = False
        results[selector] = "pass" if ok else "fail"
    return results


def verify_opendkim(raw: bytes, keys: dict[str, str], tmp_path: Path) -> dict[str, str]:
    if OPENDKIM is None:
        pytest.skip("OpenDKIM is not installed (Debian: apt-get install opendkim "
                    "opendkim-tools; scripts/test.sh installs it)")
    (tmp_path / "keys").write_text("".join(f"{n} {v}\n" for n, v in keys.items()))
    (tmp_path / "opendkim.conf").write_text(
        f"Mode v\nTestPublicKeys {tmp_path / 'keys'}\nSyslog no\nLogWhy yes\n")
    (tmp_path / "msg.eml").write_bytes(raw)
    out = subprocess.run([OPENDKIM, "-x", str(tmp_path / "opendkim.conf"), "-vvv", "-t",
                          str(tmp_path / "msg.eml")], capture_output=True, timeout=60)
    text = (out.stdout + out.stderr).decode(errors="replace")
    # -vvv shows the Authentication-Results it would add: one dkim= result per signature.
    found = re.findall(r"dkim=(\w+)[^;]*?header\.a=\S+ header\.s=([^\s;]+)", text)
    assert found, f"no DKIM result in OpenDKIM's output:\n{text}"
    summary = re.search(r"verification \(s=([^,\s]+).*\) (succeeded|failed)", text)
    assert summary, text
    # The summary line names the first signature; it must agree with the detailed result.
    first = dict((s, r) for r, s in found)[summary.group(1)]
    assert (first == "pass") == (summary.group(2) == "succeeded"), text
    return {s: r for r, s in found}


def verify_perl(raw: bytes, keys: dict[str, str], tmp_path: Path) -> dict[str, str]:
    if not PERL:
        pytest.skip("Perl's Mail::DKIM is not installed (Debian: apt-get install "
                    "libmail-dkim-perl; scripts/test.sh installs it)")
    (tmp_path / "keys").write_text("".join(f"{n} {v}\n" for n, v in keys.items()))
    (tmp_path / "msg.eml").write_bytes(raw)
    out = subprocess.run(["perl", str(DATA / "verify.pl"), str(tmp_path / "keys"),
                          str(tmp_path / "msg.eml")], capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    lines = out.stdout.decode().splitlines()
    assert lines, "Mail::DKIM found no signature"
    return {line.split()[1][2:]: line.split()[0] for line in lines}


VERIFIERS = {"dkimpy": verify_dkimpy, "opendkim": verify_opendkim, "perl": verify_perl}


# -- tampering -------------------------------------------------------------------------------

def change_body(raw: bytes) -> bytes:
    changed = raw.replace("die Größe ist geändert".encode(), "die Größe ist NICHT geändert"
                          .encode(), 1)
    assert changed != raw
    return changed


def change_subject(raw: bytes) -> bytes:
    changed = re.sub(rb"\r\nSubject: [^\r]*", b"\r\nSubject: Re: your refund is ready [#42]",
                     raw, count=1)
    assert changed != raw
    return changed


def add_from_above(raw: bytes) -> bytes:
    """The display-From attack: a second From above ours, which most readers show."""
    changed = raw.replace(b"\r\nFrom: ", b"\r\nFrom: CEO <ceo@box.example>\r\nFrom: ", 1)
    assert changed.count(b"\r\nFrom: ") == 2
    return changed


def add_from_below(raw: bytes) -> bytes:
    head, sep, body = raw.partition(b"\r\n\r\n")
    return head + b"\r\nFrom: CEO <ceo@box.example>" + sep + body


TAMPERS = {"body": change_body, "subject": change_subject, "from-above": add_from_above,
           "from-below": add_from_below}


# -- tests -----------------------------------------------------------------------------------

def test_signature_has_the_promised_shape(box):
    raw = message()
    signed = signer(box).sign(raw)
    assert signed.endswith(raw), "signing only prepends its header"
    d = dkim.DKIM(signed)
    sigs = [v for n, v in d.headers if n.lower() == b"dkim-signature"]
    assert len(sigs) == 1
    tags = dict((k.strip(), v) for k, _, v in (t.partition(b"=") for t in
                re.sub(rb"\s+", b"", sigs[0]).split(b";")) if k)
    assert tags[b"a"] == b"rsa-sha256"
    assert tags[b"c"] == b"relaxed/relaxed"
    assert tags[b"d"] == b"box.example"
    assert tags[b"s"] == b"appliance"
    h = tags[b"h"].split(b":")
    present = [n.lower() for n, _ in dkim.DKIM(raw).headers]
    assert h.count(b"from") == present.count(b"from") + 1 == 2
    for name in (b"to", b"reply-to", b"subject", b"date", b"message-id", b"in-reply-to",
                 b"references", b"auto-submitted", b"mime-version", b"content-type"):
        assert h.count(name) == 1, name
    assert b"x-appliance-loop" not in h
    assert not {b"received", b"return-path", b"bcc"} & set(h)
    key = serialization.load_pem_private_key(
        (box.root / "dkim" / "appliance.private").read_bytes(), password=None)
    assert key.key_size == 2048
    assert d.verify(dnsfunc=lambda name, timeout=5: key_table(box)[
        name.decode().rstrip(".")].encode())
    assert d.keysize == 2048


def test_header_list_oversigns_only_from_and_skips_absent_headers():
    raw = (b"From: a@box.example\r\nTo: b@x.example\r\nReceived: x\r\nCc: c@x.example\r\n"
           b"Cc: d@x.example\r\nX-Other: 1\r\n\r\nbody\r\n")
    assert header_list(raw) == [b"from", b"to", b"cc", b"cc", b"from"]


@pytest.mark.parametrize("verifier", VERIFIERS)
def test_every_verifier_accepts_the_signature(box, tmp_path, verifier):
    signed = signer(box).sign(message())
    assert VERIFIERS[verifier](signed, key_table(box), tmp_path) == {"appliance": "pass"}


@pytest.mark.parametrize("tamper", TAMPERS)
@pytest.mark.parametrize("verifier", VERIFIERS)
def test_every_verifier_rejects_a_tampered_message(box, tmp_path, verifier, tamper):
    signed = TAMPERS[tamper](signer(box).sign(message()))
    result = VERIFIERS[verifier](signed, key_table(box), tmp_path)
    assert result["appliance"] != "pass", result


@pytest.mark.parametrize("verifier", VERIFIERS)
def test_a_wrong_published_key_fails(box, tmp_path, verifier):
    """The verifiers really use the printed record: another key makes them fail."""
    other = tmp_path / "other.private"
    from appliance.outbound.sign import generate_rsa_key, public_key_b64
    generate_rsa_key(other)
    keys = {n: f"v=DKIM1; k=rsa; p={public_key_b64(other.read_bytes())}"
            for n in key_table(box)}
    result = VERIFIERS[verifier](signer(box).sign(message()), keys, tmp_path)
    assert result["appliance"] != "pass", result


@pytest.mark.parametrize("verifier", ["dkimpy", "opendkim"])
def test_ed25519_second_signature(box, tmp_path, verifier):
    enable_ed25519(box)
    keys = key_table(box)
    assert "appliance-ed25519._domainkey.box.example" in keys
    signed = signer(box, ed25519=True).sign(message())
    assert signed.count(b"DKIM-Signature:") == 2
    assert b"a=ed25519-sha256" in signed and b"a=rsa-sha256" in signed
    verify = VERIFIERS[verifier]
    both = {"appliance": "pass", "appliance-ed25519": "pass"}
    assert verify(signed, keys, tmp_path) == both
    for name, tamper in TAMPERS.items():
        result = verify(tamper(signed), keys, tmp_path)
        assert result == {"appliance": "fail", "appliance-ed25519": "fail"}, (name, result)


def test_perl_still_passes_rsa_next_to_ed25519(box, tmp_path):
    """Debian 12's Mail::DKIM knows no ed25519; the RSA signature beside it still counts."""
    enable_ed25519(box)
    result = verify_perl(signer(box, ed25519=True).sign(message()), key_table(box), tmp_path)
    assert result["appliance"] == "pass"
    assert result["appliance-ed25519"] != "pass"


def test_ed25519_key_created_on_first_use_in_dkimpy_format(box):
    path = box.root / "dkim" / "appliance-ed25519.private"
    assert not path.exists()
    s = signer(box, ed25519=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(base64.b64decode(path.read_bytes())) == 32
    assert s.ed25519_selector == "appliance-ed25519"
    assert signer(box, ed25519=True).ed25519_key == s.ed25519_key, "created once"
    assert len(base64.b64decode(ed25519_public_b64(path.read_bytes()))) == 32
    assert signer(box).ed25519_key is None


def test_generate_ed25519_key_is_private(tmp_path):
    path = tmp_path / "k" / "ed.private"
    generate_ed25519_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_signs_for_the_from_domain_and_lf_messages(box, tmp_path):
    box.cli("settings", "set", "outbound.from_address", "help@acme.example")
    keys = key_table(box)
    assert list(keys) == ["appliance._domainkey.acme.example"]
    raw = message().replace(b"support@box.example", b"help@acme.example")
    raw = raw.replace(b"\r\n", b"\n")
    signed = Signer.from_config(config.load(box.ini), "help@acme.example", False).sign(raw)
    assert b"\r" not in signed
    assert b"d=acme.example" in signed
    assert verify_dkimpy(signed, keys, tmp_path) == {"appliance": "pass"}


def test_relaxed_canonicalization_survives_refolding(box, tmp_path):
    signed = signer(box).sign(message())
    refolded = signed.replace(b"\r\nTo: ", b"\r\nTo:    ", 1)
    assert verify_dkimpy(refolded, key_table(box), tmp_path) == {"appliance": "pass"}


def test_sign_requires_a_from_header(box):
    with pytest.raises(ValueError):
        signer(box).sign(b"To: a@x.example\r\nSubject: x\r\n\r\nbody\r\n")


# -- appliance dkim dns ----------------------------------------------------------------------

def test_dns_records_json(box):
    records = dns_json(box)
    by_type = [(r["name"], r["type"]) for r in records]
    assert by_type == [("appliance._domainkey.box.example", "TXT"),
                       ("box.example", "TXT"),
                       ("_dmarc.box.example", "TXT"),
                       ("box.example", "MX")]
    dkim_rec, spf, dmarc, mx = records
    assert re.fullmatch(r"v=DKIM1; k=rsa; p=[A-Za-z0-9+/]+=*", dkim_rec["value"])
    assert len(dkim_rec["value"]) > 255
    assert spf["value"] == "v=spf1 a:box.example mx ~all"
    assert "include" in spf["explanation"] and "only one" in spf["explanation"].lower()
    assert dmarc["value"].startswith("v=DMARC1; p=none; rua=mailto:")
    assert "quarantine" in dmarc["explanation"]
    assert mx["value"] == "10 box.example."
    for r in records:
        assert r["explanation"] and "\n" not in r["explanation"]
        assert set(r) >= {"name", "type", "value", "explanation"}


def test_zone_line_splits_long_txt_into_quoted_strings(box):
    rec = dns_json(box)[0]
    line = rec["zone"]
    assert line.startswith("appliance._domainkey.box.example. 3600 IN TXT \"")
    strings = re.findall(r'"([^"]*)"', line)
    assert len(strings) == 2 and all(len(s) <= 255 for s in strings)
    assert "".join(strings) == rec["value"]
    short = Record("x.example", "TXT", 'say "hi"', "e").zone_line()
    assert short == 'x.example. 3600 IN TXT "say \\"hi\\""'


def test_dns_records_for_another_from_domain_with_ip_and_ed25519(box):
    box.cli("settings", "set", "outbound.from_address", "help@acme.example")
    enable_ed25519(box)
    box.set_ini("smtp", "hostname", "mail.box.example")
    records = box.json("dkim", "dns", "--public-ip", "203.0.113.7")
    got = {(r["name"], r["type"]): r["value"] for r in records}
    assert got[("appliance._domainkey.acme.example", "TXT")].startswith("v=DKIM1; k=rsa; p=")
    assert re.fullmatch(r"v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=",
                        got[("appliance-ed25519._domainkey.acme.example", "TXT")])
    assert got[("acme.example", "TXT")] == "v=spf1 ip4:203.0.113.7 ~all"
    assert got[("_dmarc.acme.example", "TXT")].startswith("v=DMARC1; p=none;")
    assert got[("box.example", "MX")] == "10 mail.box.example."
    assert got[("mail.box.example", "A")] == "203.0.113.7"
    assert got[("7.113.0.203.in-addr.arpa", "PTR")] == "mail.box.example."


def test_dns_spf_names_the_smarthost(box):
    box.cli("settings", "set", "outbound.mode", "smarthost")
    box.cli("settings", "set", "outbound.smarthost", "smtp.provider.example:587")
    spf = [r for r in dns_json(box) if r["value"].startswith("v=spf1")][0]
    assert "smtp.provider.example:587" in spf["explanation"]


def test_dns_text_output(box):
    out = box.cli("dkim", "dns").stdout.decode()
    for r in dns_json(box):
        assert f"{r['name']}  {r['type']}" in out
        assert r["value"] in out
        assert r["explanation"] in out
        assert r["zone"] in out


def test_rsa_is_done_by_openssl_with_the_very_bytes_dkimpy_makes(box, monkeypatch):
    """The RSA step of signing runs in OpenSSL (``cryptography``), about ten times faster
    than dkimpy's pure-Python RSA; PKCS#1 v1.5 is deterministic, so the signature must be
    byte for byte what dkimpy itself computes (the verifiers above check it too).  Both
    are signed in the same second (dkimpy's t= tag reads its own clock: a second that
    ticked between the two once made them differ)."""
    import types
    monkeypatch.setattr(dkim, "time", types.SimpleNamespace(time=lambda: 1796673016.5))
    from appliance.outbound import sign as ours
    assert dkim.RSASSA_PKCS1_v1_5_sign is ours._openssl_rsa_sign
    signer = Signer.from_config(config.load(box.ini), "support@box.example", False)
    raw = (b"From: Support <support@box.example>\r\nTo: ben@client.example\r\n"
           b"Subject: Hello\r\nDate: Wed, 02 Dec 2026 10:00:00 +0000\r\n"
           b"Message-ID: <same@box.example>\r\n\r\nHello\r\n")
    fast = signer.sign(raw)
    try:
        dkim.RSASSA_PKCS1_v1_5_sign = ours._PUREPY_RSA_SIGN
        slow = signer.sign(raw)
    finally:
        dkim.RSASSA_PKCS1_v1_5_sign = ours._openssl_rsa_sign
    assert fast == slow
