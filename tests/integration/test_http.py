"""HTTP in front of the API: routing errors, and what nginx itself does (TLS,
keep-alive, size caps and its JSON error bodies)."""

import os
import subprocess

from harness import API, check, check_equal, expect_error, expect_status


def test_an_unknown_path_is_not_found(ctx):
    for path in (API + "/user/nothing", API + "/users", API + "/user/clients",
                 "/nothing", "/ui/nothing.js", "/ui/", "/index.html",
                 "/api/v3/other/user", "/api/v2/onezone/user"):
        response = ctx.stack.curl("GET", path,
                                  headers=ctx.auth_headers("alice"))
        expect_error(response, 404, "notFound")


def test_the_token_page_is_served_at_the_root_with_its_headers(ctx):
    # / and /ui/NAME are the token page's static files (web/); only GET
    # and HEAD reach them.
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for path, name, kind in (("/", "index.html", "text/html"),
                             ("/ui/app.js", "app.js", "application/javascript"),
                             ("/ui/style.css", "style.css", "text/css")):
        response = ctx.stack.curl("GET", path)
        expect_status(response, 200)
        check_equal(response.header("content-type"), kind + "; charset=utf-8",
                    "Content-Type of " + path)
        with open(os.path.join(root, "web", name), "rb") as f:
            check(response.body == f.read(), "%s is not web/%s" % (path, name))
        csp = response.header("content-security-policy") or ""
        check("script-src 'self';" in csp and "unsafe" not in csp, "CSP: %r" % csp)
        check_equal(response.header("x-content-type-options"), "nosniff", "nosniff")
        check_equal(response.header("x-frame-options"), "DENY", "X-Frame-Options")
    expect_error(ctx.stack.curl("POST", "/", body="x"), 403, "forbidden")


def test_a_known_path_with_a_wrong_method_is_not_supported_with_an_allow_header(ctx):
    cases = [("PUT", "/user/client_tokens", {"GET", "POST"}),
             ("PATCH", "/user/client_tokens", {"GET", "POST"}),
             ("DELETE", "/user", {"GET"}),
             ("POST", "/user/client_token", {"GET"}),
             ("GET", "/user/client_tokens/" + ctx.session["alice"], {"DELETE"})]
    for method, path, allowed in cases:
        response = ctx.request(method, path, "alice")
        expect_error(response, 405, "notSupported")
        allow = response.header("allow")
        check(allow is not None, "%s %s: no Allow header" % (method, path))
        methods = {m.strip() for m in allow.split(",")}
        check(allowed <= methods and method not in methods,
              "%s %s: Allow %r should list %s" % (method, path, allow,
                                                  sorted(allowed)))
    # The token named in the path is untouched by a GET on it.
    check(ctx.session["alice"] in ctx.token_list("alice"), "token disappeared")


def test_every_response_has_hsts_and_a_request_id(ctx):
    for response in (ctx.get("/user", "alice"), ctx.get("/user"),
                     ctx.get("/nothing", "alice")):
        check_equal(response.header("strict-transport-security"),
                    "max-age=63072000", "Strict-Transport-Security")
        request_id = response.header("x-request-id") or ""
        check(len(request_id) == 32 and all(c in "0123456789abcdef"
                                            for c in request_id),
              "X-Request-Id should be 32 hex digits: %r" % request_id)


def test_a_body_over_64k_is_payload_too_large(ctx):
    body = b'{"ttl": 100, "pad": "' + b"a" * (64 * 1024) + b'"}'
    response = ctx.request("POST", "/user/client_tokens", "alice",
                           headers=["Content-Type: application/json"],
                           body=body)
    expect_error(response, 413, "payloadTooLarge")
    # A body just under the cap reaches the daemon (which refuses the key).
    body = b'{"pad": "' + b"a" * (60 * 1024) + b'"}'
    response = ctx.request("POST", "/user/client_tokens", "alice",
                           headers=["Content-Type: application/json"],
                           body=body)
    expect_error(response, 400, "badData", {"key": "pad"})


def test_a_header_over_16k_is_request_header_too_large(ctx):
    response = ctx.stack.curl("GET", API + "/user",
                              headers=["X-Padding: " + "a" * (17 * 1024)] +
                              ctx.auth_headers("alice"))
    expect_error(response, 431, "requestHeaderTooLarge")


def test_a_uri_over_16k_is_uri_too_long(ctx):
    response = ctx.stack.curl("DELETE", API + "/user/client_tokens/" +
                              "a" * (17 * 1024), headers=ctx.auth_headers("alice"))
    expect_error(response, 414, "uriTooLong")


def test_a_request_without_host_is_malformed_data(ctx):
    response = ctx.stack.curl("GET", API + "/user",
                              headers=["Host:"] + ctx.auth_headers("alice"))
    expect_error(response, 400, "malformedData")


def test_nginx_internal_error_locations_are_not_reachable_from_outside(ctx):
    response = ctx.stack.curl("GET", "/_onezone_tokend_error/503")
    expect_error(response, 404, "notFound")


