// The caller's own user record (see user_api.h).
#include "tokend/api/user_api.h"

#include <string>
#include <utility>

#include "tokend/common/text.h"

namespace tokend {

void UserApi::GetUser(const Call& call, Outcome* outcome) {
  // Written as ToJson writes {"userId", "name"} (keys in jsoncpp's order),
  // without a Json::Value: the most frequent request there is.
  std::string body;
  body.reserve(32 + call.caller.name.size() + call.caller.user_id.size());
  body += "{\"name\":";
  AppendJsonQuoted(call.caller.name, &body);
  body += ",\"userId\":";
  AppendJsonQuoted(call.caller.user_id, &body);
  body += '}';
  outcome->SucceedWithJsonText(200, std::move(body));
}

}  // namespace tokend
