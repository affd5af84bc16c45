// Token authentication and the cache of verified tokens (see token_auth.h).
#include "tokend/auth/token_auth.h"

#include <algorithm>

#include "tokend/common/metrics.h"
#include "tokend/token/token_check.h"

namespace tokend {

namespace {

// Bytes an entry and each of its caveats cost beyond their strings'
// contents (the entry, its two map nodes and buckets, the heap blocks of its
// strings), rounded up from what glibc's malloc takes on x86-64.
constexpr size_t kEntryOverheadBytes = 512;
constexpr size_t kCaveatOverheadBytes = sizeof(Caveat) + 32;

bool SameSignedCaveats(const std::vector<Caveat>& cached,
                       const std::vector<Caveat>& presented) {
  if (cached.size() != presented.size()) return false;
  for (size_t i = 0; i < cached.size(); ++i) {
    if (cached[i].id != presented[i].id ||
        cached[i].verification_id != presented[i].verification_id) {
      return false;
    }
  }
  return true;
}

}  // namespace

VerifiedTokenCache::VerifiedTokenCache(size_t max_entries, size_t max_bytes)
    : max_entries_(max_entries), max_bytes_(max_bytes) {}

const VerifiedToken* VerifiedTokenCache::FindText(std::string_view text) const {
  auto it = by_text_.find(text);
  return it == by_text_.end() ? nullptr : &it->second->verified;
}

const VerifiedToken* VerifiedTokenCache::FindSigned(
    const Macaroon& macaroon) const {
  auto it = by_identifier_.find(macaroon.identifier);
  if (it == by_identifier_.end()) return nullptr;
  const Entry& entry = it->second;
  if (!SameSignedCaveats(entry.caveats, macaroon.caveats)) return nullptr;
  // Constant time: a cached signature is its holder's secret.
  if (!ConstantTimeEquals(entry.signature.data(), macaroon.signature.data(),
                          entry.signature.size())) {
    return nullptr;
  }
  return &entry.verified;
}

void VerifiedTokenCache::Remember(const Macaroon& macaroon,
                                  std::string_view text,
                                  VerifiedToken verified) {
  auto old = by_identifier_.find(macaroon.identifier);
  if (old != by_identifier_.end()) Forget(old);

  Entry entry;
  entry.bytes = kEntryOverheadBytes + macaroon.identifier.size() + text.size() +
                verified.ref.owner_id.size() + verified.ref.nonce.size();
  entry.caveats.reserve(macaroon.caveats.size());
  for (const Caveat& caveat : macaroon.caveats) {
    entry.caveats.push_back(Caveat{caveat.id, caveat.verification_id, {}});
    entry.bytes +=
        kCaveatOverheadBytes + caveat.id.size() + caveat.verification_id.size();
  }
  for (const std::string& added : verified.added_caveats) {
    entry.bytes += kCaveatOverheadBytes + added.size();
  }
  for (const TokenCaveat& caveat : verified.contextual) {
    entry.bytes += kCaveatOverheadBytes;
    for (const std::string& entry_text : caveat.list) {
      entry.bytes += sizeof(std::string) + entry_text.size();
    }
  }
  if (entry.bytes > max_bytes_) return;
  entry.signature = macaroon.signature;
  entry.text.assign(text);
  entry.verified = std::move(verified);

  if (by_identifier_.size() >= max_entries_ ||
      bytes_ + entry.bytes > max_bytes_) {
    by_text_.clear();
    by_identifier_.clear();
    bytes_ = 0;
  }
  bytes_ += entry.bytes;
  const Entry& stored =
      by_identifier_.emplace(macaroon.identifier, std::move(entry))
          .first->second;
  by_text_.emplace(stored.text, &stored);
}

void VerifiedTokenCache::Forget(EntryMap::iterator entry) {
  by_text_.erase(entry->second.text);
  bytes_ -= entry->second.bytes;
  by_identifier_.erase(entry);
}

Status RevokedToken() {
  return Status::Unauthorized(
      Status(Code::kTokenInvalid, "Provided token is not valid."));
}

Status ReversiblyRevokedToken() {
  return Status::Unauthorized(
      Status(Code::kTokenRevoked, "Provided token has been revoked."));
}

namespace {

// The caller a named or temporary token names: `user`, confined by the
// token's added caveats (already trimmed to those past what it was minted
// with).
Caller SuccessorCaller(const UserRecord& user, const VerifiedToken& verified) {
  Caller caller;
  if (!verified.added_caveats.empty()) {
    caller.added_caveats = verified.added_caveats;
    caller.expires_at = verified.expires_at;
  }
  caller.user_id = user.id;
  caller.name = user.name;
  return caller;
}

}  // namespace

TokenAuth::TokenAuth(const TokenKeys* keys, UserStore* users,
                     SuccessorTokenStores successor_stores)
    : keys_(keys),
      users_(users),
      successor_stores_(successor_stores),
      verified_tokens_(kMaxVerifiedTokens, kMaxVerifiedTokenBytes) {}

namespace {

// A token's type in Onezone's JSON form, as text (details.received).
std::string TokenTypeJsonText(const TokenRef& ref) {
  if (ref.invitation()) {
    const std::string& space_id =
        ref.kind == TokenKind::kInvite ? ref.owner_id : ref.invite_space_id;
    return R"({"inviteToken":{"inviteType":"userJoinSpace","spaceId":")" +
           space_id + R"("}})";
  }
  return ref.identity ? R"({"identityToken":{}})" : R"({"accessToken":{}})";
}

