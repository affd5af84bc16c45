// Response: an HTTP response as a value (status, headers, body), which the
// FastCGI adapter writes out; and the HTTP side of the project's errors:
// the status code each Status code answers with. The layers below http/
// name errors by Code only and never speak HTTP.
//
// A plain value and pure functions; thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tokend/common/status.h"

namespace tokend {

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  void AddHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

// The HTTP status an error of `code` answers with (kOk: 200).
int HttpStatusOf(Code code);

// The reason phrase of an HTTP status ("Not Found"); every status this
// service answers with has its own (RFC 9110 15).
const char* ReasonPhrase(int status);

// The head of `response` as a FastCGI responder writes it: "Status: 200
// OK", its headers, Content-Length (but for 204), then an empty line. Every
// answer also gets "Cache-Control: no-store" and "Pragma: no-cache" (for
// HTTP/1.0 caches): most carry a token or a user's data, and a shared
// cache does not know that X-Auth-Token, unlike Authorization, makes a
// response private. A HEAD answer is this head alone.
std::string CgiHead(const Response& response);
// The same appended to `out`.
void AppendCgiHead(const Response& response, std::string* out);

}  // namespace tokend
