// Request log lines (see request_log.h).
#include "tokend/request_log.h"

#include <cstdio>

namespace tokend {

namespace {

// Keeps log lines one line and free of control characters a client sent.
std::string Printable(const std::string& text, size_t limit) {
  std::string out;
  for (char c : text.substr(0, limit)) {
    bool plain = c >= 0x20 && c < 0x7f && c != '"';
    out.push_back(plain ? c : '?');
  }
  return out;
}

}  // namespace

namespace {

std::string RequestIdField(const Request& request) {
  return request.request_id.empty() ? "-" : Printable(request.request_id, 64);
}

}  // namespace

std::string FormatAuditLines(const Request& request, const Outcome& outcome) {
  std::string lines;
  for (const std::string& event : outcome.audit) {
    lines += "audit id=" + RequestIdField(request) + " " + event + "\n";
  }
  return lines;
}

std::string FormatRequestLog(const Request& request, const Outcome& outcome,
                             double milliseconds) {
  char latency[32];
  std::snprintf(latency, sizeof(latency), "%.2f", milliseconds);
  std::string line = "request id=" + RequestIdField(request) +
                     " method=" + Printable(request.method, 16) +
                     " route=" + outcome.route +
                     " status=" + std::to_string(outcome.response.status) +
                     " user=" + (outcome.user_id.empty() ? "-" : outcome.user_id) +
                     " ms=" + latency;
  if (!outcome.error_detail.empty()) {
    line += " error=\"" + Printable(outcome.error_detail, 200) + "\"";
  }
  return line;
}

}  // namespace tokend
