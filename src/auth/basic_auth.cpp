// Basic authentication (see basic_auth.h).
#include "tokend/auth/basic_auth.h"

#include "tokend/auth/password_hash.h"
#include "tokend/common/crypto.h"
#include "tokend/common/limits.h"
#include "tokend/token/base64.h"
#include "tokend/token/token_ref.h"

namespace tokend {

namespace {

// Users one worker remembers (about 0.2 KiB each).
constexpr size_t kMaxKnownUsers = 4096;

}  // namespace

Status BadBasicCredentials() {
  return Status::Unauthorized(
      Status(Code::kBadBasicCredentials, "Invalid username or password."));
}



BasicAuth::BasicAuth(const Config& config, UserStore* users,
                     PasswordCache* password_cache, LoginLimiter* login_limiter)
    : users_(users),
      password_cache_(password_cache),
      login_limiter_(login_limiter),
      known_users_(kMaxKnownUsers),
      hash_params_(PasswordHashParamsOf(config)),
      decoy_hash_(DecoyPasswordHash(hash_params_)) {}

void BasicAuth::UpgradeHash(const std::string& password, UserRecord* user) {
  if (!NeedsRehash(user->password_hash, hash_params_)) return;
  std::string stronger;
  // Past the deadline the upgrade waits for the next login.
  hash_claim_->RunInTurn(
      [&] { stronger = hasher_->Hash(password, hash_params_); });
  bool replaced = false;
  if (!stronger.empty() &&
      users_->ReplacePasswordHash(*user, stronger, &replaced).ok() && replaced) {
    user->password_hash = std::move(stronger);
  }
}

Status BasicAuth::Authenticate(const std::string& credentials,
                               const std::string& address, int64_t now,
                               Caller* caller,
                               const BeforeUserLookup& before_lookup,
                               DeferredCheck* deferred) {
  std::string decoded;
  if (credentials.size() > kMaxHeaderBytes ||
      !Base64DecodeLenient(credentials, &decoded)) {
    return BadBasicCredentials();
  }
  size_t colon = decoded.find(':');
  if (colon == std::string::npos || colon == 0 || colon > kMaxUserNameBytes ||
      decoded.size() - colon - 1 > kMaxPasswordBytes) {
    Wipe(&decoded);
    return BadBasicCredentials();
  }
  std::string name = decoded.substr(0, colon);
  std::string password = decoded.substr(colon + 1);
  Wipe(&decoded);

  const KnownUser* known = known_users_.Find(name);
  if (deferred != nullptr && known != nullptr &&
      password_cache_->Contains(name, password, known->password_hash, now)) {
    // Verified against this hash before: the write checks that the user
    // still has it (GuardFor) instead of a lookup first.
    Wipe(&password);
    *deferred = DeferredCheck{true, known->id, "", name, known->password_hash};
    *caller = Caller{known->id, name, {}, 0, ""};
    return Status::Ok();
  }
  UserRecord user;
  bool found = false;
  Status status;
  if (known != nullptr) {
    if (before_lookup) before_lookup(known->id);
    status = users_->FindById(known->id, &user, &found);
    found = found && user.name == name;
  }
  // Not known here, or deleted since (and perhaps added again, as a new
  // user with a new id): by name.
  if (status.ok() && !found) status = users_->FindByName(name, &user, &found);
  if (status.ok() && known != nullptr &&
      (!found || known->id != user.id ||
       known->password_hash != user.password_hash)) {
    // A new password or a deleted user: what this worker knew is no use
    // any more (a deferred write would only fail its guard).
    known_users_.Erase(name);
    known = nullptr;
  }
  // Failures count against the user; for a name no user has, against the
  // name's digest (never the id of a user added later).
  const std::string user_id = found ? user.id : UserNameDigest(name);
  bool verified = status.ok() && found &&
                  password_cache_->Contains(name, password, user.password_hash,
                                            now);
  // The limits guard the slow hash: a password the pool has already
  // verified costs nothing to accept, so it skips them (and a correct
  // password is never slowed by someone else's guessing). The loop only
  // asks; the lane counts an attempt when it is about to hash it itself,
  // so requests that wait for another worker's hash of the same password
  // are not counted (a burst of first logins is no burst of failures).
  if (status.ok() && !verified && hash_claim_ == nullptr) {
    status = login_limiter_->Check(user_id, address);
    // A slow hash never runs on a connection loop: the worker hands the
    // request to its hashing lane, which serves it again with a claim.
    if (status.ok()) {
      status = Status(Code::kHashingLaneNeeded, "a password hash is needed");
    }
  }
  if (!status.ok()) {
    Wipe(&password);
    return status;
  }
  bool counted = false;
  if (!verified) {
    // An unknown user takes exactly a known user's way, with the decoy for
    // the stored hash: the same single-flight wait for an identical
    // request, the same hash (no user-name oracle, also under concurrency).
    const std::string stored = found ? user.password_hash : decoy_hash_;
    if (password_cache_->AwaitOrClaim(name, password, stored, now)) {
      verified = found;  // another worker's hash of it just succeeded
    } else {
      status = login_limiter_->Admit(user_id, address);
      if (!status.ok()) {
        password_cache_->Release(name, password, stored);
        Wipe(&password);
        return status;
      }
      counted = true;
      PasswordCheck result = PasswordCheck::kMismatch;
      if (!hash_claim_->RunInTurn(
              [&] { result = hasher_->Check(password, stored); })) {
        password_cache_->Release(name, password, stored);
        login_limiter_->Abandoned(user_id, address);
        Wipe(&password);
        return HashesTooBusy();
      }
      if (found && result == PasswordCheck::kMatch) {
        // A PBKDF2 hash, or one with other parameters, becomes one with
        // this configuration's (a password change meanwhile wins); the
        // cache then remembers the new one, and those waiting on the old
        // one's mark are released.
        UpgradeHash(password, &user);
        password_cache_->Remember(name, password, user.password_hash, now);
        verified = true;
      }
      password_cache_->Release(name, password, stored);
    }
  }
  Wipe(&password);
  // A failure keeps the counts its admission took.
  if (!verified) return BadBasicCredentials();
  if (counted) login_limiter_->Succeeded(user_id, address);
  if (known == nullptr || known->password_hash != user.password_hash) {
    known_users_.Put(name, KnownUser{user.id, user.password_hash});
  }
  *caller = Caller{user.id, user.name, {}, 0, ""};
  return Status::Ok();
}

}  // namespace tokend
