// Tokens this service issues: what identifies one, and how one is minted.
//
// Identifier: "<kind>.<ownerId>.<nonce>": kind "acc" (an access token, owner
// = a user id) or "inv" (a space invitation, owner = a space id); both ids
// are 32 hex digits, the nonce 12 random bytes in base64url (16 characters;
// any other length is malformed). The nonce only has to be unique per owner
// (96 random bits are ample); it is not the secret, the signature is, and it
// is short because every token keeps it twice in Redis. The owner id lets a
// request find the token's Redis record in its owner's hash slot without any
// global index, and the kind is part of what is signed, so an invitation can
// never pass for an access token or the other way round.
//
// A token is a pure function of (identifier, expiry) and the master secret,
// so Redis keeps only the nonce and the expiry, and the list endpoint
// re-mints the very strings that were issued.
//
// Named tokens (the successor API of Onezone 20.02) have Onezone's own
// identifier, "2/nmd/usr-<userId>/<type>/<tokenId>", type "act" (access),
// "idn" (identity) or "ujs:<spaceId>" (an invitation to join that space,
// issue 14), the token id 32 hex digits. A named token is a pure
// function of its identifier and the caveats it was minted with, which its
// record keeps (store/named_token_store.h). A temporary token's identifier
// is "2/tmp-<generation>/usr-<userId>/<type>/<tokenId>": no record, only
// the user's current generation (store/temporary_token_store.h), which
// revokes every older one when it moves on.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokend/token/token_keys.h"

namespace tokend {

enum class TokenKind {
  kAccess,  // a client token of the seed API ("acc.")
  kInvite,  // a space invitation ("inv.")
  kNamed,   // a named token ("2/nmd/")
  kTemporary,  // a temporary token ("2/tmp-<generation>/")
};

struct TokenRef {
  TokenKind kind = TokenKind::kAccess;
  std::string owner_id;  // user id (access, named, temporary) or space id
  std::string nonce;     // the token id of a named or temporary token
  // Named and temporary: an identity token, not an access token.
  bool identity = false;
  // Named and temporary: an invitation to join this space (type
  // "ujs:<spaceId>"); empty for any other type. Never set with `identity`.
  std::string invite_space_id = {};
  int64_t generation = 0;  // temporary only

  // Whether the token may authenticate a request: an access token, seed,
  // named or temporary.
  bool authenticates() const {
    return kind == TokenKind::kAccess ||
           ((kind == TokenKind::kNamed || kind == TokenKind::kTemporary) &&
            !identity && invite_space_id.empty());
  }
  // Whether the token is a space invitation: a seed one ("inv.") or a
  // named or temporary one of type "ujs:<spaceId>".
  bool invitation() const {
    return kind == TokenKind::kInvite || !invite_space_id.empty();
  }
};

// Whether `text` is a user or space id: 32 lowercase hex digits, as
// NewRandomId and UserNameDigest make them.
bool IsHexId(std::string_view text);

std::string TokenIdentifier(const TokenRef& ref);
// False unless `identifier` is a well-formed identifier of either kind.
bool ParseTokenIdentifier(const std::string& identifier, TokenRef* ref);

// The serialized token (Onezone-escaped V1) with one caveat
// "time < expires_at".
std::string MintToken(const TokenKeys& keys, const std::string& location,
                      const TokenRef& ref, int64_t expires_at);
// The serialized token with exactly `caveats` (first-party, in order): a
// named token.
std::string MintTokenWithCaveats(const TokenKeys& keys,
                                 const std::string& location,
                                 const TokenRef& ref,
                                 const std::vector<std::string>& caveats);

// A fresh random nonce; empty if the random generator fails.
std::string NewTokenNonce();

// A fresh random 32-hex-digit id (for users and spaces); empty if the
// generator fails.
std::string NewRandomId();

// Legacy tokens are named tokens too (issue 13): each seed access token has
// the named-token id "00000000" followed by the 24 hex digits of its
// nonce's 12 bytes. A named token's own id never starts with eight zeros
// (CreateNamedToken draws again), so the two never clash.
constexpr char kLegacyTokenIdPrefix[] = "00000000";
// A temporary token's id tells how many caveats it was minted with, as a
// named token's record does, so that the caveats a holder appended (which
// confine what the token may obtain, see Caller::added_caveats) are told
// from its creator's (which do not). No holder can alter the count: the
// token's key derives from its identifier. The id is 22 random hex digits,
// the marker kMintedCountMarker and the count in two hex digits (at most
// 255: more are counted as appended, which only confines more).
constexpr char kMintedCountMarker[] = "c4ea7c0a";
// A fresh id for a temporary token minted with `minted_caveats`; empty if
// the random generator fails.
std::string NewTemporaryTokenId(size_t minted_caveats);
// The count NewTemporaryTokenId put in `token_id`; 0 for an id without the
// marker (one made before ids held it: all its caveats count as appended).
size_t MintedCaveatsOfTemporaryToken(std::string_view token_id);

// The id of the seed token with `nonce`; empty for a malformed nonce.
std::string LegacyTokenId(const std::string& nonce);
// The nonce of a legacy token id; false for any other text.
bool ParseLegacyTokenId(std::string_view id, std::string* nonce);

// 32 hex digits of SHA-256 of a user name: the hash tag of the key that maps
// the name to its user's id. It was the user id itself until ids became
// random (users made then keep it as their id, see store/user_id_migration.h).
std::string UserNameDigest(const std::string& name);

// Access-token shorthands (kind kAccess, owner = user id).
struct AccessTokenId {
  std::string user_id;
  std::string nonce;
};
std::string AccessIdentifier(const AccessTokenId& id);
bool ParseAccessIdentifier(const std::string& identifier, AccessTokenId* id);
std::string MintAccessToken(const TokenKeys& keys, const std::string& location,
                            const AccessTokenId& id, int64_t expires_at);

// `token` (one this service minted) with the first-party `caveats` appended,
// as any holder could append them: what a caller holding an attenuated copy
// of a token gets instead of `token`. `token` itself when there are none.
std::string AppendCaveats(const std::string& token,
                          const std::vector<std::string>& caveats);

}  // namespace tokend
