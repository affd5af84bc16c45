// Base64 in both alphabets, and Onezone's token escaping (see base64.h).
#include "tokend/token/base64.h"

#include <array>
#include <cstdint>

namespace tokend {

namespace {

constexpr char kUrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr int8_t kInvalid = -1;

// Value of each byte in either alphabet, or kInvalid.
constexpr std::array<int8_t, 256> MakeDecodeTable() {
  std::array<int8_t, 256> table{};
  for (auto& value : table) value = kInvalid;
  for (int i = 0; i < 64; ++i) {
    table[static_cast<uint8_t>(kUrlAlphabet[i])] = static_cast<int8_t>(i);
  }
  table['+'] = 62;
  table['/'] = 63;
  return table;
}

constexpr std::array<int8_t, 256> kDecodeTable = MakeDecodeTable();

// The escape pairs, indexed by the digit after the '0'.
constexpr char kEscaped[] = {'0', '_', '-', '/', '+', '='};

}  // namespace

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  size_t i = 0;
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t group = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out.push_back(kUrlAlphabet[(group >> 18) & 63]);
    out.push_back(kUrlAlphabet[(group >> 12) & 63]);
    out.push_back(kUrlAlphabet[(group >> 6) & 63]);
    out.push_back(kUrlAlphabet[group & 63]);
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t group = data[i] << 16;
    out.push_back(kUrlAlphabet[(group >> 18) & 63]);
    out.push_back(kUrlAlphabet[(group >> 12) & 63]);
  } else if (rest == 2) {
    uint32_t group = (data[i] << 16) | (data[i + 1] << 8);
    out.push_back(kUrlAlphabet[(group >> 18) & 63]);
    out.push_back(kUrlAlphabet[(group >> 12) & 63]);
    out.push_back(kUrlAlphabet[(group >> 6) & 63]);
  }
  return out;
}

std::string Base64StandardEncode(std::string_view bytes) {
  std::string out = Base64UrlEncode(bytes);
  for (char& c : out) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  return out;
}

bool Base64DecodeLenient(std::string_view text, std::string* out) {
  // Padding, if present, must be only at the end and complete the group.
  size_t end = text.size();
  size_t padding = 0;
  while (end > 0 && text[end - 1] == '=') {
    --end;
    ++padding;
  }
  if (padding > 2) return false;
  if (padding > 0 && (end + padding) % 4 != 0) return false;
  if (end % 4 == 1) return false;  // six bits cannot make a byte

  out->clear();
  out->reserve(end * 3 / 4);
  uint32_t bits = 0;
  int bit_count = 0;
  for (size_t i = 0; i < end; ++i) {
    int8_t value = kDecodeTable[static_cast<uint8_t>(text[i])];
    if (value == kInvalid) return false;
    bits = (bits << 6) | static_cast<uint32_t>(value);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out->push_back(static_cast<char>((bits >> bit_count) & 0xff));
    }
  }
  // Leftover bits must be zero, as every encoder writes them.
  return (bits & ((1u << bit_count) - 1)) == 0;
}

std::string OnezoneEscape(std::string_view base64) {
  std::string out;
  out.reserve(base64.size() + base64.size() / 8);
  for (char c : base64) {
    int code = -1;
    for (int k = 0; k < 6; ++k) {
      if (c == kEscaped[k]) code = k;
    }
    if (code < 0) {
      out.push_back(c);
    } else {
      out.push_back('0');
      out.push_back(static_cast<char>('0' + code));
    }
  }
  return out;
}

bool OnezoneUnescape(std::string_view escaped, std::string* out) {
  out->clear();
  out->reserve(escaped.size());
  for (size_t i = 0; i < escaped.size(); ++i) {
    char c = escaped[i];
    if (c == '0') {
      if (i + 1 >= escaped.size()) return false;
      char digit = escaped[i + 1];
      if (digit < '0' || digit > '5') return false;
      out->push_back(kEscaped[digit - '0']);
      ++i;
    } else if (c == '_' || c == '-' || c == '/' || c == '+' || c == '=') {
      return false;  // escaping never leaves these behind
    } else {
      out->push_back(c);
    }
  }
  return true;
}

}  // namespace tokend
