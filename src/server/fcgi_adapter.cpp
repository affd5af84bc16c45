// libfcgi <-> Request/Response (see fcgi_adapter.h).
#include "tokend/server/fcgi_adapter.h"

#include <fcgiapp.h>

#include <cstdlib>
#include <cstring>

#include "tokend/common/limits.h"

namespace tokend {

namespace {

// "X_AUTH_TOKEN" (after "HTTP_") -> "x-auth-token" (ASCII only, as
// std::tolower in the C locale the daemon runs in).
std::string HeaderName(const char* cgi_name, size_t length) {
  std::string name(cgi_name, length);
  for (char& c : name) {
    if (c == '_') {
      c = '-';
    } else if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return name;
}

bool NameIs(const char* entry, size_t name_length, const char* name) {
  return std::strlen(name) == name_length &&
         std::memcmp(entry, name, name_length) == 0;
}

}  // namespace

Request RequestFromParams(const char* const* params,
                          const std::function<int(char*, int)>& read_body) {
  // One pass over the parameters, each value read where libfcgi keeps it
  // (a NUL-terminated "NAME=value"): the seven lookups by name, each a scan
  // of every parameter and a temporary string, showed in the workers'
  // profile. The first of a repeated parameter counts, as a lookup by name
  // found it.
  Request request;
  const char* method = nullptr;
  const char* uri = nullptr;
  const char* remote_addr = nullptr;
  const char* request_id = nullptr;
  const char* headers_too_large = nullptr;
  const char* content_type = nullptr;
  const char* content_length = nullptr;
  for (const char* const* entry = params; entry && *entry; ++entry) {
    const char* equals = std::strchr(*entry, '=');
    if (equals == nullptr) continue;
    const size_t name_length = static_cast<size_t>(equals - *entry);
    const char* value = equals + 1;
    if (name_length >= 5 && std::memcmp(*entry, "HTTP_", 5) == 0) {
      // A repeated header keeps every copy, joined as HTTP joins list
      // headers: two X-Auth-Token copies then fail as one bad token instead
      // of the last one silently winning.
      std::string& joined =
          request.headers[HeaderName(*entry + 5, name_length - 5)];
      if (!joined.empty()) joined += ", ";
      joined += value;
      continue;
    }
    const char** wanted = nullptr;
    switch (**entry) {
      case 'R':
        if (NameIs(*entry, name_length, "REQUEST_METHOD")) {
          wanted = &method;
        } else if (NameIs(*entry, name_length, "REQUEST_URI")) {
          wanted = &uri;
        } else if (NameIs(*entry, name_length, "REMOTE_ADDR")) {
          wanted = &remote_addr;
        } else if (NameIs(*entry, name_length, "REQUEST_ID")) {
          wanted = &request_id;
        }
        break;
      case 'C':
        if (NameIs(*entry, name_length, "CONTENT_TYPE")) {
          wanted = &content_type;
        } else if (NameIs(*entry, name_length, "CONTENT_LENGTH")) {
          wanted = &content_length;
        }
        break;
      case 'H':
        if (NameIs(*entry, name_length, "HEADERS_TOO_LARGE")) {
          wanted = &headers_too_large;
        }
        break;
      default:
        break;
    }
    if (wanted != nullptr && *wanted == nullptr) *wanted = value;
  }
  if (method != nullptr) request.method = method;
  if (uri != nullptr) {
    const char* question = std::strchr(uri, '?');
    if (question == nullptr) {
      request.path = uri;
    } else {
      request.path.assign(uri, question);
      request.query = question + 1;
    }
  }
  auto assign_cut = [](const char* value, std::string* out) {
    if (value != nullptr) out->assign(value, strnlen(value, 64));
  };
  assign_cut(remote_addr, &request.remote_addr);
  assign_cut(request_id, &request.request_id);
  request.headers_too_large =
      headers_too_large != nullptr && std::strcmp(headers_too_large, "1") == 0;
  if (content_type != nullptr && *content_type != '\0') {
    request.headers["content-type"] = content_type;
  }

  // The body is what CONTENT_LENGTH declares (nginx sends exactly that),
  // refused unread when that is over the cap; anything past the declared
  // length is not part of it.
  long long declared = content_length == nullptr ? 0 : std::atoll(content_length);
  if (declared > static_cast<long long>(kMaxBodyBytes)) {
    request.body_too_large = true;
    return request;
  }
  if (declared > 0) {
    request.body.resize(static_cast<size_t>(declared));
    int read = read_body(&request.body[0], static_cast<int>(declared));
    request.body.resize(read > 0 ? static_cast<size_t>(read) : 0);
  }
  return request;
}

Request ReadFcgiRequest(FCGX_Request* fcgi) {
  return RequestFromParams(fcgi->envp, [fcgi](char* buffer, int size) {
    return FCGX_GetStr(buffer, size, fcgi->in);
  });
}

void WriteFcgiResponse(const Request& request, const Response& response,
                       FCGX_Request* fcgi) {
  std::string head;
  AppendCgiHead(response, &head);
  FCGX_PutStr(head.data(), static_cast<int>(head.size()), fcgi->out);
  // The answer to HEAD is GET's head alone (RFC 9110 9.3.2). nginx drops
  // a body after HEAD itself, but a responder must not count on its front.
  const bool head_only = request.method == "HEAD";
  if (!head_only && !response.body.empty() && response.status != 204) {
    FCGX_PutStr(response.body.data(), static_cast<int>(response.body.size()),
                fcgi->out);
  }
}

}  // namespace tokend
