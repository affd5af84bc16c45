// Strict JSON request bodies (see json_body.h).
#include "tokend/json_body.h"

#include <json/json.h>

#include <cstring>
#include <memory>

#include "tokend/limits.h"

namespace tokend {

namespace {

bool IsBlank(const std::string& text) {
  return text.find_first_not_of(" \t\r\n") == std::string::npos;
}

// jsoncpp 1.9.5 skips comments after a value even with allowComments off,
// so a '/' outside string literals is refused before it parses anything.
bool HasSlashOutsideStrings(const std::string& text) {
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character, whatever it is
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '/') {
      return true;
    }
  }
  return false;
}

}  // namespace

Status ParseJsonObject(const std::string& body, bool allow_empty,
                       Json::Value* object) {
  if (IsBlank(body)) {
    if (allow_empty) {
      *object = Json::Value(Json::objectValue);
      return Status::Ok();
    }
    return Status(Code::kMissingRequiredValue,
                  "Missing required data: the request needs a JSON body.");
  }
  Json::CharReaderBuilder builder;
  Json::CharReaderBuilder::strictMode(&builder.settings_);
  builder["stackLimit"] = kMaxJsonDepth;
  builder["rejectDupKeys"] = true;
  builder["strictRoot"] = false;  // a non-object root is badValueJSON below
  std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
  std::string errors;
  bool parsed = false;
  if (HasSlashOutsideStrings(body)) {
    return Status(Code::kMalformedData,
                  "Provided data could not be understood by the server.");
  }
  try {
    parsed = reader->parse(body.data(), body.data() + body.size(), object,
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

Status RejectUnknownKeys(const Json::Value& object,
                         std::initializer_list<const char*> allowed) {
  for (const std::string& key : object.getMemberNames()) {
    bool known = false;
    for (const char* name : allowed) {
      if (key == name) known = true;
    }
    if (!known) {
      return Status(Code::kBadData, "Bad value: provided \"" + key.substr(0, 64) +
                                        "\" could not be understood by the "
                                        "server.")
          .AddDetail("key", key.substr(0, 64));
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
