"""DKIM: the keys ``init`` generates, the signatures on outgoing mail, and the DNS records
``appliance dkim dns`` tells the admin to publish.

Signing must be the last edit of a message: :meth:`Signer.sign` takes the *final* bytes, and
any header added or changed afterwards (except trace headers such as Received) breaks the
signature.  Compose, then sign, then queue the returned bytes unchanged.
"""
from __future__ import annotations

import base64
import ipaddress
from dataclasses import dataclass
from pathlib import Path

import dkim as dkimpy
import nacl.encoding
import nacl.signing
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

from appliance.secretfiles import write_secret

# RFC 6376 §5.4.1 recommended set, plus the MIME and Auto-Submitted headers whose change
# alters what the reader sees or how a mailer treats the message.  Signed when present.
SIGNED_HEADERS = (
    "from", "sender", "reply-to", "subject", "date", "to", "cc", "message-id",
    "in-reply-to", "references", "mime-version", "content-type",
    "content-transfer-encoding", "content-id", "content-description", "auto-submitted",
    "resent-date", "resent-from", "resent-sender", "resent-to", "resent-cc",
    "resent-message-id", "list-id", "list-help", "list-unsubscribe",
    "list-unsubscribe-post", "list-subscribe", "list-post", "list-owner", "list-archive",
)
# Listed once more than present (RFC 6376 §5.4.2 / §8.15): a further instance added in
# transit (a second From shown to the reader instead of ours) breaks the signature.
OVERSIGNED = ("from",)


_PUREPY_RSA_SIGN = dkimpy.RSASSA_PKCS1_v1_5_sign
_OPENSSL_KEYS: dict[int, rsa.RSAPrivateKey] = {}
_HASHES = {"sha256": hashes.SHA256, "sha1": hashes.SHA1}


def _openssl_rsa_sign(digest, private_key: dict) -> bytes:
    """dkimpy's RSASSA-PKCS1-v1_5 signing step done by OpenSSL (``cryptography``): the
    same signature bytes in about a tenth of the time (dkimpy's pure-Python RSA was 83-94%
    of signing).  dkimpy still canonicalises, hashes, builds the header and verifies.
    ``private_key`` is dkimpy's parsed key; its OpenSSL twin is kept per modulus."""
    algorithm = _HASHES.get(getattr(digest, "name", "").lower())
    if algorithm is None:
        return _PUREPY_RSA_SIGN(digest, private_key)
    key = _OPENSSL_KEYS.get(private_key["modulus"])
    if key is None:
        public = rsa.RSAPublicNumbers(private_key["publicExponent"], private_key["modulus"])
        key = rsa.RSAPrivateNumbers(
            private_key["prime1"], private_key["prime2"], private_key["privateExponent"],
            private_key["exponent1"], private_key["exponent2"], private_key["coefficient"],
            public).private_key()
        _OPENSSL_KEYS[private_key["modulus"]] = key
    return key.sign(digest.digest(), padding.PKCS1v15(), utils.Prehashed(algorithm()))


# dkimpy looks the signing function up in its module at each signature
dkimpy.RSASSA_PKCS1_v1_5_sign = _openssl_rsa_sign


