// Request log lines (see request_log.h).
#include "tokend/http/request_log.h"

#include <charconv>
#include <system_error>

namespace tokend {

namespace {

bool IsPlain(char c) { return c >= 0x20 && c < 0x7f && c != '"'; }

// Keeps log lines one line and free of control characters a client sent.
// Runs of plain characters (the usual text: all of it) go in one append.
void AppendPrintable(const std::string& text, size_t limit, std::string* out) {
  const size_t end = text.size() < limit ? text.size() : limit;
  size_t start = 0;
  while (start < end) {
    size_t plain_end = start;
    while (plain_end < end && IsPlain(text[plain_end])) ++plain_end;
    out->append(text, start, plain_end - start);
    if (plain_end == end) break;
    out->push_back('?');
    start = plain_end + 1;
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
  AppendAuditLines(request, outcome, &lines);
  return lines;
}

void AppendAuditLines(const Request& request, const Outcome& outcome,
                      std::string* out) {
  for (const std::string& event : outcome.audit) {
    *out += "audit id=";
    AppendRequestId(request, out);
    *out += ' ';
    *out += event;
    *out += '\n';
  }
}

std::string FormatRequestLog(const Request& request, const Outcome& outcome,
                             double milliseconds) {
  std::string line;
  AppendRequestLog(request, outcome, milliseconds, &line);
  return line;
}

void AppendRequestLog(const Request& request, const Outcome& outcome,
                      double milliseconds, std::string* out) {
  // Appended into the caller's buffer (the worker keeps one): a line per
  // request, so its temporaries and printf showed in the workers' profile.
  // to_chars rounds as printf's "%.2f" does (correctly, ties to even).
  char number[64];
  out->reserve(out->size() + 160);
  *out += "request id=";
  AppendRequestId(request, out);
  *out += " method=";
  AppendPrintable(request.method, 16, out);
  *out += " route=";
  *out += outcome.route;
  *out += " status=";
  out->append(number, std::to_chars(number, number + sizeof(number),
                                    outcome.response.status).ptr);
  *out += " user=";
  *out += outcome.user_id.empty() ? "-" : outcome.user_id;
  *out += " ms=";
  auto latency = std::to_chars(number, number + sizeof(number), milliseconds,
                               std::chars_format::fixed, 2);
  if (latency.ec == std::errc()) out->append(number, latency.ptr);
  if (!outcome.error_detail.empty()) {
    *out += " error=\"";
    AppendPrintable(outcome.error_detail, 200, out);
    *out += '"';
  }
}

}  // namespace tokend
