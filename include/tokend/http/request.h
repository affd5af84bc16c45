// Request: an HTTP request as an owning value. Handlers see only this, never
// libfcgi: the FastCGI adapter (server/fcgi_adapter.h) copies a request into
// one, so handlers are testable without a socket.
//
// A plain value; thread-compatible.
#pragma once

#include <map>
#include <string>

namespace tokend {

struct Request {
  std::string method;      // "GET", "POST", ...
  std::string path;        // raw path of the URI, still percent-encoded
  std::string query;       // after '?', raw
  // Header values by lowercase name with '-' ("x-auth-token").
  std::map<std::string, std::string> headers;
  std::string body;
  bool body_too_large = false;  // the body exceeded kMaxBodyBytes
  // nginx refused the request's headers as too large and asks the daemon
  // only for the answer (431, whose reason phrase nginx does not know).
  bool headers_too_large = false;
  std::string remote_addr;
  std::string request_id;  // nginx's $request_id, for logs and error details

  // The header's value, or nullptr when absent.
  const std::string* Header(const std::string& lowercase_name) const;
};

// Decodes %XX escapes; false on a malformed escape or a decoded NUL.
bool PercentDecode(const std::string& text, std::string* out);

}  // namespace tokend