def generate_rsa_key(path: Path, bits: int = 2048) -> None:
    """Write a new RSA private key (PKCS#1 PEM, as dkimpy reads it) with mode 0600."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = key.private_bytes(serialization.Encoding.PEM,
                            serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())
    write_secret(path, pem)


def public_key_b64(private_pem: bytes) -> str:
    """The ``p=`` value of the DKIM TXT record for a private key."""
    key = serialization.load_pem_private_key(private_pem, password=None)
    der = key.public_key().public_bytes(serialization.Encoding.DER,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def generate_ed25519_key(path: Path) -> None:
    """Write a new ed25519 private key as dkimpy signs with it: base64 of the 32-byte seed."""
    seed = bytes(nacl.signing.SigningKey.generate())
    write_secret(path, base64.b64encode(seed) + b"\n")


def ed25519_public_b64(private: bytes) -> str:
    """The ``p=`` value (RFC 8463: base64 of the 32-byte public key) for a seed file."""
    key = nacl.signing.SigningKey(private.strip(), encoder=nacl.encoding.Base64Encoder)
    return base64.b64encode(bytes(key.verify_key)).decode()


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip().strip(">").lower()


def header_list(raw: bytes) -> list[bytes]:
    """The ``h=`` list for ``raw``: each signed header once per occurrence, top to bottom,
    then the oversigned ones once more."""
    names = [name.lower() for name, _ in _header_fields(raw)]
    present = [n for n in names if n.decode("ascii", "replace") in SIGNED_HEADERS]
    return present + [n.encode() for n in OVERSIGNED if n.encode() in present]


def _header_fields(raw: bytes) -> list[tuple[bytes, bytes]]:
    headers, _ = dkimpy.rfc822_parse(raw)
    return headers


@dataclass
class Signer:
    """Signs outgoing mail for ``domain`` (the From domain) with rsa-sha256 and, when an
    ed25519 key is given, a second ed25519-sha256 signature (RFC 8463)."""
    domain: str
    selector: str
    rsa_key: bytes
    ed25519_selector: str | None = None
    ed25519_key: bytes | None = None

    def sign(self, raw: bytes) -> bytes:
        """``raw`` with its DKIM-Signature header(s) prepended.  ``raw`` must be the final
        message: nothing may edit it after this (see the module docstring)."""
        linesep = b"\r\n" if b"\r\n" in raw else b"\n"
        include = header_list(raw)
        if b"from" not in include:
            raise ValueError("the message has no From header; DKIM requires it signed")
        signatures = [self._sign(raw, include, self.selector, self.rsa_key, b"rsa-sha256",
                                 linesep)]
        if self.ed25519_key is not None:
            signatures.append(self._sign(raw, include, self.ed25519_selector or "",
                                         self.ed25519_key.strip(), b"ed25519-sha256", linesep))
        return b"".join(reversed(signatures)) + raw

    def _sign(self, raw: bytes, include: list[bytes], selector: str, key: bytes,
              algorithm: bytes, linesep: bytes) -> bytes:
        return dkimpy.sign(raw, selector.encode(), self.domain.encode(), key,
                           canonicalize=(b"relaxed", b"relaxed"), include_headers=include,
                           signature_algorithm=algorithm, linesep=linesep)

    @classmethod
    def from_config(cls, cfg, from_address: str, ed25519: bool) -> "Signer":
        """The signer of mail From ``from_address``, with the key files named in the ini;
        the ed25519 key is created on first use when ``ed25519`` is on."""
        rsa_key = Path(cfg.get("dkim.key")).read_bytes()
        ed_key = None
        if ed25519:
            path = Path(cfg.get("dkim.ed25519_key"))
            if not path.exists():
                generate_ed25519_key(path)
            ed_key = path.read_bytes().strip()
        return cls(domain=domain_of(from_address), selector=cfg.get("dkim.selector"),
                   rsa_key=rsa_key,
                   ed25519_selector=cfg.get("dkim.ed25519_selector") if ed25519 else None,
                   ed25519_key=ed_key)


@dataclass
class Record:
    """One DNS record the admin publishes; ``name`` is fully qualified without the dot."""
    name: str
    type: str
    value: str
    explanation: str

    def strings(self) -> list[str]:
        """A TXT value cut into the <=255-byte character-strings one TXT record holds."""
        return [self.value[i:i + 255] for i in range(0, len(self.value), 255)] or [""]

    def zone_line(self, ttl: int = 3600) -> str:
        """The record as a line of a zone file (long TXT values split into quoted strings)."""
        if self.type == "TXT":
            data = " ".join('"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
                            for s in self.strings())
        else:
            data = self.value
        return f"{self.name}. {ttl} IN {self.type} {data}"

    def as_dict(self) -> dict:
        return {"name": self.name, "type": self.type, "value": self.value,
                "explanation": self.explanation, "zone": self.zone_line()}


def dns_records(cfg, from_address: str, public_ip: str | None = None, ed25519: bool = False,
                smarthost: str | None = None) -> list[Record]:
    """Everything the box needs published: DKIM key(s), SPF, DMARC, MX (and A/PTR for the
    box's host name when its public address is known)."""
    from_domain = domain_of(from_address)
    host = cfg.get("smtp.hostname").lower()
    selector = cfg.get("dkim.selector")
    rsa_p = public_key_b64(Path(cfg.get("dkim.key")).read_bytes())
    records = [Record(f"{selector}._domainkey.{from_domain}", "TXT",
                      f"v=DKIM1; k=rsa; p={rsa_p}",
                      f"DKIM public key: receivers check the signature of mail From "
                      f"{from_domain} with it.")]
    if ed25519:
        path = Path(cfg.get("dkim.ed25519_key"))
        if not path.exists():
            generate_ed25519_key(path)
        ed_selector = cfg.get("dkim.ed25519_selector")
        records.append(Record(f"{ed_selector}._domainkey.{from_domain}", "TXT",
                              f"v=DKIM1; k=ed25519; p={ed25519_public_b64(path.read_bytes())}",
                              "DKIM ed25519 key (RFC 8463), for the second signature; "
                              "receivers that do not know ed25519 use the RSA one."))
    records.append(_spf(from_domain, host, cfg.domain, public_ip, smarthost))
    records.append(Record(f"_dmarc.{from_domain}", "TXT",
                          f"v=DMARC1; p=none; rua=mailto:dmarc-reports@{from_domain}",
                          "DMARC policy: start with p=none and read the reports sent to rua "
                          "(use a mailbox you read); once they show your mail passes, move to "
                          "p=quarantine."))
    records.append(Record(cfg.domain, "MX", f"10 {host}.",
                          f"Mail to the box's domain {cfg.domain} (capture addresses, "
                          f"replies) is delivered to the box at {host}."))
    if public_ip:
        ip = ipaddress.ip_address(public_ip)
        records.append(Record(host, "AAAA" if ip.version == 6 else "A", str(ip),
                              "The box's host name points at its public address."))
        records.append(Record(ip.reverse_pointer, "PTR", f"{host}.",
                              "Reverse DNS, set at your hosting provider: receivers distrust "
                              "mail from an address whose name does not match."))
    return records


def _spf(from_domain: str, host: str, box_domain: str, public_ip: str | None,
         smarthost: str | None) -> Record:
    if public_ip:
        ip = ipaddress.ip_address(public_ip)
        mechanisms = [f"ip{ip.version}:{ip}"]
    else:
        mechanisms = [f"a:{host}"]
    if from_domain == box_domain:
        mechanisms.append("mx")
    explanation = (f"SPF: servers allowed to send mail for {from_domain}. Only one v=spf1 "
                   f"record per name: if one exists, add {mechanisms[0]} to it")
    if smarthost:
        explanation += (f"; you send through {smarthost}, so its provider's include: "
                        f"must be in it too")
    else:
        explanation += ("; if you send through your own SMTP server, that server's "
                        "include: must be in it too")
    return Record(from_domain, "TXT", "v=spf1 " + " ".join(mechanisms) + " ~all",
                  explanation + ".")


def configured_records(cfg, public_ip: str | None = None) -> list[Record]:
    """The records for the box as its settings stand (from address, ed25519, smarthost):
    what ``appliance dkim dns`` prints and what the panel and ``doctor`` check."""
    from appliance.helpdesk.settingstore import current as setting
    smarthost = None
    if setting("outbound.mode", cfg.domain) == "smarthost":
        smarthost = setting("outbound.smarthost", cfg.domain) or None
    return dns_records(cfg, setting("outbound.from_address", cfg.domain), public_ip=public_ip,
                       ed25519=setting("dkim.ed25519", cfg.domain) == "true",
                       smarthost=smarthost)
