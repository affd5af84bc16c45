// DeferredCheck: a caller whose last authentication check is left to the
// request's one write, which makes it atomically through the write's guard.
// It saves a round trip that would wait behind other requests' fsyncs.
//   A token: the token's record and its user must still exist.
//   Basic auth (a password this worker verified against the user's stored
//   hash before): the user must still have that hash. When not, the caller
//   must be checked again in full, because the password may be right for
//   the new hash too.
//
// Not thread-safe (uses the worker's UserStore).
#pragma once

#include <string>

#include "tokend/common/status.h"
#include "tokend/store/user_store.h"
#include "tokend/store/write_guard.h"

namespace tokend {

struct DeferredCheck {
  bool pending = false;
  std::string user_id;
  std::string nonce;          // token only
  std::string name;           // basic auth only
  std::string password_hash;  // basic auth only

  bool basic() const { return !password_hash.empty(); }
};

// The guard the request's write carries to make `deferred`.
WriteGuard GuardFor(const DeferredCheck& deferred);

// What became of the check once the request is served: Ok when the write's
// guard held; when the request ended before its write (a bad body, a token
// not found), the check made on its own now. Otherwise what authentication
// answers for a revoked token (or wrong basic credentials); kUnauthorized
// for basic auth means "check the caller in full and serve again".
Status SettleDeferred(const DeferredCheck& deferred, const WriteGuard& guard,
                      UserStore* users);

}  // namespace tokend
