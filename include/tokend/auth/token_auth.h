// TokenAuth: authenticates a token. A token is accepted when it parses, its
// signature matches, every caveat holds (including caveats the client
// appended), it is an access token, and its record and its user are still
// in Redis (not deleted, not expired). Failures are kUnauthorized with the
// inner reason (badToken, tokenInvalid, tokenCaveatUnverified, ...).
//
// Not thread-safe: one per worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokend/auth/caller.h"
#include "tokend/auth/deferred_check.h"
#include "tokend/common/crypto.h"
#include "tokend/common/status.h"
#include "tokend/store/named_token_store.h"
#include "tokend/store/temporary_token_store.h"
#include "tokend/store/user_store.h"
#include "tokend/token/caveat.h"
#include "tokend/token/macaroon.h"
#include "tokend/token/token_keys.h"
#include "tokend/token/token_ref.h"

namespace tokend {

// What authentication answers for a revoked or unknown token.
Status RevokedToken();
// What it answers for a token its owner revoked reversibly (a named token,
// a seed token revoked through the named-token API) or a temporary one of
// an older generation: 401 with authError tokenRevoked.
Status ReversiblyRevokedToken();

// What a worker keeps of a token whose signature and caveats it verified.
struct VerifiedToken {
  TokenRef ref;
  int64_t expires_at = 0;  // its earliest time caveat: all hold before it
  // The caveats after the one the service issued a seed token with: what
  // a holder appended (see Caller::added_caveats). For a named token all
  // of its caveats, until its record tells how many it was minted with.
  std::vector<std::string> added_caveats;
  // Its caveats about the request (ip, interface, api, service, consumer,
  // data access), checked again at every use.
  std::vector<TokenCaveat> contextual;
};

// What a token is checked against besides its signature: the request that
// presents it, or the verify request a service makes for it.
struct TokenUse {
  // The time, the client's address, the interface, the operation and
  // whether data-access caveats are allowed. Its service and consumer are
  // filled in by TokenAuth from the two tokens below.
  CaveatContext context;
  // The identity token of the service that presents the token
  // (x-onedata-service-token, or serviceToken); empty: none.
  std::string_view service_token;
  // The service when no service token names one: "ozw-onezone" for a
  // request to this service itself; empty at a verify endpoint, where the
  // asking service did not say who it is (a `service` caveat fails).
  std::string_view own_service;
  // Builds the operation for `api` caveats when the context has none: a
  // request's path is only put together for a token that has one.
  std::function<std::string()> operation_of;
  // The identity token of whoever consumes the token
  // (x-onedata-consumer-token, or consumerToken); empty: unknown.
  std::string_view consumer_token;
};

// What a token is presented for.
enum class TokenPurpose {
  kAccess,    // to authenticate a request: an access token
  kIdentity,  // to prove who its subject is: an identity token
  kInvite,    // to be checked before it is used: an invitation
};

// VerifiedTokenCache: the tokens one worker verified, so that a client
// sending its token again skips the HMAC chain.
//
// Two texts are the same token when what the signature covers is the same:
// the identifier, the caveats (ids and verification ids, in order) and the
// signature. The rest (the location, V1 `cl` packets, base64's alphabet and
// padding, Onezone's escaping, whitespace, V1 or V2) is unsigned or only
// encoding, so any holder can make endless variants of a token; they all
// find one entry. A lookup compares all of the signed content, not just
// the identifier and signature: the signature commits to the caveats only
// in a token that verifies, and anyone can append a caveat to a cached
// token's text and keep its signature. With the whole signed content equal,
// a hit answers exactly what verifying again would, with no appeal to
// collision resistance.
//
// Entries are indexed by identifier, one per token issued: an attenuated
// copy (a new caveat, a new signature) replaces its entry. Each entry also
// keeps the one text it was last sent as, so the common case (the same
// text again) costs a hash lookup and no parsing, and variants replace
// each other there too: one holder cannot fill the text index, nor flood
// its buckets with texts of chosen hashes.
//
// Bounded in entries and in bytes (a token may be up to kMaxTokenBytes); on
// overflow it starts afresh, as BoundedCache does.
//
// Not thread-safe: one per worker.
class VerifiedTokenCache {
 public:
  VerifiedTokenCache(size_t max_entries, size_t max_bytes);
  VerifiedTokenCache(const VerifiedTokenCache&) = delete;
  VerifiedTokenCache& operator=(const VerifiedTokenCache&) = delete;

  // The token last sent as exactly `text`, or nullptr. Valid until the next
  // Remember.
  const VerifiedToken* FindText(std::string_view text) const;
  // The token with the signed content of `macaroon`, or nullptr. Valid
  // until the next Remember.
  const VerifiedToken* FindSigned(const Macaroon& macaroon) const;
  // Remembers `macaroon`, sent as `text`, as `verified` (a copy is taken
  // before anything is dropped, so a FindSigned result may be passed),
  // replacing any entry of its identifier. A token larger than the whole
  // bound is not remembered.
  void Remember(const Macaroon& macaroon, std::string_view text,
                VerifiedToken verified);

