// Hex digits, decimal numbers, trimming and JSON quoting (see text.h).
#include "tokend/common/text.h"

#include <cstdint>
#include <cstring>

namespace tokend {

int HexDigitValue(char c) {
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return LowerHexDigitValue(c);
}

int LowerHexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool IsLowerHex(std::string_view text) {
  for (char c : text) {
    if (LowerHexDigitValue(c) < 0) return false;
  }
  return true;
}

std::string HexEncode(const uint8_t* bytes, size_t size) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[bytes[i] >> 4]);
    out.push_back(kDigits[bytes[i] & 0xf]);
  }
  return out;
}

bool ParseDecimal(std::string_view digits, int64_t* value) {
  if (digits.empty() || digits.size() > kMaxDecimalDigits) return false;
  int64_t result = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    result = result * 10 + (c - '0');
  }
  *value = result;
  return true;
}

std::string_view TrimWhitespace(std::string_view text) {
  constexpr std::string_view kWhitespace = " \t\r\n\v\f";
  size_t begin = text.find_first_not_of(kWhitespace);
  if (begin == std::string_view::npos) return std::string_view();
  size_t end = text.find_last_not_of(kWhitespace);
  return text.substr(begin, end - begin + 1);
}

namespace {

bool IsToEscape(unsigned char byte) {
  return byte < 0x20 || byte == '"' || byte == '\\';
}

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighBits = 0x8080808080808080ULL;

// Whether any byte of `word` is below 0x20, '"' or '\\' (the classic
// "has a zero byte" test, exact for "any": a borrow can only make bytes above
// a true hit look like one). Bytes from 0x80 up never count: `~word` clears
// their high bit.
bool WordHasByteToEscape(uint64_t word) {
  const uint64_t below_space = (word - kOnes * 0x20) & ~word;
  const uint64_t quote = word ^ (kOnes * '"');
  const uint64_t backslash = word ^ (kOnes * '\\');
  const uint64_t is_quote = (quote - kOnes) & ~quote;
  const uint64_t is_backslash = (backslash - kOnes) & ~backslash;
  return ((below_space | is_quote | is_backslash) & kHighBits) != 0;
}

// The first byte of [c, end) to escape, or end. Eight bytes at a time:
// the token list is a few KiB of base64 with nothing to escape, and the
// byte-by-byte loop was 9% of a worker's instructions on it.
const char* FindByteToEscape(const char* c, const char* end) {
  while (end - c >= 8) {
    uint64_t word;
    std::memcpy(&word, c, sizeof(word));
    if (WordHasByteToEscape(word)) break;
    c += 8;
  }
  while (c != end && !IsToEscape(static_cast<unsigned char>(*c))) ++c;
  return c;
}

}  // namespace

void AppendJsonQuoted(std::string_view text, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  out->reserve(out->size() + text.size() + 2);
  out->push_back('"');
  const char* c = text.data();
  const char* const end = text.data() + text.size();
  while (true) {
    const char* special = FindByteToEscape(c, end);
    out->append(c, special);
    if (special == end) break;
    const unsigned char byte = *special;
    c = special + 1;
    switch (byte) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        out->append("\\u00");
        out->push_back(kHex[byte >> 4]);
        out->push_back(kHex[byte & 0xf]);
    }
  }
  out->push_back('"');
}

}  // namespace tokend
