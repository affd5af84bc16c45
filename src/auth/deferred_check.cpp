// Checks left to a request's write (see deferred_check.h).
#include "tokend/auth/deferred_check.h"

#include "tokend/auth/basic_auth.h"
#include "tokend/auth/token_auth.h"
#include "tokend/store/store_keys.h"

namespace tokend {

WriteGuard GuardFor(const DeferredCheck& deferred) {
  WriteGuard guard;
  if (deferred.basic()) {
    guard.keys = {UserKey(deferred.user_id)};
    guard.user_fingerprint =
        UserFingerprint(deferred.name, deferred.password_hash);
    return guard;
  }
  // What UserStore::FindTokenOwner looks at: the token's record and its
  // user.
  guard.keys = {TokenRecordKey(deferred.user_id, deferred.nonce),
                UserKey(deferred.user_id)};
  return guard;
}

Status SettleDeferred(const DeferredCheck& deferred, const WriteGuard& guard,
                      UserStore* users) {
  const Status refused = deferred.basic() ? BadBasicCredentials() : RevokedToken();
  if (guard.checked) return guard.held ? Status::Ok() : refused;
  UserRecord user;
  bool found = false;
  Status status;
  if (deferred.basic()) {
    status = users->FindByName(deferred.name, &user, &found);
    found = found && user.password_hash == deferred.password_hash;
  } else {
    status = users->FindTokenOwner(deferred.user_id, deferred.nonce, &user, &found);
  }
  if (!status.ok()) return status;
  return found ? Status::Ok() : refused;
}

}  // namespace tokend
