// UserApi: GET /user, who the credentials belong to.
//
// Stateless; thread-safe.
#pragma once

#include "tokend/api/call.h"
#include "tokend/http/outcome.h"

namespace tokend {

class UserApi {
 public:
  // 200 {"userId", "name"}.
  void GetUser(const Call& call, Outcome* outcome);
};

}  // namespace tokend