def _tls_handshake(ctx, *args):
    result = subprocess.run(
        ["curl", "-sk", "-o", os.devnull, "-w", "%{http_code}", "--max-time",
         "10"] + list(args) + [ctx.stack.base + API + "/user"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, timeout=20)
    return result.returncode, result.stdout.decode()


def test_tls_1_2_and_1_3_are_served_and_tls_1_1_is_refused(ctx):
    check_equal(_tls_handshake(ctx, "--tlsv1.3"), (0, "401"), "TLS 1.3")
    check_equal(_tls_handshake(ctx, "--tlsv1.2", "--tls-max", "1.2"), (0, "401"),
                "TLS 1.2")
    code, status = _tls_handshake(ctx, "--tlsv1.1", "--tls-max", "1.1")
    check(code != 0 and status == "000",
          "TLS 1.1 handshake should fail, got curl exit %d status %s"
          % (code, status))


def test_the_certificate_names_localhost_and_127_0_0_1(ctx):
    result = subprocess.run(
        ["openssl", "x509", "-noout", "-text", "-in",
         os.path.join(ctx.stack.state, "tls.crt")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    text = result.stdout.decode()
    check("DNS:localhost" in text and "IP Address:127.0.0.1" in text,
          "subjectAltName lacks localhost/127.0.0.1")
    check("prime256v1" in text or "P-256" in text, "key is not ECDSA P-256")
    # And curl verifies it when told to trust it.
    code, status = _tls_handshake(ctx, "--cacert",
                                  os.path.join(ctx.stack.state, "tls.crt"))
    check_equal((code, status), (0, "401"), "verified TLS to 127.0.0.1")


def test_connections_are_kept_alive_across_requests(ctx):
    url = ctx.stack.base + API + "/user"
    result = subprocess.run(
        ["curl", "-sk", "-o", os.devnull, "-o", os.devnull, "-o", os.devnull,
         "-w", "%{http_code} %{num_connects}\n", "--max-time", "20",
         "-H", ctx.auth_headers("alice")[0], url, url, url],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, timeout=30)
    check_equal(result.stdout.decode().split("\n")[:3],
                ["200 1", "200 0", "200 0"],
                "three requests: status and new connections each")


def _metric_sum(text, name):
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith(name + " ") or line.startswith(name + "{"))


def test_nginx_keeps_its_fastcgi_connections_to_the_workers(ctx):
    # Requests of every shape (bodies read, bodies refused, no body) share
    # kept-alive FastCGI connections; each must still get its own answer.
    def metrics():
        response = ctx.stack.curl("GET", "/metrics")
        expect_status(response, 200)
        text = response.body.decode()
        return (_metric_sum(text, "onezone_tokend_requests_total"),
                _metric_sum(text, "onezone_tokend_fastcgi_connections_total"))

    requests_before, connections_before = metrics()
    auth = ctx.auth_headers("alice")[0]
    base = ctx.stack.base + API
    rounds = 10
    # One curl, one TLS connection; --next starts each transfer afresh.
    transfers = [
        ["-H", auth, "-X", "POST", "-H", "Content-Type: application/json",
         "--data-binary", "{}", base + "/user/client_tokens"],
        ["-H", auth, base + "/user"],
        ["-H", auth, "-X", "POST", "--data-binary", "{" * 3000,
         base + "/user/client_tokens"],
        ["-X", "DELETE", base + "/user/client_tokens/not-a-token"],
    ]
    command = ["curl"]
    for i in range(rounds):
        for transfer in transfers:
            if len(command) > 1:
                command.append("--next")
            command += ["-sk", "--max-time", "30", "-o", os.devnull,
                        "-w", "%{http_code}\n"] + transfer
    result = subprocess.run(command, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, timeout=60)
    check_equal(result.stdout.decode().split(), ["200", "200", "400", "401"] * rounds,
                "statuses of create, get, malformed create, unauthenticated delete")
    requests_after, connections_after = metrics()
    served = requests_after - requests_before
    opened = connections_after - connections_before
    check(served >= 4 * rounds, "only %d requests counted" % served)
    check(opened <= served / 4, "%d FastCGI connections for %d requests: nginx "
          "does not keep them" % (opened, served))


def test_metrics_are_served_to_127_0_0_1_only(ctx):
    response = ctx.stack.curl("GET", "/metrics")
    expect_status(response, 200)
    check((response.header("content-type") or "").startswith("text/plain"),
          "metrics Content-Type: %r" % response.header("content-type"))
    # Any other address (127.0.0.2 is another loopback address here, standing
    # in for a remote client) is refused by nginx, however it spells the path.
    for path in ("/metrics", "/metrics/", "/%6detrics", "//metrics"):
        response = ctx.stack.curl("GET", path, extra_args=["--interface",
                                                           "127.0.0.2"],
                                  headers=["X-Padding: 1"])
        expect_error(response, 403, "forbidden")
    response = ctx.stack.curl("GET", API + "/user", extra_args=["--interface",
                                                               "127.0.0.2"],
                              headers=ctx.auth_headers("alice"))
    expect_status(response, 200)