  size_t entries() const { return by_identifier_.size(); }
  // An estimate that errs high: strings, entries and index nodes.
  size_t bytes() const { return bytes_; }

 private:
  struct Entry {
    std::vector<Caveat> caveats;  // without locations: they are not signed
    Digest signature;
    std::string text;
    VerifiedToken verified;
    size_t bytes;
  };
  using EntryMap = std::unordered_map<std::string, Entry>;

  void Forget(EntryMap::iterator entry);

  size_t max_entries_;
  size_t max_bytes_;
  size_t bytes_ = 0;
  EntryMap by_identifier_;
  // Each entry's text, viewing Entry::text (map nodes do not move).
  std::unordered_map<std::string_view, const Entry*> by_text_;
};

// Where the successor API's tokens are checked.
struct SuccessorTokenStores {
  NamedTokenStore* named = nullptr;
  TemporaryTokenStore* temporary = nullptr;
};

class TokenAuth {
 public:
  // Bounds of each worker's cache of verified tokens: the entries a busy
  // worker meets, and bytes that a typical token's entry (under 1 KiB)
  // lets them all use while 64 KiB tokens fill it at 64.
  static constexpr size_t kMaxVerifiedTokens = 4096;
  static constexpr size_t kMaxVerifiedTokenBytes = 4 * 1024 * 1024;

  // `keys`, `users` and the stores must outlive it.
  TokenAuth(const TokenKeys* keys, UserStore* users,
            SuccessorTokenStores successor_stores);

  // `token_identifier` gets the token's identifier whenever it could be
  // read (for the audit log), accepted or not. With `deferred`, the Redis
  // check of a seed token is not made but handed over there, and the
  // caller's name is left empty; a named or temporary token is always
  // checked here (a named token's record says whether it is revoked and
  // which caveats it was minted with; a temporary one must be of the
  // user's current generation).
  Status Authenticate(const std::string& text, const TokenUse& use,
                      Caller* caller, std::string* token_identifier,
                      const BeforeUserLookup& before_lookup,
                      DeferredCheck* deferred);

  // Verifies a token for a service (POST /tokens/verify_*): as Authenticate
  // with no deferral, for `purpose`. Fills `caller` (its user_id is the
  // subject) and `expires_at` (the earliest time caveat; INT64_MAX for
  // none). Errors are the token error itself (tokenInvalid,
  // notAnAccessToken, ...), not wrapped in kUnauthorized, or Redis's. A
  // seed invitation ("inv.") is checked up to its caveats only, and
  // `caller` left empty: its record is its space's, for the caller to
  // look up (SpaceStore::InvitationPending).
  Status VerifyFor(TokenPurpose purpose, const std::string& text,
                   const TokenUse& use, Caller* caller, int64_t* expires_at);

  // This worker's cache of verified tokens (for tests).
  const VerifiedTokenCache& verified_tokens() const { return verified_tokens_; }

 private:
  // Parses a token not sent as this text before, finds it by its signed
  // content, and verifies it in full only when that is new too.
  Status Verify(const std::string& text, int64_t now, VerifiedToken* out);

  // Authenticate for `purpose`; `expires_at`, when given, gets the token's
  // earliest time caveat.
  Status Accept(TokenPurpose purpose, const std::string& text,
                const TokenUse& use, Caller* caller,
                std::string* token_identifier,
                const BeforeUserLookup& before_lookup, DeferredCheck* deferred,
                int64_t* expires_at);
  // The caveats of `verified` about the request hold in `use`; proves the
  // service and consumer identities first when the request names them.
  Status CheckUse(const VerifiedToken& verified, const TokenUse& use);
  // The subject ("usr-<id>") an identity token proves, its own caveats
  // checked in `context`. Errors are the token's.
  Status ProveIdentity(std::string_view text, const CaveatContext& context,
                       std::string* subject);

  // The Redis check of a named token: its record exists and is not
  // revoked; the caveats past those it was minted with are the caller's
  // confinement.
  Status CheckNamed(VerifiedToken* verified, Caller* caller,
                    const BeforeUserLookup& before_lookup);
  // The Redis check of a temporary token: its generation is the user's
  // current one. No record tells which caveats it was minted with, so all
  // of them confine the caller: what a temporary token obtains lives no
  // longer than it does.
  Status CheckTemporary(VerifiedToken* verified, Caller* caller,
                        const BeforeUserLookup& before_lookup);

  const TokenKeys* keys_;
  UserStore* users_;
  SuccessorTokenStores successor_stores_;
  // Revocation is still checked in Redis on every request.
  VerifiedTokenCache verified_tokens_;
};

}  // namespace tokend
