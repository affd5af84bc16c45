// HTTP request and response values. Handlers see only these, never libfcgi:
// the FastCGI adapter copies a request into an owning Request and writes a
// Response back, so handlers are testable without a socket.
//
// Plain values; thread-compatible.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tokend/common/status.h"

namespace tokend {

struct Request {
  std::string method;      // "GET", "POST", ...
  std::string path;        // raw path of the URI, still percent-encoded
  std::string query;       // after '?', raw
  // Header values by lowercase name with '-' ("x-auth-token").
  std::map<std::string, std::string> headers;
  std::string body;
  bool body_too_large = false;  // the body exceeded kMaxBodyBytes
  std::string remote_addr;
  std::string request_id;  // nginx's $request_id, for logs and error details

  // The header's value, or nullptr when absent.
  const std::string* Header(const std::string& lowercase_name) const;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  void AddHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

// The reason phrase of an HTTP status ("Not Found").
const char* ReasonPhrase(int status);

// Decodes %XX escapes; false on a malformed escape or a decoded NUL.
bool PercentDecode(const std::string& text, std::string* out);

}  // namespace tokend
