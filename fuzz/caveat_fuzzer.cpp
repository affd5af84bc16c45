// libFuzzer target: caveat strings as a client may append them, and caveat
// objects as a request may carry them. Any input must parse or be refused;
// a parsed caveat must print back to the very string (what a token signs)
// and be checked against a request without fault.
#include <json/json.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "tokend/api/caveats_json.h"
#include "tokend/token/caveat.h"

namespace {

// The textbook table of which pattern prefixes match which text prefixes:
// slow, obviously right, the reference MatchesWildcard must agree with.
bool MatchesByTable(const std::string& pattern, const std::string& text) {
  std::vector<std::vector<bool>> m(pattern.size() + 1,
                                   std::vector<bool>(text.size() + 1, false));
  m[0][0] = true;
  for (size_t p = 1; p <= pattern.size(); ++p) {
    for (size_t t = 0; t <= text.size(); ++t) {
      if (pattern[p - 1] == '*') {
        m[p][t] = m[p - 1][t] || (t > 0 && m[p][t - 1]);
      } else {
        m[p][t] = t > 0 && m[p - 1][t - 1] && pattern[p - 1] == text[t - 1];
      }
    }
  }
  return m[pattern.size()][text.size()];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  tokend::TokenCaveat caveat;
  if (tokend::ParseCaveat(text, &caveat)) {
    if (tokend::CaveatString(caveat) != text) std::abort();
    tokend::CaveatJsonText(caveat);
    tokend::CaveatContext context;
    context.now = 1800000000;
    context.peer_ip = "::ffff:10.1.2.3";
    context.interface = "rest";
    context.operation = "ozw/GET/user/tokens/named";
    context.service = "ozw-onezone";
    context.consumer = "usr-0123";
    tokend::CaveatHolds(caveat, context);
    tokend::CaveatJson(text);
  }
  if (size <= 256) {
    const std::string pattern = text.substr(0, size / 2);
    const std::string subject = text.substr(size / 2);
    if (tokend::MatchesWildcard(pattern, subject) !=
        MatchesByTable(pattern, subject)) {
      std::abort();
    }
  }

  Json::Value json;
  Json::CharReaderBuilder builder;
  std::string errors;
  std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
  if (reader->parse(text.data(), text.data() + text.size(), &json, &errors)) {
    std::vector<std::string> out;
    tokend::ParseCaveatsJson(json, 1800000000, &out);
    for (const std::string& made : out) {
      tokend::TokenCaveat again;
      if (!tokend::ParseCaveat(made, &again)) std::abort();
    }
  }
  return 0;
}
