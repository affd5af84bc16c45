"""Failed logins from IPv6 clients are counted per /64, the block a single
host is given (a /128 is free to an attacker), and IPv4-mapped addresses as
the IPv4 address. The stack's nginx listens on IPv4 loopback only, so these
requests go to the daemon's FastCGI socket directly, with REMOTE_ADDR set
as nginx would set it."""

import base64
import os
import socket
import struct

from harness import check, check_equal

# FastCGI record types (the FastCGI 1.0 specification).
BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT = 1, 3, 4, 5, 6
RESPONDER = 1
REQUEST_ID = 1
TIMEOUT_SECONDS = 60


def _record(kind, content=b""):
    return struct.pack(">BBHHBx", 1, kind, REQUEST_ID, len(content), 0) + content


def _length(n):
    return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)


def _params(pairs):
    body = b""
    for name, value in pairs.items():
        name, value = name.encode(), value.encode()
        body += _length(len(name)) + _length(len(value)) + name + value
    return body


def _read_exactly(conn, size):
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the daemon closed the connection")
        data += chunk
    return data


def fastcgi_get(ctx, path, remote_addr, headers):
    """One GET straight to the daemon; returns the HTTP status it answered."""
    params = {"REQUEST_METHOD": "GET", "REQUEST_URI": path,
              "CONTENT_LENGTH": "0", "REMOTE_ADDR": remote_addr,
              "REQUEST_ID": os.urandom(16).hex()}
    for name, value in headers.items():
        params["HTTP_" + name.upper().replace("-", "_")] = value
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(TIMEOUT_SECONDS)
    try:
        conn.connect(os.path.join(ctx.stack.state, "fcgi.sock"))
        conn.sendall(_record(BEGIN_REQUEST, struct.pack(">HB5x", RESPONDER, 0)) +
                     _record(PARAMS, _params(params)) + _record(PARAMS) +
                     _record(STDIN))
        out = b""
        while True:
            _, kind, _, length, padding = struct.unpack(
                ">BBHHBx", _read_exactly(conn, 8))
            content = _read_exactly(conn, length + padding)[:length]
            if kind == STDOUT:
                out += content
            elif kind == END_REQUEST:
                break
    finally:
        conn.close()
    head = out.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    for line in head.split("\r\n"):
        if line.lower().startswith("status:"):
            return int(line.split()[1])
    return 200


def _failures(ctx, counted):
    value = ctx.stack.redis("GET", "oz:{ip:%s}:fails" % counted).strip()
    return int(value or 0)


def test_ipv6_addresses_in_one_64_share_one_failed_login_count(ctx):
    one_block = ["2001:db8:5:6::1", "2001:db8:5:6:ffff::2", "2001:db8:5:6:1:2:3:4"]
    for i, address in enumerate(one_block + ["2001:db8:5:7::1", "::ffff:127.0.0.77"]):
        # A name of its own each time: the per-user limit stays out of it.
        wrong = {"Authorization": "Basic " + base64.b64encode(
            b"v6-nobody-%d:not-the-password" % i).decode()}
        check_equal(fastcgi_get(ctx, "/api/v3/onezone/user", address, wrong), 401,
                    "a wrong password from %s" % address)
    check_equal(_failures(ctx, "2001:db8:5:6::/64"), len(one_block),
                "failed logins counted for 2001:db8:5:6::/64")
    check_equal(_failures(ctx, "2001:db8:5:7::/64"), 1,
                "failed logins counted for the next /64")
    check_equal(_failures(ctx, "127.0.0.77"), 1,
                "failed logins of an IPv4-mapped address, counted as IPv4")
    for address in one_block:
        check_equal(ctx.stack.redis_lines("EXISTS", "oz:{ip:%s}:fails" % address),
                    ["0"], "a count kept for the /128 %s" % address)