bool ServesPurpose(const TokenRef& ref, TokenPurpose purpose) {
  if (purpose == TokenPurpose::kAccess) return ref.authenticates();
  if (purpose == TokenPurpose::kInvite) return ref.invitation();
  return (ref.kind == TokenKind::kNamed || ref.kind == TokenKind::kTemporary) &&
         ref.identity;
}

Status WrongPurpose(const TokenRef& ref, TokenPurpose purpose) {
  if (purpose == TokenPurpose::kAccess) {
    return Status(Code::kNotAnAccessToken,
                  std::string(ref.invitation() ? "An invitation"
                                               : "An identity") +
                      " token cannot authenticate a request; use an access "
                      "token.")
        .AddJsonDetail("received", TokenTypeJsonText(ref));
  }
  if (purpose == TokenPurpose::kInvite) {
    return Status(Code::kNotAnInviteToken,
                  "The token is not an invitation.")
        .AddJsonDetail("received", TokenTypeJsonText(ref));
  }
  return Status(Code::kNotAnIdentityToken,
                "Only an identity token proves an identity here.")
      .AddJsonDetail("received", TokenTypeJsonText(ref));
}

// The error of a service or consumer token that does not prove an
// identity: `code` with the token's own error.
Status BadIdentityToken(Code code, const char* which, const Status& error) {
  const Status& reason = error.inner() != nullptr ? *error.inner() : error;
  return Status(code, std::string("The ") + which +
                          " token does not prove an identity: " +
                          reason.description())
      .AddInnerDetail("tokenError", reason);
}

}  // namespace

Status TokenAuth::Authenticate(const std::string& text, const TokenUse& use,
                               Caller* caller, std::string* token_identifier,
                               const BeforeUserLookup& before_lookup,
                               DeferredCheck* deferred) {
  return Accept(TokenPurpose::kAccess, text, use, caller, token_identifier,
                before_lookup, deferred, nullptr);
}

Status TokenAuth::VerifyFor(TokenPurpose purpose, const std::string& text,
                            const TokenUse& use, Caller* caller,
                            int64_t* expires_at) {
  std::string token_identifier;
  Status status = Accept(purpose, text, use, caller, &token_identifier,
                         nullptr, nullptr, expires_at);
  if (status.code() == Code::kUnauthorized && status.inner() != nullptr) {
    return *status.inner();
  }
  return status;
}

