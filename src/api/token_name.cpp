// Token names (see token_name.h).
#include "tokend/api/token_name.h"

#include <cstdint>
#include <vector>

#include "tokend/common/limits.h"
#include "tokend/http/utf8.h"

namespace tokend {

namespace {

// The code points of valid UTF-8 `text`.
std::vector<uint32_t> CodePoints(const std::string& text) {
  std::vector<uint32_t> points;
  for (size_t i = 0; i < text.size();) {
    const unsigned char lead = text[i];
    size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    uint32_t point = length == 1 ? lead
                     : length == 2 ? lead & 0x1F
                     : length == 3 ? lead & 0x0F
                                   : lead & 0x07;
    for (size_t k = 1; k < length; ++k) {
      point = (point << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    }
    points.push_back(point);
    i += length;
  }
  return points;
}

// A letter or digit of any script. Without Unicode tables, a code point
// above ASCII counts as one unless it lies in a block of controls,
// punctuation, symbols, spaces, private use or specials, or beyond the
// basic plane: an approximation that errs towards refusing.
bool IsLetterOrDigit(uint32_t c) {
  if (c < 0x80) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
  }
  return !(c <= 0xBF || c == 0xD7 || c == 0xF7 ||
           (c >= 0x2000 && c <= 0x2BFF) ||   // punctuation .. symbols
           (c >= 0x3000 && c <= 0x303F) ||   // CJK symbols, ideographic space
           (c >= 0xD800 && c <= 0xF8FF) ||   // surrogates, private use
           (c >= 0xFE00 && c <= 0xFE6F) ||   // variation selectors, forms
           (c >= 0xFF00 && c <= 0xFF0F) ||   // fullwidth punctuation
           c >= 0xFFF0);  // specials, and all beyond the basic plane
                          // (emoji among them)
}

bool IsEdgeCharacter(uint32_t c) {
  return IsLetterOrDigit(c) || c == '_' || c == '(' || c == ')';
}

bool IsInnerCharacter(uint32_t c) {
  return IsEdgeCharacter(c) || c == '-' || c == ' ' || c == '.';
}

}  // namespace

Status CheckTokenName(const std::string& name) {
  bool valid = IsValidUtf8(name);
  std::vector<uint32_t> points;
  if (valid) points = CodePoints(name);
  valid = valid && points.size() >= kMinTokenNameChars &&
          points.size() <= kMaxTokenNameChars &&
          IsEdgeCharacter(points.front()) && IsEdgeCharacter(points.back());
  for (size_t i = 1; valid && i + 1 < points.size(); ++i) {
    valid = IsInnerCharacter(points[i]);
  }
  if (valid) return Status::Ok();
  return Status(Code::kBadValueName,
                "Bad value: provided \"name\" must be " +
                    std::to_string(kMinTokenNameChars) + "-" +
                    std::to_string(kMaxTokenNameChars) +
                    " characters long and composed only of letters, digits, "
                    "brackets and underscores; dashes, spaces and dots are "
                    "allowed but not at the beginning or the end.")
      .AddDetail("key", "name");
}

}  // namespace tokend
