// Token identifiers and minting (see token_ref.h).
#include "tokend/token/token_ref.h"

#include <algorithm>
#include <cstring>

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

// Onezone's identifiers: version, persistence, subject, type, token id.
constexpr char kNamedPersistence[] = "2/nmd/";
constexpr char kTemporaryPersistence[] = "2/tmp-";
constexpr char kUserSubject[] = "usr-";
constexpr char kAccessType[] = "act";
constexpr char kIdentityType[] = "idn";

constexpr char kUserJoinSpaceType[] = "ujs:";

// The type part of an identifier: "act", "idn" or "ujs:<spaceId>".
std::string TypeCode(const TokenRef& ref) {
  if (!ref.invite_space_id.empty()) return kUserJoinSpaceType + ref.invite_space_id;
  return ref.identity ? kIdentityType : kAccessType;
}

// "usr-" <32> "/" <type> "/" <32>: the part after the persistence.
bool ParseSubjectAndId(std::string_view rest, TokenRef* ref) {
  const size_t subject = sizeof(kUserSubject) - 1;
  const size_t type_start = subject + kOwnerIdChars + 1;
  if (rest.size() < type_start + 3 + 1 + kOwnerIdChars ||
      rest.substr(0, subject) != kUserSubject ||
      rest[subject + kOwnerIdChars] != '/' ||
      rest[rest.size() - kOwnerIdChars - 1] != '/') {
    return false;
  }
  std::string_view owner = rest.substr(subject, kOwnerIdChars);
  std::string_view type =
      rest.substr(type_start, rest.size() - kOwnerIdChars - 1 - type_start);
  std::string_view id = rest.substr(rest.size() - kOwnerIdChars);
  if (!IsHexId(owner) || !IsHexId(id)) return false;
  const std::string_view invite = kUserJoinSpaceType;
  ref->identity = false;
  ref->invite_space_id.clear();
  if (type == kIdentityType) {
    ref->identity = true;
  } else if (type.substr(0, invite.size()) == invite &&
             IsHexId(type.substr(invite.size()))) {
    ref->invite_space_id = std::string(type.substr(invite.size()));
  } else if (type != kAccessType) {
    return false;
  }
  ref->owner_id = std::string(owner);
  ref->nonce = std::string(id);
  return true;
}

bool ParseVersion2Identifier(const std::string& identifier, TokenRef* ref) {
  std::string_view text = identifier;
  const size_t named = sizeof(kNamedPersistence) - 1;
  if (text.substr(0, named) == kNamedPersistence) {
    ref->kind = TokenKind::kNamed;
    ref->generation = 0;
    return ParseSubjectAndId(text.substr(named), ref);
  }
  const size_t temporary = sizeof(kTemporaryPersistence) - 1;
  if (text.substr(0, temporary) != kTemporaryPersistence) return false;
  const size_t slash = text.find('/', temporary);
  if (slash == std::string_view::npos ||
      (slash - temporary > 1 && text[temporary] == '0')) {
    return false;  // one spelling per generation: no leading zeros
  }
  int64_t generation = 0;
  if (!ParseDecimal(text.substr(temporary, slash - temporary), &generation)) {
    return false;
  }
  ref->kind = TokenKind::kTemporary;
  ref->generation = generation;
  return ParseSubjectAndId(text.substr(slash + 1), ref);
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
  if (ref.kind == TokenKind::kNamed || ref.kind == TokenKind::kTemporary) {
    const std::string persistence =
        ref.kind == TokenKind::kNamed
            ? kNamedPersistence
            : kTemporaryPersistence + std::to_string(ref.generation) + "/";
    return persistence + kUserSubject + ref.owner_id + "/" + TypeCode(ref) +
           "/" + ref.nonce;
  }
  // Appended into one buffer: made for every token a request presents.
  const char* prefix = KindPrefix(ref.kind);
  std::string identifier;
  identifier.reserve(std::strlen(prefix) + ref.owner_id.size() +
                     ref.nonce.size() + 2);
  identifier += prefix;
  identifier += '.';
  identifier += ref.owner_id;
  identifier += '.';
  identifier += ref.nonce;
  return identifier;
}

bool ParseTokenIdentifier(const std::string& identifier, TokenRef* ref) {
  if (identifier.compare(0, 2, "2/") == 0) {
    return ParseVersion2Identifier(identifier, ref);
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

std::string NewTemporaryTokenId(size_t minted_caveats) {
  const std::string random = NewRandomId();
  if (random.empty()) return "";
  const std::string_view marker = kMintedCountMarker;
  const uint8_t count = static_cast<uint8_t>(std::min<size_t>(minted_caveats, 255));
  return random.substr(0, kOwnerIdChars - marker.size() - 2) +
         std::string(marker) + HexEncode(&count, 1);
}

size_t MintedCaveatsOfTemporaryToken(std::string_view token_id) {
  const std::string_view marker = kMintedCountMarker;
  if (!IsHexId(token_id)) return 0;
  const size_t at = kOwnerIdChars - marker.size() - 2;
  if (token_id.substr(at, marker.size()) != marker) return 0;
  return LowerHexDigitValue(token_id[kOwnerIdChars - 2]) * 16 +
         LowerHexDigitValue(token_id[kOwnerIdChars - 1]);
}

std::string LegacyTokenId(const std::string& nonce) {
  std::string bytes;
  if (nonce.size() != kNonceChars || !Base64DecodeLenient(nonce, &bytes) ||
      bytes.size() != kNonceBytes || Base64UrlEncode(bytes) != nonce) {
    return "";
  }
  return kLegacyTokenIdPrefix +
         HexEncode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

bool ParseLegacyTokenId(std::string_view id, std::string* nonce) {
  const std::string_view prefix = kLegacyTokenIdPrefix;
  if (!IsHexId(id) || id.substr(0, prefix.size()) != prefix) return false;
  std::string_view hex = id.substr(prefix.size());
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(LowerHexDigitValue(hex[i]) * 16 +
                                      LowerHexDigitValue(hex[i + 1])));
  }
  if (bytes.size() != kNonceBytes) return false;
  *nonce = Base64UrlEncode(bytes);
  return true;
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