Status TokenAuth::Accept(TokenPurpose purpose, const std::string& text,
                         const TokenUse& use, Caller* caller,
                         std::string* token_identifier,
                         const BeforeUserLookup& before_lookup,
                         DeferredCheck* deferred, int64_t* expires_at) {
  const int64_t now = use.context.now;
  Status status;
  const VerifiedToken* known = verified_tokens_.FindText(text);
  const bool usable = known != nullptr && now < known->expires_at;
  // A seed token's cached entry is read where it is (a copy per request
  // showed in the profile): nothing below changes the cache or the entry
  // unless a service or consumer token is to be verified too (that may
  // make room in the cache) or the token is named or temporary (its
  // minted caveats are trimmed off the copy).
  const bool in_place = usable &&
                        (known->ref.kind == TokenKind::kAccess ||
                         known->ref.kind == TokenKind::kInvite) &&
                        use.service_token.empty() && use.consumer_token.empty();
  VerifiedToken copy;
  if (!usable) {
    status = Verify(text, now, &copy);
  } else if (!in_place) {
    copy = *known;
  }
  const VerifiedToken& verified = in_place ? *known : copy;
  const TokenRef& ref = verified.ref;
  if (!ref.owner_id.empty()) *token_identifier = TokenIdentifier(ref);
  if (!status.ok()) return Status::Unauthorized(status);
  if (!ServesPurpose(ref, purpose)) {
    return Status::Unauthorized(WrongPurpose(ref, purpose));
  }
  status = CheckUse(verified, use);
  if (!status.ok()) return Status::Unauthorized(status);
  if (expires_at != nullptr) *expires_at = verified.expires_at;
  if (ref.kind == TokenKind::kNamed) {
    return CheckNamed(&copy, caller, before_lookup);
  }
  if (ref.kind == TokenKind::kTemporary) {
    return CheckTemporary(&copy, caller, before_lookup);
  }
  if (ref.kind == TokenKind::kInvite) {
    *caller = Caller();  // its record is its space's (see VerifyFor)
    return Status::Ok();
  }
  Caller confinement;
  if (!verified.added_caveats.empty()) {
    confinement.added_caveats = verified.added_caveats;
    confinement.expires_at = verified.expires_at;
  }
  if (deferred != nullptr) {
    *deferred = DeferredCheck{true, ref.owner_id, ref.nonce, "", ""};
    *caller = std::move(confinement);
    caller->user_id = ref.owner_id;
    return Status::Ok();
  }
  UserRecord user;
  bool found = false, revoked = false;
  if (before_lookup) before_lookup(ref.owner_id);
  status =
      users_->FindTokenOwner(ref.owner_id, ref.nonce, &user, &found, &revoked);
  if (!status.ok()) return status;
  if (revoked) return ReversiblyRevokedToken();
  if (!found) return RevokedToken();
  *caller = std::move(confinement);
  caller->user_id = std::move(user.id);
  caller->name = std::move(user.name);
  return Status::Ok();
}

Status TokenAuth::CheckUse(const VerifiedToken& verified, const TokenUse& use) {
  if (verified.contextual.empty() && use.service_token.empty() &&
      use.consumer_token.empty()) {
    return Status::Ok();  // the common case: time caveats only
  }
  std::string service(use.own_service);
  std::string consumer;
  if (!use.service_token.empty()) {
    Status status = ProveIdentity(use.service_token, use.context, &service);
    if (!status.ok()) {
      return BadIdentityToken(Code::kBadServiceToken, "service", status);
    }
  }
  if (!use.consumer_token.empty()) {
    Status status = ProveIdentity(use.consumer_token, use.context, &consumer);
    if (!status.ok()) {
      return BadIdentityToken(Code::kBadConsumerToken, "consumer", status);
    }
  }
  CaveatContext context = use.context;
  context.service = service;
  context.consumer = consumer;
  std::string operation;
  if (context.operation.empty() && use.operation_of) {
    operation = use.operation_of();
    context.operation = operation;
  }
  return CheckContextualCaveats(verified.contextual, context);
}

