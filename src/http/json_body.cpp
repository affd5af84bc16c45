// Strict JSON request bodies (see json_body.h).
#include "tokend/http/json_body.h"

#include <json/json.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "tokend/common/limits.h"
#include "tokend/common/text.h"
#include "tokend/http/utf8.h"

namespace tokend {

namespace {

bool IsBlank(const std::string& text) {
  return text.find_first_not_of(" \t\r\n") == std::string::npos;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// RFC 8259's number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool IsJsonNumber(const std::string& lexeme) {
  size_t i = 0;
  auto digits = [&]() {
    size_t start = i;
    while (i < lexeme.size() && IsDigit(lexeme[i])) ++i;
    return i > start;
  };
  if (i < lexeme.size() && lexeme[i] == '-') ++i;
  if (i < lexeme.size() && lexeme[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < lexeme.size() && lexeme[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < lexeme.size() && (lexeme[i] == 'e' || lexeme[i] == 'E')) {
    ++i;
    if (i < lexeme.size() && (lexeme[i] == '+' || lexeme[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == lexeme.size();
}

// Reads the four hex digits of a \u escape at `text[i]`; -1 if malformed.
long ReadUnicodeEscape(const std::string& text, size_t i) {
  if (i + 4 > text.size()) return -1;
  long value = 0;
  for (size_t k = 0; k < 4; ++k) {
    int digit = HexDigitValue(text[i + k]);
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

// A number jsoncpp would refuse although it is valid JSON (1e400, or an
// integer of hundreds of digits) replaced by one it reads as a double of
// the same sign and the same kind (integer literal or not), so the value
// gets the type error or range error it deserves instead of malformedData.
std::string RepresentableNumber(const std::string& lexeme) {
  bool negative = lexeme[0] == '-';
  bool integer = lexeme.find_first_of(".eE") == std::string::npos;
  if (integer) {
    // Up to 20 digits jsoncpp reads (as an integer or a double); beyond
    // that, 20 nines still say "too big for 64 bits".
    size_t digits = lexeme.size() - (negative ? 1 : 0);
    if (digits <= 20) return lexeme;
    return negative ? "-99999999999999999999" : "99999999999999999999";
  }
  double value = std::strtod(lexeme.c_str(), nullptr);
  if (std::isfinite(value)) return lexeme;
  return negative ? "-1e300" : "1e300";
}

// What jsoncpp 1.9.5 lets through although RFC 8259 forbids it, checked
// before parsing: invalid UTF-8, a NUL or other control character (raw in
// a string, or anywhere outside one but as whitespace), comments (jsoncpp
// skips them after a value even with allowComments off), numbers such as
// 010, +1, 1. or a lone -, and unpaired surrogate escapes. On success
// `normalized` is the text to parse (see RepresentableNumber), and
// `replaced` the offsets there of the numbers it replaced.
bool IsStrictJsonText(const std::string& text, std::string* normalized,
                      std::vector<size_t>* replaced) {
  normalized->clear();
  size_t copied = 0;  // text[0, copied) is already in `normalized`
  if (!IsValidUtf8(text)) return false;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (in_string) {
      if (c < 0x20) return false;
      if (c == '"') {
        in_string = false;
      } else if (c == '\\') {
        if (++i >= text.size()) return false;
        if (text[i] != 'u') continue;  // jsoncpp checks the other escapes
        long code = ReadUnicodeEscape(text, i + 1);
        if (code < 0 || (code >= 0xDC00 && code <= 0xDFFF)) return false;
        i += 4;
        if (code >= 0xD800 && code <= 0xDBFF) {
          // A high surrogate must be followed by an escaped low one.
          if (i + 2 >= text.size() || text[i + 1] != '\\' || text[i + 2] != 'u') {
            return false;
          }
          long low = ReadUnicodeEscape(text, i + 3);
          if (low < 0xDC00 || low > 0xDFFF) return false;
          i += 6;
        }
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '-' || c == '+' || c == '.' || IsDigit(c)) {
      size_t end = i;
      while (end < text.size() &&
             (IsDigit(text[end]) || text[end] == '-' || text[end] == '+' ||
              text[end] == '.' || text[end] == 'e' || text[end] == 'E')) {
        ++end;
      }
      std::string lexeme = text.substr(i, end - i);
      if (!IsJsonNumber(lexeme)) return false;
      std::string number = RepresentableNumber(lexeme);
      if (number != lexeme) {
        normalized->append(text, copied, i - copied);
        replaced->push_back(normalized->size());
        normalized->append(number);
        copied = end;
      }
      i = end - 1;
    } else if (c < 0x20 && c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      return false;
    } else if (c == '/') {
      return false;
    }
  }
  normalized->append(text, copied, std::string::npos);
  return true;
}

// Building a reader costs more than parsing a small body (a profile of
// token creates put it at 4% of a worker's time), so each thread keeps one.
Json::CharReader* StrictReader() {
  thread_local const std::unique_ptr<Json::CharReader> reader = [] {
    Json::CharReaderBuilder builder;
    Json::CharReaderBuilder::strictMode(&builder.settings_);
    builder["stackLimit"] = kMaxJsonDepth;
    builder["rejectDupKeys"] = true;
    builder["strictRoot"] = false;  // a non-object root is badValueJSON below
    return std::unique_ptr<Json::CharReader>(builder.newCharReader());
  }();
  return reader.get();
}

}  // namespace

Status ParseJsonObject(const std::string& body, bool allow_empty,
                       Json::Value* object, std::string* parsed_text,
                       std::vector<size_t>* replaced_numbers) {
  std::string normalized;
  if (parsed_text == nullptr) parsed_text = &normalized;
  std::vector<size_t> replaced;
  if (replaced_numbers == nullptr) replaced_numbers = &replaced;
  replaced_numbers->clear();
  if (IsBlank(body)) {
    if (allow_empty) {
      *object = Json::Value(Json::objectValue);
      return Status::Ok();
    }
    return Status(Code::kMissingRequiredValue,
                  "Missing required data: the request needs a JSON body.");
  }
  Json::CharReader* reader = StrictReader();
  std::string errors;
  bool parsed = false;
  if (!IsStrictJsonText(body, parsed_text, replaced_numbers)) {
    return Status(Code::kMalformedData,
                  "Provided data could not be understood by the server.");
  }
  try {
    parsed = reader->parse(parsed_text->data(),
                           parsed_text->data() + parsed_text->size(), object,
                           &errors);
  } catch (const Json::Exception&) {
    parsed = false;  // jsoncpp throws past its stack limit
  }
  if (!parsed) {
    return Status(Code::kMalformedData,
                  "Provided data could not be understood by the server.");
  }
  if (!object->isObject()) {
    return Status(Code::kBadValueJSON,
                  "Bad value: provided body must be a JSON object.");
  }
  return Status::Ok();
}

bool IsIntegerLiteral(const std::string& parsed_text, const Json::Value& value) {
  size_t start = static_cast<size_t>(value.getOffsetStart());
  size_t limit = static_cast<size_t>(value.getOffsetLimit());
  if (start >= limit || limit > parsed_text.size()) return false;
  if (parsed_text[start] == '-') ++start;
  for (size_t i = start; i < limit; ++i) {
    if (!IsDigit(parsed_text[i])) return false;
  }
  return start < limit;
}

bool NumbersHeldAsGiven(const Json::Value& value,
                        const std::string& parsed_text,
                        const std::vector<size_t>& replaced_numbers) {
  if (value.isArray() || value.isObject()) {
    for (const Json::Value& member : value) {
      if (!NumbersHeldAsGiven(member, parsed_text, replaced_numbers)) {
        return false;
      }
    }
    return true;
  }
  if (value.type() != Json::realValue) return true;
  // An integer literal read as a double did not fit in 64 bits.
  if (IsIntegerLiteral(parsed_text, value)) return false;
  // The offsets ascend (the parser recorded them in reading order): a body
  // of many numbers costs a search per number, not a scan.
  return !std::binary_search(replaced_numbers.begin(), replaced_numbers.end(),
                             static_cast<size_t>(value.getOffsetStart()));
}

Status RejectUnknownKeys(const Json::Value& object,
                         std::initializer_list<const char*> allowed) {
  for (const std::string& key : object.getMemberNames()) {
    bool known = false;
    for (const char* name : allowed) {
      if (key == name) known = true;
    }
    if (!known) {
      std::string shown = ToValidUtf8(key, 64);
      return Status(Code::kBadData, "Bad value: provided \"" + shown +
                                        "\" could not be understood by the "
                                        "server.")
          .AddDetail("key", shown);
    }
  }
  return Status::Ok();
}

Status GetRequiredString(const Json::Value& object, const char* key,
                         std::string* value) {
  if (!object.isMember(key)) {
    return Status(Code::kMissingRequiredValue,
                  std::string("Missing required value: \"") + key + "\".")
        .AddDetail("key", key);
  }
  const Json::Value& field = object[key];
  if (!field.isString()) {
    return Status(Code::kBadValueString,
                  std::string("Bad value: provided \"") + key +
                      "\" must be a string.")
        .AddDetail("key", key);
  }
  *value = field.asString();
  return Status::Ok();
}

}  // namespace tokend
