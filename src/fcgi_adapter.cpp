// libfcgi <-> Request/Response (see fcgi_adapter.h).
#include "tokend/fcgi_adapter.h"

#include <fcgiapp.h>

#include <cctype>
#include <cstdlib>
#include <cstring>

#include "tokend/limits.h"

namespace tokend {

namespace {

std::string Param(FCGX_Request* fcgi, const char* name) {
  const char* value = FCGX_GetParam(name, fcgi->envp);
  return value == nullptr ? std::string() : std::string(value);
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

Request ReadFcgiRequest(FCGX_Request* fcgi) {
  Request request;
  request.method = Param(fcgi, "REQUEST_METHOD");
  std::string uri = Param(fcgi, "REQUEST_URI");
  size_t question = uri.find('?');
  request.path = uri.substr(0, question);
  if (question != std::string::npos) request.query = uri.substr(question + 1);
  request.remote_addr = Param(fcgi, "REMOTE_ADDR");
  request.request_id = Param(fcgi, "REQUEST_ID").substr(0, 64);

  for (char** env = fcgi->envp; env != nullptr && *env != nullptr; ++env) {
    const char* entry = *env;
    if (std::strncmp(entry, "HTTP_", 5) != 0) continue;
    const char* equals = std::strchr(entry, '=');
    if (equals == nullptr) continue;
    request.headers[HeaderName(entry + 5, equals - entry - 5)] = equals + 1;
  }
  std::string content_type = Param(fcgi, "CONTENT_TYPE");
  if (!content_type.empty()) request.headers["content-type"] = content_type;

  // Read one byte past the cap to tell "exactly at the cap" from "over it".
  std::string length_text = Param(fcgi, "CONTENT_LENGTH");
  long long declared = std::atoll(length_text.c_str());
  if (declared > static_cast<long long>(kMaxBodyBytes)) {
    request.body_too_large = true;
    return request;
  }
  if (declared > 0) {
    request.body.resize(static_cast<size_t>(declared) + 1);
    int read = FCGX_GetStr(&request.body[0], static_cast<int>(declared) + 1,
                           fcgi->in);
    request.body.resize(read > 0 ? static_cast<size_t>(read) : 0);
    if (request.body.size() > kMaxBodyBytes) request.body_too_large = true;
  }
  return request;
}

void WriteFcgiResponse(const Response& response, FCGX_Request* fcgi) {
  std::string head = "Status: " + std::to_string(response.status) + " " +
                     ReasonPhrase(response.status) + "\r\n";
  for (const auto& header : response.headers) {
    head += header.first + ": " + header.second + "\r\n";
  }
  if (response.status != 204) {
    head += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  }
  head += "\r\n";
  FCGX_PutStr(head.data(), static_cast<int>(head.size()), fcgi->out);
  if (!response.body.empty() && response.status != 204) {
    FCGX_PutStr(response.body.data(), static_cast<int>(response.body.size()),
                fcgi->out);
  }
}

}  // namespace tokend