Status TokenAuth::ProveIdentity(std::string_view text,
                                const CaveatContext& context,
                                std::string* subject) {
  VerifiedToken verified;
  Status status = Verify(std::string(text), context.now, &verified);
  if (!status.ok()) return status;
  if (!ServesPurpose(verified.ref, TokenPurpose::kIdentity)) {
    return WrongPurpose(verified.ref, TokenPurpose::kIdentity);
  }
  // Its own service and consumer are not known: such caveats fail.
  CaveatContext own = context;
  own.service = {};
  own.consumer = {};
  status = CheckContextualCaveats(verified.contextual, own);
  if (!status.ok()) return status;
  Caller holder;
  status = verified.ref.kind == TokenKind::kNamed
               ? CheckNamed(&verified, &holder, nullptr)
               : CheckTemporary(&verified, &holder, nullptr);
  if (!status.ok()) return status;
  *subject = "usr-" + holder.user_id;
  return Status::Ok();
}

Status TokenAuth::CheckNamed(VerifiedToken* verified, Caller* caller,
                             const BeforeUserLookup& before_lookup) {
  const TokenRef& ref = verified->ref;
  UserRecord user;
  bool found = false, revoked = false;
  size_t minted_caveats = 0;
  if (before_lookup) before_lookup(ref.owner_id);
  Status status = successor_stores_.named->FindTokenOwner(
      ref.owner_id, ref.nonce, &user, &found, &revoked, &minted_caveats);
  if (!status.ok()) return status;
  if (!found) return RevokedToken();
  if (revoked) return ReversiblyRevokedToken();
  std::vector<std::string>& added = verified->added_caveats;
  added.erase(added.begin(),
              added.begin() + std::min(minted_caveats, added.size()));
  *caller = SuccessorCaller(user, *verified);
  caller->named_token_id = ref.nonce;
  return Status::Ok();
}

Status TokenAuth::CheckTemporary(VerifiedToken* verified, Caller* caller,
                                 const BeforeUserLookup& before_lookup) {
  const TokenRef& ref = verified->ref;
  UserRecord user;
  bool found = false;
  int64_t generation = 0;
  if (before_lookup) before_lookup(ref.owner_id);
  Status status = successor_stores_.temporary->FindTokenOwner(
      ref.owner_id, &user, &found, &generation);
  if (!status.ok()) return status;
  if (!found) return RevokedToken();
  if (ref.generation != generation) return ReversiblyRevokedToken();
  *caller = SuccessorCaller(user, *verified);
  return Status::Ok();
}

Status TokenAuth::Verify(const std::string& text, int64_t now,
                         VerifiedToken* out) {
  Macaroon macaroon;
  Status status = DecodeToken(text, &macaroon);
  if (!status.ok()) return status;
  VerifiedToken verified;
  const VerifiedToken* known = verified_tokens_.FindSigned(macaroon);
  if (known != nullptr && now < known->expires_at) {
    verified = *known;
  } else {
    CountTokenVerification();
    status = CheckIssuedMacaroon(*keys_, macaroon, now, CaveatPolicy::kEnforce,
                                 &verified.ref, &verified.expires_at,
                                 &verified.contextual);
    // The service issues a seed token with one caveat; a holder adds the
    // rest. A temporary token's id says how many it was minted with, a
    // named token's record (CheckNamed).
    const size_t minted =
        verified.ref.kind == TokenKind::kAccess      ? 1
        : verified.ref.kind == TokenKind::kTemporary
            ? MintedCaveatsOfTemporaryToken(verified.ref.nonce)
            : 0;
    for (size_t i = minted; i < macaroon.caveats.size(); ++i) {
      verified.added_caveats.push_back(macaroon.caveats[i].id);
    }
  }
  *out = verified;
  if (status.ok()) {
    verified_tokens_.Remember(macaroon, text, std::move(verified));
  }
  return status;
}

}  // namespace tokend
