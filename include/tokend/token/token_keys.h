// TokenKeys: every token's signing key derives from one master secret kept in
// a file outside Redis, so a copy of Redis holds nothing that signs or
// forges a token:
//   root secret(identifier) = HMAC-SHA256(master, "onezone-tokend/v1 root\0"
//                                                  + identifier)
//   chain key               = libmacaroons' derivation of that root secret.
// The root secret is what pymacaroons or libmacaroons would be given.
//
// Not thread-safe (it keeps a keyed HMAC context): one per worker process,
// which it is, being made before the workers fork.
#pragma once

#include <string>

#include "tokend/common/crypto.h"
#include "tokend/common/status.h"

namespace tokend {

class TokenKeys {
 public:
  explicit TokenKeys(const SecretKey& master)
      : master_hmac_(master.data(), master.size()) {}

  // The per-token root secret (32 bytes) for `identifier`.
  SecretKey RootSecretFor(const std::string& identifier) const;
  // The key the signature chain starts from (see DeriveMacaroonKey).
  SecretKey ChainKeyFor(const std::string& identifier) const;

 private:
  // The master secret lives only inside this keyed context.
  mutable KeyedHmacSha256 master_hmac_;
};

// Reads the master secret from `path`, creating it (32 random bytes, mode
// 0600, parent folder 0700) when missing. Refuses a file that others can
// read or that has the wrong size.
Status LoadOrCreateMasterSecret(const std::string& path, SecretKey* master);

}  // namespace tokend
