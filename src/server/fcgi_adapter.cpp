// libfcgi <-> Request/Response (see fcgi_adapter.h).
#include "tokend/server/fcgi_adapter.h"

#include <fcgiapp.h>

#include <cctype>
#include <cstdlib>
#include <cstring>

#include "tokend/common/limits.h"

namespace tokend {

namespace {

// The value of parameter `name`, or "".
std::string Param(const char* const* params, const char* name) {
  size_t length = std::strlen(name);
  for (const char* const* entry = params; entry && *entry; ++entry) {
    if (std::strncmp(*entry, name, length) == 0 && (*entry)[length] == '=') {
      return std::string(*entry + length + 1);
    }
  }
  return std::string();
}

// "HTTP_X_AUTH_TOKEN" -> "x-auth-token".
std::string HeaderName(const char* cgi_name, size_t length) {
  std::string name(cgi_name, length);
  for (char& c : name) {
    c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return name;
}

}  // namespace

Request RequestFromParams(const char* const* params,
                          const std::function<int(char*, int)>& read_body) {
  Request request;
  request.method = Param(params, "REQUEST_METHOD");
  std::string uri = Param(params, "REQUEST_URI");
  size_t question = uri.find('?');
  request.path = uri.substr(0, question);
  if (question != std::string::npos) request.query = uri.substr(question + 1);
  request.remote_addr = Param(params, "REMOTE_ADDR").substr(0, 64);
  request.request_id = Param(params, "REQUEST_ID").substr(0, 64);
  request.headers_too_large = Param(params, "HEADERS_TOO_LARGE") == "1";

  for (const char* const* entry = params; entry && *entry; ++entry) {
    if (std::strncmp(*entry, "HTTP_", 5) != 0) continue;
    const char* equals = std::strchr(*entry, '=');
    if (equals == nullptr) continue;
    // A repeated header keeps every copy, joined as HTTP joins list
    // headers: two X-Auth-Token copies then fail as one bad token instead
    // of the last one silently winning.
    std::string& value = request.headers[HeaderName(*entry + 5, equals - *entry - 5)];
    if (!value.empty()) value += ", ";
    value += equals + 1;
  }
  std::string content_type = Param(params, "CONTENT_TYPE");
  if (!content_type.empty()) request.headers["content-type"] = content_type;

  // The body is what CONTENT_LENGTH declares (nginx sends exactly that),
  // refused unread when that is over the cap; anything past the declared
  // length is not part of it.
  long long declared = std::atoll(Param(params, "CONTENT_LENGTH").c_str());
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

void WriteFcgiResponse(const Response& response, FCGX_Request* fcgi) {
  std::string head = CgiHead(response);
  FCGX_PutStr(head.data(), static_cast<int>(head.size()), fcgi->out);
  // The answer to HEAD is GET's head alone (RFC 9110 9.3.2). nginx drops
  // a body after HEAD itself, but a responder must not count on its front.
  const char* method = FCGX_GetParam("REQUEST_METHOD", fcgi->envp);
  const bool head_only = method != nullptr && std::strcmp(method, "HEAD") == 0;
  if (!head_only && !response.body.empty() && response.status != 204) {
    FCGX_PutStr(response.body.data(), static_cast<int>(response.body.size()),
                fcgi->out);
  }
}

}  // namespace tokend
