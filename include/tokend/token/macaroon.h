// Macaroons: mint, attenuate, serialize and parse tokens in the format of
// libmacaroons and pymacaroons, with Onezone's escaping on the wire.
//
// Minted tokens use the libmacaroons V1 layout (what Onezone issues); the
// parser also reads the V2 binary layout that current macaroon libraries
// emit when a client attenuates a token. Verification is in verifier.h.
//
// Macaroon is a plain value; the functions are thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tokend/common/crypto.h"
#include "tokend/common/status.h"

namespace tokend {

struct Caveat {
  std::string id;                // the predicate, e.g. "time < 1522358333"
  std::string verification_id;   // third-party caveats only (vid)
  std::string location;          // third-party caveats only (cl)
  bool third_party() const { return !verification_id.empty(); }
};

struct Macaroon {
  std::string location;
  std::string identifier;
  std::vector<Caveat> caveats;
  Digest signature{};
};

// The key the signature chain starts from, as libmacaroons derives it:
// HMAC-SHA256(key = "macaroons-key-generator" zero-padded to 32 bytes,
//             message = root_secret).
SecretKey DeriveMacaroonKey(std::string_view root_secret);

// A new macaroon: signature = HMAC(derived key, identifier).
Macaroon MintMacaroon(const SecretKey& derived_key, std::string location,
                      std::string identifier);

// Appends a first-party caveat: signature = HMAC(signature, caveat). Needs no
// secret, which is what lets any holder attenuate a token.
void AddFirstPartyCaveat(Macaroon* macaroon, std::string caveat);

// The libmacaroons V1 packet layout, raw bytes.
std::string SerializeV1(const Macaroon& macaroon);

// The token as Onezone sends it: V1, base64url without padding, escaped.
std::string EncodeToken(const Macaroon& macaroon);

// Parses a token as real clients send it: Onezone-escaped, base64url or
// standard base64, with or without padding, surrounding whitespace trimmed;
// V1 or V2 inside. Errors are kBadToken with a description of what is wrong.
Status DecodeToken(std::string_view text, Macaroon* out);

// Parses raw (already base64-decoded) V1 or V2 bytes.
Status ParseMacaroonBytes(std::string_view bytes, Macaroon* out);

}  // namespace tokend
