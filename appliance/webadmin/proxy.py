"""Behind a reverse proxy: which forwarded headers the panel believes.

waitress believes ``X-Forwarded-For`` / ``-Proto`` (the names in
``web.trusted_proxy_headers``) only from the peer ``web.trusted_proxy``: the client address
(login limits, sessions) and the scheme (the cookies' Secure flag) then come from the
proxy.  From any other peer, and when no proxy is set, those headers are dropped.  Before
they are dropped, :func:`wrap` notes in the environ that the request came through a proxy:
``/metrics`` without a token answers only loopback clients that came through none, and a
dropped header must not make a remote client look local.
"""
from __future__ import annotations

import ipaddress

from appliance.config import Config, ConfigError

FORWARDED = "appliance.forwarded"   # environ key: the request carried a proxy header
PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PROTO",
                 "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_BY", "HTTP_FORWARDED")
KNOWN = {"x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port",
         "x-forwarded-by", "forwarded"}


def trusted(cfg: Config) -> tuple[str | None, set[str]]:
    """The trusted proxy's address (None: no proxy) and the headers believed from it;
    a bad value is a ConfigError that says what is accepted."""
    value = cfg.values.get("web.trusted_proxy", "").strip()
    if not value:
        return None, set()
    try:
        address = str(ipaddress.ip_address(value.strip("[]")))
    except ValueError:
        raise ConfigError(f"{cfg.path}: web.trusted_proxy must be the proxy's IP address "
                          f"(e.g. 127.0.0.1), not {value!r}") from None
    names = {n.strip().lower()
             for n in cfg.values.get("web.trusted_proxy_headers", "").replace(",", " ").split()}
    unknown = sorted(names - KNOWN)
    if unknown or not names or ("forwarded" in names and len(names) > 1):
        raise ConfigError(f"{cfg.path}: web.trusted_proxy_headers must name some of "
                          f"{', '.join(sorted(KNOWN))} ('forwarded' alone), not "
                          f"{', '.join(unknown) or repr(' '.join(sorted(names)))}")
    return address, names


def wrap(app, cfg: Config):
    """The WSGI app as waitress should serve it: proxy headers believed from the trusted
    proxy only, and :data:`FORWARDED` set for every request that carried one."""
    from waitress.proxy_headers import proxy_headers_middleware
    address, names = trusted(cfg)
    inner = proxy_headers_middleware(app, trusted_proxy=address, trusted_proxy_count=1,
                                     trusted_proxy_headers=names, clear_untrusted=True)

    def noted(environ, start_response):
        environ[FORWARDED] = any(key in environ for key in PROXY_HEADERS)
        return inner(environ, start_response)
    return noted
