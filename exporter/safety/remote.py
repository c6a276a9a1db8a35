"""Downloading an image with --allow-remote: public addresses only, checked on every hop.

Imported only when a document asks for a remote image with --allow-remote, so ordinary exports
never load the network stack.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import IO, Any

from exporter.model.diagnostics import Code
from exporter.safety.policy import IMAGE_TYPES, REMOTE_SCHEMES, Refused, shown_reference

REMOTE_TIMEOUT_SECONDS = 10.0
REMOTE_MAX_REDIRECTS = 3
REMOTE_CHUNK_BYTES = 64 * 1024

# ---------------------------------------------------------------- the network, with --allow-remote

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_public_address(text: str) -> bool:
    """Whether an address is on the public internet: not loopback, link-local, private, multicast,
    reserved or unspecified, nor an IPv6 form (mapped, 6to4, Teredo, NAT64) hiding such an IPv4 one."""
    try:
        address = ipaddress.ip_address(text.partition("%")[0])
    except ValueError:
        return False
    addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        teredo_client = address.teredo[1] if address.teredo else None
        addresses.extend(inner for inner in (address.ipv4_mapped, address.sixtofour, teredo_client) if inner)
        if address in _NAT64:
            addresses.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return all(
        one.is_global
        and not (
            one.is_loopback
            or one.is_link_local
            or one.is_private
            or one.is_multicast
            or one.is_reserved
            or one.is_unspecified
        )
        for one in addresses
    )


class _BlockedAddress(Exception):
    def __init__(self, url: str, host: str, address: str) -> None:
        super().__init__(f"{host} is {address}")
        self.url, self.host, self.address = url, host, address


def _vetted_address(url: str) -> str:
    """The address to connect to for `url`, after checking that every address its host has is public.

    The connection then goes to exactly this address (see _pinned), so DNS rebinding between the
    check and the connect can't steer it to an internal one. Residual risk: none from DNS; a public
    host may still proxy to somewhere else on its own.
    """
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [str(info[4][0]) for info in infos]
    for address in addresses:
        if not is_public_address(address):
            raise _BlockedAddress(url, host, address)
    if not addresses:
        raise OSError(f"no address for {host}")
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to `pinned_address`, whatever the host name resolves to by now."""

    pinned_address = ""

    def connect(self) -> None:
        self.sock = socket.create_connection((self.pinned_address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to `pinned_address`; the certificate must still name the host."""

    pinned_address = ""

    def connect(self) -> None:
        sock = socket.create_connection((self.pinned_address, self.port), self.timeout)
        self.sock = _TLS_CONTEXT.wrap_socket(sock, server_hostname=self.host)


_TLS_CONTEXT = ssl.create_default_context()


def _pinned(
    connection_class: type[_PinnedHTTPConnection | _PinnedHTTPSConnection], address: str
) -> Callable[..., http.client.HTTPConnection]:
    """A connection factory for urllib's do_open that connects to `address` only."""

    def make(host: str, **kwargs: Any) -> http.client.HTTPConnection:
        kwargs.pop("context", None)  # ours, _TLS_CONTEXT, is used
        kwargs.pop("check_hostname", None)
        connection = connection_class(host, **kwargs)
        connection.pinned_address = address
        return connection

    return make


class _PinnedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_pinned(_PinnedHTTPConnection, _vetted_address(req.full_url)), req)


class _PinnedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_pinned(_PinnedHTTPSConnection, _vetted_address(req.full_url)), req)


class _CheckedRedirectHandler(urllib.request.HTTPRedirectHandler):
    """Follows at most a few redirects, to http(s) only; each hop is vetted again when it is opened."""

    max_redirections = REMOTE_MAX_REDIRECTS
    max_repeats = REMOTE_MAX_REDIRECTS  # a redirect to itself counts too

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urllib.parse.urlsplit(newurl).scheme.lower() not in REMOTE_SCHEMES:
            raise urllib.error.URLError(f"redirect to a non-HTTP URL {shown_reference(newurl)!r}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener() -> urllib.request.OpenerDirector:
    """HTTP and HTTPS only: no proxies from the environment, no file:, ftp: or data: handlers."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        _PinnedHTTPHandler(),
        _PinnedHTTPSHandler(),
        _CheckedRedirectHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener


def fetch_public_image(url: str, max_bytes: int, shown: str) -> tuple[bytes, str]:
    """The body and media type of an image at a public http(s) URL; Refused on any failure."""
    request = urllib.request.Request(
        url, headers={"User-Agent": "designexport", "Accept": "image/*", "Accept-Encoding": "identity"}
    )
    deadline = time.monotonic() + REMOTE_TIMEOUT_SECONDS
    try:
        response = _opener().open(request, timeout=REMOTE_TIMEOUT_SECONDS)
        if response is None:
            raise urllib.error.URLError("no handler for this URL")
        with response:
            mime = response.headers.get_content_type()
            if mime not in IMAGE_TYPES:
                raise Refused(Code.RESOURCE_TYPE, f"remote resource {shown!r} is {mime}, not a supported image type")
            if response.headers.get("Content-Encoding", "identity").strip().lower() != "identity":
                raise Refused(Code.RESOURCE_FETCH, f"remote image {shown!r} came compressed; not loading it")
            length = response.headers.get("Content-Length", "")
            if length.strip().isdigit() and int(length) > max_bytes:
                raise Refused(Code.RESOURCE_TOO_LARGE, f"remote image {shown!r} is larger than {max_bytes} bytes")
            data = _read_capped(response, max_bytes, deadline, shown)
    except _BlockedAddress as blocked:
        hop = "" if blocked.url == url else f" (redirected to {shown_reference(blocked.url)!r})"
        raise Refused(
            Code.RESOURCE_PRIVATE_ADDRESS,
            f"refusing {shown!r}{hop}: {blocked.host} resolves to the non-public address {blocked.address}",
        ) from None
    except (OSError, http.client.HTTPException, ValueError) as error:  # URLError and timeouts are OSErrors
        reason = getattr(error, "reason", None) or error
        raise Refused(Code.RESOURCE_FETCH, f"could not fetch remote image {shown!r}: {reason}") from None
    return data, mime


def _read_capped(response: Any, max_bytes: int, deadline: float, shown: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read(REMOTE_CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise Refused(Code.RESOURCE_TOO_LARGE, f"remote image {shown!r} is larger than {max_bytes} bytes")
        if time.monotonic() > deadline:
            raise Refused(Code.RESOURCE_FETCH, f"remote image {shown!r} took longer than {REMOTE_TIMEOUT_SECONDS:g} s")
        chunks.append(chunk)
    return b"".join(chunks)
