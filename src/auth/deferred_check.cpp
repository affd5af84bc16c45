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
  if (guard.checked && guard.held) return Status::Ok();
  if (deferred.basic() && guard.checked) return BadBasicCredentials();
  UserRecord user;
  bool found = false, revoked = false;
  Status status;
  if (deferred.basic()) {
    status = users->FindByName(deferred.name, &user, &found);
    found = found && user.password_hash == deferred.password_hash;
    if (!status.ok()) return status;
    return found ? Status::Ok() : BadBasicCredentials();
  }
  // A seed token the write refused may have been revoked reversibly
  // (through the named-token API): that answer is tokenRevoked.
  status = users->FindTokenOwner(deferred.user_id, deferred.nonce, &user,
                                 &found, &revoked);
  if (!status.ok()) return status;
  if (revoked) return ReversiblyRevokedToken();
  if (guard.checked || !found) return RevokedToken();
  return Status::Ok();
}

}  // namespace tokend
