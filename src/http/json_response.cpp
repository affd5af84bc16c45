// JSON response rendering (see json_response.h).
#include "tokend/http/json_response.h"

#include <json/json.h>

#include <memory>
#include <string>

#include "tokend/common/limits.h"
#include "tokend/common/text.h"
#include "tokend/http/utf8.h"

namespace tokend {

namespace {

// The most of one echoed value an error body repeats, in bytes.
constexpr size_t kMaxEchoedBytes = 512;

void AppendJson(const Json::Value& value, std::string* out);

// The JSON value of a json detail as an error echoes it: whole when its text
// is short; an object too long to echo keeps the members that fit (a caveat's
// "type", not its list of 65 entries), so the detail stays an object. False
// when the text is not JSON, or is a long value of another kind: it is then
// shown as a string, cut like any other.
bool EchoedJsonDetail(const std::string& text, Json::Value* value) {
  // Longer than any body a client can send: not a value it sent.
  if (text.size() > kMaxBodyBytes) return false;
  // Not strictMode: that refuses a root other than an object or a list,
  // and a caveat a client sent may be a bare string. A reader of its own
  // each time (errors are rare): a reader is not to be shared by threads.
  Json::CharReaderBuilder builder;
  builder.settings_["failIfExtra"] = true;
  const std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
  std::string errors;
  Json::Value parsed;
  try {
    if (!reader->parse(text.data(), text.data() + text.size(), &parsed,
                       &errors)) {
      return false;
    }
  } catch (const Json::Exception&) {
    return false;
  }
  if (text.size() <= kMaxEchoedBytes) {
    *value = std::move(parsed);
    return true;
  }
  if (!parsed.isObject()) return false;
  *value = Json::Value(Json::objectValue);
  size_t used = 2;  // {}
  for (const std::string& key : parsed.getMemberNames()) {
    std::string member;
    AppendJsonQuoted(key, &member);
    AppendJson(parsed[key], &member);
    const size_t cost = member.size() + 2;  // the ':' and a ','
    if (used + cost > kMaxEchoedBytes) continue;
    (*value)[key] = parsed[key];
    used += cost;
  }
  return true;
}

Json::Value DetailsOf(const Status& status) {
  Json::Value details(Json::objectValue);
  for (const Status::Detail& detail : status.details()) {
    Json::Value parsed;
    if (detail.number) {
      details[detail.key] = Json::Int64(std::stoll(detail.value));
    } else if (detail.json && EchoedJsonDetail(detail.value, &parsed)) {
      details[detail.key] = parsed;
    } else {
      // Details may echo what a client sent (a key, a caveat it appended):
      // never let invalid UTF-8 make the error body unparsable.
      details[detail.key] = ToValidUtf8(detail.value, kMaxEchoedBytes);
    }
  }
  return details;
}

// {"id", "details"?}: how an inner reason appears under details.authError.
Json::Value InnerError(const Status& status) {
  Json::Value inner(Json::objectValue);
  inner["id"] = status.error_id();
  Json::Value details = DetailsOf(status);
  if (status.inner() != nullptr) {
    details[status.inner_key()] = InnerError(*status.inner());
  }
  if (!details.empty()) inner["details"] = details;
  return inner;
}

// Appends the text jsoncpp's StreamWriter (indentation "", emitUTF8) writes
// for `value`, comments aside (none here: requests are parsed strictly).
void AppendJson(const Json::Value& value, std::string* out) {
  switch (value.type()) {
    case Json::nullValue:
      out->append("null");
      break;
    case Json::intValue:
      out->append(Json::valueToString(value.asLargestInt()));
      break;
    case Json::uintValue:
      out->append(Json::valueToString(value.asLargestUInt()));
      break;
    case Json::realValue:
      out->append(Json::valueToString(value.asDouble()));
      break;
    case Json::booleanValue:
      out->append(value.asBool() ? "true" : "false");
      break;
    case Json::stringValue: {
      const char* begin;
      const char* end;
      if (value.getString(&begin, &end)) {
        AppendJsonQuoted(std::string_view(begin, end - begin), out);
      }
      break;
    }
    case Json::arrayValue: {
      // Indexed, not iterated: a gap in an array is written as null.
      const Json::ArrayIndex size = value.size();
      out->push_back('[');
      for (Json::ArrayIndex i = 0; i < size; ++i) {
        if (i > 0) out->push_back(',');
        AppendJson(value[i], out);
      }
      out->push_back(']');
      break;
    }
    case Json::objectValue: {
      out->push_back('{');
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (it != value.begin()) out->push_back(',');
        const char* end;
        const char* name = it.memberName(&end);
        AppendJsonQuoted(std::string_view(name, end - name), out);
        out->push_back(':');
        AppendJson(*it, out);
      }
      out->push_back('}');
      break;
    }
  }
}

}  // namespace

// Profiled: jsoncpp's StreamWriter took 13% of CPU on /user/client_tokens.
std::string ToJson(const Json::Value& value) {
  std::string text;
  // Most bodies are small; a 4 KiB reserve on every one was a block too
  // large for malloc's per-thread cache. The string grows as it needs.
  text.reserve(256);
  AppendJson(value, &text);
  return text;
}

Response JsonResponse(int status, const Json::Value& body) {
  return JsonTextResponse(status, ToJson(body));
}

Response JsonTextResponse(int status, std::string json_text) {
  Response response;
  response.status = status;
  response.AddHeader("Content-Type", "application/json");
  response.body = std::move(json_text);
  return response;
}

Response ErrorResponse(const Status& status) {
  Json::Value error(Json::objectValue);
  error["id"] = status.error_id();
  error["description"] = ToValidUtf8(status.description());
  Json::Value details = DetailsOf(status);
  if (status.inner() != nullptr) {
    details[status.inner_key()] = InnerError(*status.inner());
  }
  if (!details.empty()) error["details"] = details;
  Json::Value body(Json::objectValue);
  body["error"] = error;
  Response response = JsonResponse(HttpStatusOf(status.code()), body);
  if (HttpStatusOf(status.code()) == 401) {
    response.AddHeader("WWW-Authenticate", "Basic realm=\"onezone\"");
  }
  return response;
}

}  // namespace tokend
