// The caller's own user record (see user_api.h).
#include "tokend/api/user_api.h"

#include <json/json.h>

namespace tokend {

void UserApi::GetUser(const Call& call, Outcome* outcome) {
  Json::Value body(Json::objectValue);
  body["userId"] = call.caller.user_id;
  body["name"] = call.caller.name;
  outcome->Succeed(200, body);
}

}  // namespace tokend
