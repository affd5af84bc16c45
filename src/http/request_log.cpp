// Request log lines (see request_log.h).
#include "tokend/http/request_log.h"

#include <cstdio>

namespace tokend {

namespace {

// Keeps log lines one line and free of control characters a client sent.
void AppendPrintable(const std::string& text, size_t limit, std::string* out) {
  size_t end = text.size() < limit ? text.size() : limit;
  for (size_t i = 0; i < end; ++i) {
    char c = text[i];
    bool plain = c >= 0x20 && c < 0x7f && c != '"';
    out->push_back(plain ? c : '?');
  }
}

void AppendRequestId(const Request& request, std::string* out) {
  if (request.request_id.empty()) {
    *out += '-';
  } else {
    AppendPrintable(request.request_id, 64, out);
  }
}

}  // namespace

std::string FormatAuditLines(const Request& request, const Outcome& outcome) {
  std::string lines;
  for (const std::string& event : outcome.audit) {
    lines += "audit id=";
    AppendRequestId(request, &lines);
    lines += ' ';
    lines += event;
    lines += '\n';
  }
  return lines;
}

std::string FormatRequestLog(const Request& request, const Outcome& outcome,
                             double milliseconds) {
  // Built by appending into one buffer: a line per request, so its
  // temporaries showed in the workers' profile.
  char latency[32];
  std::snprintf(latency, sizeof(latency), "%.2f", milliseconds);
  std::string line;
  line.reserve(160);
  line += "request id=";
  AppendRequestId(request, &line);
  line += " method=";
  AppendPrintable(request.method, 16, &line);
  line += " route=";
  line += outcome.route;
  line += " status=";
  line += std::to_string(outcome.response.status);
  line += " user=";
  line += outcome.user_id.empty() ? "-" : outcome.user_id;
  line += " ms=";
  line += latency;
  if (!outcome.error_detail.empty()) {
    line += " error=\"";
    AppendPrintable(outcome.error_detail, 200, &line);
    line += '"';
  }
  return line;
}

}  // namespace tokend
