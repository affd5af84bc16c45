// Token identifiers and minting (see token_ref.h).
#include "tokend/token/token_ref.h"

#include "tokend/common/crypto.h"
#include "tokend/common/text.h"
#include "tokend/token/base64.h"
#include "tokend/token/macaroon.h"

namespace tokend {

namespace {

constexpr size_t kKindChars = 3;     // "acc" / "inv"
constexpr size_t kNonceBytes = 12;
constexpr size_t kNonceChars = 16;   // base64url of 12 bytes, no padding
constexpr size_t kOwnerIdChars = 32; // hex of 16 bytes
static_assert(kNonceChars * 3 == kNonceBytes * 4,
              "a whole number of base64 groups: every nonce text is canonical");

const char* KindPrefix(TokenKind kind) {
  return kind == TokenKind::kAccess ? "acc" : "inv";
}

// Onezone's named-token identifier: version, persistence, subject, type.
constexpr char kNamedPrefix[] = "2/nmd/usr-";
constexpr char kAccessType[] = "act";
constexpr char kIdentityType[] = "idn";

bool ParseNamedIdentifier(const std::string& identifier, TokenRef* ref) {
  const size_t prefix = sizeof(kNamedPrefix) - 1;
  // "2/nmd/usr-" <32> "/" <3> "/" <32>
  if (identifier.size() != prefix + kOwnerIdChars + 1 + 3 + 1 + kOwnerIdChars ||
      identifier.compare(0, prefix, kNamedPrefix) != 0 ||
      identifier[prefix + kOwnerIdChars] != '/' ||
      identifier[prefix + kOwnerIdChars + 4] != '/') {
    return false;
  }
  std::string owner = identifier.substr(prefix, kOwnerIdChars);
  std::string type = identifier.substr(prefix + kOwnerIdChars + 1, 3);
  std::string id = identifier.substr(prefix + kOwnerIdChars + 5);
  if (!IsHexId(owner) || !IsHexId(id)) return false;
  if (type != kAccessType && type != kIdentityType) return false;
  ref->kind = TokenKind::kNamed;
  ref->owner_id = std::move(owner);
  ref->nonce = std::move(id);
  ref->identity = type == kIdentityType;
  return true;
}

bool IsBase64Url(const std::string& text) {
  for (char c : text) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

bool IsHexId(std::string_view text) {
  return text.size() == kOwnerIdChars && IsLowerHex(text);
}

std::string TokenIdentifier(const TokenRef& ref) {
  if (ref.kind == TokenKind::kNamed) {
    return kNamedPrefix + ref.owner_id + "/" +
           (ref.identity ? kIdentityType : kAccessType) + "/" + ref.nonce;
  }
  return std::string(KindPrefix(ref.kind)) + "." + ref.owner_id + "." +
         ref.nonce;
}

bool ParseTokenIdentifier(const std::string& identifier, TokenRef* ref) {
  if (identifier.compare(0, 2, "2/") == 0) {
    return ParseNamedIdentifier(identifier, ref);
  }
  if (identifier.size() != kKindChars + 1 + kOwnerIdChars + 1 + kNonceChars) {
    return false;
  }
  std::string kind = identifier.substr(0, kKindChars);
  if (identifier[kKindChars] != '.' ||
      identifier[kKindChars + 1 + kOwnerIdChars] != '.') {
    return false;
  }
  std::string owner = identifier.substr(kKindChars + 1, kOwnerIdChars);
  std::string nonce = identifier.substr(kKindChars + 1 + kOwnerIdChars + 1);
  if (!IsHexId(owner) || !IsBase64Url(nonce)) return false;
  if (kind == KindPrefix(TokenKind::kAccess)) {
    ref->kind = TokenKind::kAccess;
  } else if (kind == KindPrefix(TokenKind::kInvite)) {
    ref->kind = TokenKind::kInvite;
  } else {
    return false;
  }
  ref->owner_id = std::move(owner);
  ref->nonce = std::move(nonce);
  return true;
}

std::string MintToken(const TokenKeys& keys, const std::string& location,
                      const TokenRef& ref, int64_t expires_at) {
  return MintTokenWithCaveats(keys, location, ref,
                              {"time < " + std::to_string(expires_at)});
}

std::string MintTokenWithCaveats(const TokenKeys& keys,
                                 const std::string& location,
                                 const TokenRef& ref,
                                 const std::vector<std::string>& caveats) {
  std::string identifier = TokenIdentifier(ref);
  Macaroon macaroon =
      MintMacaroon(keys.ChainKeyFor(identifier), location, identifier);
  for (const std::string& caveat : caveats) AddFirstPartyCaveat(&macaroon, caveat);
  std::string token = EncodeToken(macaroon);
  Wipe(macaroon.signature.data(), macaroon.signature.size());
  return token;
}

std::string AppendCaveats(const std::string& token,
                          const std::vector<std::string>& caveats) {
  if (caveats.empty()) return token;
  Macaroon macaroon;
  if (!DecodeToken(token, &macaroon).ok()) return token;
  for (const std::string& caveat : caveats) AddFirstPartyCaveat(&macaroon, caveat);
  std::string confined = EncodeToken(macaroon);
  Wipe(macaroon.signature.data(), macaroon.signature.size());
  return confined;
}

std::string NewTokenNonce() {
  uint8_t bytes[kNonceBytes];
  if (!RandomBytes(bytes, sizeof(bytes))) return "";
  return Base64UrlEncode(
      std::string_view(reinterpret_cast<char*>(bytes), sizeof(bytes)));
}

std::string NewRandomId() {
  uint8_t bytes[kOwnerIdChars / 2];
  if (!RandomBytes(bytes, sizeof(bytes))) return "";
  return HexEncode(bytes, sizeof(bytes));
}

std::string UserNameDigest(const std::string& name) {
  Digest digest = Sha256("onezone-tokend user id\n" + name);
  return HexEncode(digest.data(), kOwnerIdChars / 2);
}

std::string AccessIdentifier(const AccessTokenId& id) {
  return TokenIdentifier({TokenKind::kAccess, id.user_id, id.nonce});
}

bool ParseAccessIdentifier(const std::string& identifier, AccessTokenId* id) {
  TokenRef ref;
  if (!ParseTokenIdentifier(identifier, &ref) || ref.kind != TokenKind::kAccess) {
    return false;
  }
  *id = AccessTokenId{ref.owner_id, ref.nonce};
  return true;
}

std::string MintAccessToken(const TokenKeys& keys, const std::string& location,
                            const AccessTokenId& id, int64_t expires_at) {
  return MintToken(keys, location, {TokenKind::kAccess, id.user_id, id.nonce},
                   expires_at);
}

}  // namespace tokend
