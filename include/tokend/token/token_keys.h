// TokenKeys: every token's signing key derives from one master secret kept in
// a file outside Redis, so a copy of Redis holds nothing that signs or
// forges a token:
//   root secret(identifier) = HMAC-SHA256(master, "onezone-tokend/v1 root\0"
//                                                  + identifier)
//   chain key               = libmacaroons' derivation of that root secret.
// The root secret is what pymacaroons or libmacaroons would be given.
//
// Thread-safe: the one keyed HMAC context is used under a lock (a worker's
// connection loop and its hashing lane share it; the lock is uncontended
// but for the rare moment both mint or verify at once).
#pragma once

#include <mutex>
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
  mutable std::mutex master_hmac_mutex_;
};

// Reads the master secret from `path`, creating it (32 random bytes, mode
// 0600, parent folder 0700) when missing. Refuses a file that others can
// read or that has the wrong size.
Status LoadOrCreateMasterSecret(const std::string& path, SecretKey* master);

}  // namespace tokend
