"""``appliance init``: a complete data directory in one step."""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from appliance import config, passwords
from appliance.addresses import normalize
from appliance.helpdesk import people
from appliance.helpdesk.database import close_database, open_database
from appliance.helpdesk.models import User
from appliance.helpdesk import capture
from appliance.outbound.sign import generate_rsa_key
from appliance.mta.spool import Spool
from appliance.tlscert import self_signed


@dataclass
class InitResult:
    data_dir: Path
    config_path: Path
    admin_email: str
    admin_password: str | None
    captures: list[str]


def init(data_dir: str | Path, domain: str, smtp_listen: str = "127.0.0.1:2525",
         web_listen: str = "127.0.0.1:8080", admin_email: str | None = None,
         admin_password: str | None = None, force: bool = False,
         database_url: str = "", public_url: str = "") -> InitResult:
    """Create the data directory.  ``public_url`` (default ``http://WEB_LISTEN/``) is where
    people reach the panel: every link in mail is built from it, never from a request."""
    root = Path(data_dir).resolve()
    domain = domain.strip().lower().rstrip(".")
    if not domain or "." not in domain or "@" in domain:
        raise config.ConfigError(f"--domain must be a mail domain like help.example.com, "
                                 f"not {domain!r}")
    config.parse_listen(smtp_listen, "--smtp-listen")
    config.parse_listen(web_listen, "--web-listen")
    public_url = public_url.strip() or f"http://{web_listen}/"
    try:
        config.check_public_url(public_url)
    except config.ConfigError as exc:
        raise config.ConfigError(f"--public-url {exc}") from None
    admin = normalize(admin_email or f"admin@{domain}")
    if not admin:
        raise config.ConfigError(f"--admin-email is not an email address: {admin_email!r}")
    if root.exists() and any(root.iterdir()):
        if not force:
            raise config.ConfigError(f"{root} exists and is not empty; pass --force to "
                                     f"overwrite it (its database and keys are replaced)")
        for child in root.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    root.mkdir(parents=True, exist_ok=True, mode=0o750)
    for sub in ("spool", "attachments", "dkim", "tls"):
        (root / sub).mkdir(exist_ok=True, mode=0o700 if sub in ("dkim", "tls") else 0o750)
    ini = root / "appliance.ini"
    values = {"appliance.data_dir": str(root), "appliance.domain": domain,
              "smtp.listen": smtp_listen, "web.listen": web_listen,
              "web.public_url": public_url}
    if database_url:   # PostgreSQL shared by several boxes (docs/scaling.md)
        values["appliance.database"] = database_url
    config.write(ini, values)   # 0600: it may hold a database password
    cfg = config.load(ini)
    Spool(cfg.spool_dir).ensure()
    generate_rsa_key(Path(cfg.get("dkim.key")))
    self_signed(Path(cfg.get("smtp.tls_cert")), Path(cfg.get("smtp.tls_key")),
                cfg.get("smtp.hostname"))
    database = open_database(cfg.database)
    password = admin_password or passwords.generate()
    with database.atomic():
        person = people.get(people.addresses.Person(admin, "Administrator"))
        if User.get_or_none(User.person == person) is None:
            User.create(person=person, role="admin",
                        password_hash=passwords.hash_password(password))
        else:   # a second box joining a shared database keeps the admin it has
            password = None
    captures = list(capture.export(domain, root))
    close_database()
    return InitResult(root, ini, admin, password, captures)
