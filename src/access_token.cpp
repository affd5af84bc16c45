// Access-token identifiers and minting (see access_token.h).
#include "tokend/access_token.h"

#include "tokend/base64.h"
#include "tokend/crypto.h"
#include "tokend/macaroon.h"

namespace tokend {

namespace {

constexpr char kAccessPrefix[] = "acc.";
constexpr size_t kNonceBytes = 16;
constexpr size_t kNonceChars = 22;   // base64url of 16 bytes
constexpr size_t kUserIdChars = 32;  // hex of 16 bytes

bool IsHex(const std::string& text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
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

std::string AccessIdentifier(const AccessTokenId& id) {
  return kAccessPrefix + id.user_id + "." + id.nonce;
}

bool ParseAccessIdentifier(const std::string& identifier, AccessTokenId* id) {
  const size_t prefix = sizeof(kAccessPrefix) - 1;
  if (identifier.size() != prefix + kUserIdChars + 1 + kNonceChars) return false;
  if (identifier.compare(0, prefix, kAccessPrefix) != 0) return false;
  if (identifier[prefix + kUserIdChars] != '.') return false;
  std::string user_id = identifier.substr(prefix, kUserIdChars);
  std::string nonce = identifier.substr(prefix + kUserIdChars + 1);
  if (!IsHex(user_id) || !IsBase64Url(nonce)) return false;
  id->user_id = std::move(user_id);
  id->nonce = std::move(nonce);
  return true;
}

std::string NewTokenNonce() {
  uint8_t bytes[kNonceBytes];
  if (!RandomBytes(bytes, sizeof(bytes))) return "";
  return Base64UrlEncode(
      std::string_view(reinterpret_cast<char*>(bytes), sizeof(bytes)));
}

std::string MintAccessToken(const TokenKeys& keys, const std::string& location,
                            const AccessTokenId& id, int64_t expires_at) {
  std::string identifier = AccessIdentifier(id);
  Macaroon macaroon =
      MintMacaroon(keys.ChainKeyFor(identifier), location, identifier);
  AddFirstPartyCaveat(&macaroon, "time < " + std::to_string(expires_at));
  std::string token = EncodeToken(macaroon);
  Wipe(macaroon.signature.data(), macaroon.signature.size());
  return token;
}

std::string UserIdForName(const std::string& name) {
  Digest digest = Sha256("onezone-tokend user id\n" + name);
  return HexEncode(digest.data(), kUserIdChars / 2);
}

}  // namespace tokend
