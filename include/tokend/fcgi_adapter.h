// FastCGI adapter: copies a libfcgi request into an owning Request value
// (libfcgi frees its parameter strings at the next accept or finish) and
// writes a Response back as CGI output. Only src/fcgi_adapter.cpp sees
// libfcgi.
#pragma once

#include "tokend/http.h"

struct FCGX_Request;

namespace tokend {

// Reads the parameters and at most kMaxBodyBytes of body (more sets
// body_too_large).
Request ReadFcgiRequest(FCGX_Request* fcgi);

// Writes status line, headers and body to the request's output stream.
void WriteFcgiResponse(const Response& response, FCGX_Request* fcgi);

}  // namespace tokend
