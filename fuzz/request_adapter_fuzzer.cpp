// libFuzzer target: the FastCGI request adapter and the routing behind it.
// The input is CGI parameters, one "NAME=value" per line, then an empty
// line, then the body. Any input must yield a Request and a route without
// crashing.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "tokend/api/endpoints.h"
#include "tokend/http/request.h"
#include "tokend/server/fcgi_adapter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t split = input.find("\n\n");
  std::string head = input.substr(0, split);
  std::string body = split == std::string::npos ? "" : input.substr(split + 2);

  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= head.size()) {
    size_t end = head.find('\n', start);
    if (end == std::string::npos) end = head.size();
    lines.push_back(head.substr(start, end - start));
    start = end + 1;
  }
  std::vector<const char*> params;
  for (const std::string& line : lines) params.push_back(line.c_str());
  params.push_back(nullptr);

  size_t offset = 0;
  tokend::Request request = tokend::RequestFromParams(
      params.data(), [&](char* buffer, int wanted) {
        size_t n = std::min(body.size() - offset, static_cast<size_t>(wanted));
        std::memcpy(buffer, body.data() + offset, n);
        offset += n;
        return static_cast<int>(n);
      });
  tokend::Router::Match match =
      tokend::EndpointRouter().Find(request.path, request.method);
  std::string decoded;
  tokend::PercentDecode(match.parameter, &decoded);
  return 0;
}
