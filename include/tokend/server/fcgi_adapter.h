// FastCGI adapter: copies a libfcgi request into an owning Request value
// (libfcgi frees its parameter strings at the next accept or finish) and
// writes a Response back as CGI output. Only src/server/fcgi_adapter.cpp sees
// libfcgi.
#pragma once

#include <functional>

#include "tokend/http/request.h"
#include "tokend/http/response.h"

struct FCGX_Request;

namespace tokend {

// Reads the parameters and at most kMaxBodyBytes of body (more sets
// body_too_large).
Request ReadFcgiRequest(FCGX_Request* fcgi);

// The part of ReadFcgiRequest that needs no socket (so it can be fuzzed):
// builds a Request from CGI "NAME=value" parameters (a null-terminated
// array) and reads the body with `read_body(buffer, size)`, which returns
// the bytes read.
Request RequestFromParams(const char* const* params,
                          const std::function<int(char*, int)>& read_body);

// Writes the head (CgiHead) and the body to the request's output stream;
// no body when `request` (the one ReadFcgiRequest read) is a HEAD.
void WriteFcgiResponse(const Request& request, const Response& response,
                       FCGX_Request* fcgi);

}  // namespace tokend
