"""A small in-process HTTP client for the WSGI app (tests and benchmarks): cookies kept,
forms posted, redirects optionally followed, the CSRF token read from the last page."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    errors: str = ""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def headers_named(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        import json
        return json.loads(self.body)

    @property
    def location(self) -> str | None:
        value = self.header("Location")
        if value:
            parts = urlsplit(value)
            return parts.path + ("?" + parts.query if parts.query else "")
        return None


def multipart(data: dict, files: list[tuple[str, str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body (fields, then files; names UTF-8 as browsers send them)
    and its Content-Type."""
    boundary = "----appliance-test-boundary-7MA4YWxkTrZu0gW"
    out = []
    for key, value in data.items():
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'
                   f'{value}\r\n'.encode())
    for key, filename, ctype, content in files:
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"; '
                   f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'.encode()
                   + content + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


@dataclass
class Client:
    app: object
    cookies: dict[str, str] = field(default_factory=dict)
    remote_addr: str = "127.0.0.1"
    scheme: str = "http"
    last: Response | None = None

    def request(self, method: str, path: str, data: dict | None = None,
                headers: dict | None = None, follow: bool = False,
                files: list[tuple[str, str, str, bytes]] | None = None) -> Response:
        """``files``: (field, filename, content type, bytes) sent as multipart/form-data
        with ``data``, as a browser sends a form with file inputs."""
        path, _, query = path.partition("?")
        body = urlencode(data or {}, doseq=True).encode() if data is not None else b""
        content_type = "application/x-www-form-urlencoded"
        if files is not None:
            body, content_type = multipart(data or {}, files)
        environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
                   "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8080",
                   "HTTP_HOST": "127.0.0.1:8080", "SERVER_PROTOCOL": "HTTP/1.1",
                   "REMOTE_ADDR": self.remote_addr, "wsgi.url_scheme": self.scheme,
                   "wsgi.input": io.BytesIO(body), "wsgi.errors": io.StringIO(),
                   "wsgi.version": (1, 0), "wsgi.multithread": False,
                   "wsgi.multiprocess": False, "wsgi.run_once": False,
                   "CONTENT_LENGTH": str(len(body))}
        if data is not None or files is not None:
            environ["CONTENT_TYPE"] = content_type
        if self.cookies:
            environ["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for key, value in (headers or {}).items():
            environ["HTTP_" + key.upper().replace("-", "_")] = value
        captured = {}

        def start_response(status, response_headers, exc_info=None):
            captured["status"] = int(status.split()[0])
            captured["headers"] = response_headers
        chunks = self.app(environ, start_response)
        try:
            out = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        response = Response(captured["status"], captured["headers"], out,
                            environ["wsgi.errors"].getvalue())
        for value in response.headers_named("Set-Cookie"):
            cookie = SimpleCookie()
            cookie.load(value)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "-1" or morsel["expires"].startswith("Thu, 01 Jan 1970") \
                        or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        self.last = response
        if follow and response.status in (301, 302, 303, 307) and response.location:
            return self.get(response.location, follow=True)
        return response

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, data: dict | None = None, csrf: bool = True, **kw) -> Response:
        data = dict(data or {})
        if csrf and "csrf_token" not in data:
            data["csrf_token"] = self.csrf()
        return self.request("POST", path, data=data, **kw)

    def csrf(self) -> str:
        """The CSRF token of the last page shown (fetches one when there is none)."""
        page = self.last if self.last is not None and b"csrf_token" in self.last.body \
            else self.get("/account" if "appliance_session" in self.cookies else "/login")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        return found.group(1) if found else ""

    def login(self, email: str, password: str) -> Response:
        self.get("/login")
        return self.post("/login", {"email": email, "password": password})
