// libFuzzer target: JSON request bodies (token options, and the strict
// object reader every endpoint uses). Any input must give a Status.
#include <json/json.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "tokend/api/token_options.h"
#include "tokend/http/json_body.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  tokend::TokenOptions options;
  tokend::ParseTokenOptions(body, 31536000, &options);

  Json::Value object;
  if (tokend::ParseJsonObject(body, false, &object).ok()) {
    std::string name;
    tokend::RejectUnknownKeys(object, {"name", "token"});
    tokend::GetRequiredString(object, "name", &name);
  }
  return 0;
}
