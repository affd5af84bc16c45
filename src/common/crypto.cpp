// Crypto shims over OpenSSL 3 (see crypto.h).
#include "tokend/common/crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <sys/random.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "tokend/common/text.h"

namespace tokend {

SecretKey::~SecretKey() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

// HMAC-SHA256 (RFC 2104) over one reused OpenSSL SHA-256 digest context.
// With a new key on every call, as the macaroon chain needs, this is about
// a third cheaper than re-keying an EVP_MAC context on OpenSSL 3, which
// re-initialises three digest contexts per key. Checked against Python's
// hmac and pymacaroons by the known-answer tests.
struct HmacSha256::Impl {
  EVP_MD* sha256 = nullptr;
  EVP_MD_CTX* ctx = nullptr;
};

namespace {

constexpr size_t kSha256BlockBytes = 64;

}  // namespace

namespace {

[[noreturn]] void CryptoFailure(const char* what) {
  // Reached only when OpenSSL lacks SHA-256 or cannot allocate: no request
  // can cause it, and carrying on would mean unsigned tokens.
  std::fprintf(stderr, "fatal: OpenSSL %s failed\n", what);
  std::abort();
}

// Feeds `message` to an initialised MAC context and writes the digest.
void UpdateAndFinal(EVP_MAC_CTX* ctx, std::string_view message,
                    uint8_t out[kSha256Bytes]) {
  if (EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1) {
    CryptoFailure("EVP_MAC_update");
  }
  size_t written = 0;
  if (EVP_MAC_final(ctx, out, &written, kSha256Bytes) != 1 ||
      written != kSha256Bytes) {
    CryptoFailure("EVP_MAC_final");
  }
}

// A fresh HMAC context; `mac` receives the fetched algorithm to free later.
EVP_MAC_CTX* NewHmacContext(EVP_MAC** mac) {
  *mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (*mac == nullptr) CryptoFailure("EVP_MAC_fetch(HMAC)");
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(*mac);
  if (ctx == nullptr) CryptoFailure("EVP_MAC_CTX_new");
  return ctx;
}

// The parameter list selecting SHA-256, passed on a context's first init.
const OSSL_PARAM* Sha256Params() {
  static const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                       const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_end()};
  return params;
}

}  // namespace

HmacSha256::HmacSha256() : impl_(new Impl) {
  impl_->sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (impl_->sha256 == nullptr) CryptoFailure("EVP_MD_fetch(SHA256)");
  impl_->ctx = EVP_MD_CTX_new();
  if (impl_->ctx == nullptr) CryptoFailure("EVP_MD_CTX_new");
}

HmacSha256::~HmacSha256() {
  EVP_MD_CTX_free(impl_->ctx);
  EVP_MD_free(impl_->sha256);
  delete impl_;
}

void HmacSha256::Compute(const uint8_t* key, size_t key_size,
                         std::string_view message, uint8_t out[kSha256Bytes]) {
  EVP_MD_CTX* ctx = impl_->ctx;
  // The key, zero-padded to a block; a key longer than a block is hashed.
  uint8_t block[kSha256BlockBytes] = {0};
  if (key_size > kSha256BlockBytes) {
    unsigned int written = 0;
    if (EVP_DigestInit_ex2(ctx, impl_->sha256, nullptr) != 1 ||
        EVP_DigestUpdate(ctx, key, key_size) != 1 ||
        EVP_DigestFinal_ex(ctx, block, &written) != 1) {
      CryptoFailure("SHA-256 of an HMAC key");
    }
  } else if (key_size > 0) {
    std::memcpy(block, key, key_size);
  }
  uint8_t pad[kSha256BlockBytes];
  uint8_t inner[kSha256Bytes];
  unsigned int written = 0;
  for (size_t i = 0; i < kSha256BlockBytes; ++i) pad[i] = block[i] ^ 0x36;
  if (EVP_DigestInit_ex2(ctx, impl_->sha256, nullptr) != 1 ||
      EVP_DigestUpdate(ctx, pad, sizeof(pad)) != 1 ||
      EVP_DigestUpdate(ctx, message.data(), message.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, inner, &written) != 1) {
    CryptoFailure("HMAC inner hash");
  }
  for (size_t i = 0; i < kSha256BlockBytes; ++i) pad[i] = block[i] ^ 0x5c;
  if (EVP_DigestInit_ex2(ctx, impl_->sha256, nullptr) != 1 ||
      EVP_DigestUpdate(ctx, pad, sizeof(pad)) != 1 ||
      EVP_DigestUpdate(ctx, inner, sizeof(inner)) != 1 ||
      EVP_DigestFinal_ex(ctx, out, &written) != 1) {
    CryptoFailure("HMAC outer hash");
  }
  // The padded key and the inner hash are as secret as the key.
  OPENSSL_cleanse(block, sizeof(block));
  OPENSSL_cleanse(pad, sizeof(pad));
  OPENSSL_cleanse(inner, sizeof(inner));
}

HmacSha256& HmacSha256::ForThisThread() {
  thread_local HmacSha256 instance;
  return instance;
}

struct KeyedHmacSha256::Impl {
  EVP_MAC* mac = nullptr;
  EVP_MAC_CTX* ctx = nullptr;
};

KeyedHmacSha256::KeyedHmacSha256(const uint8_t* key, size_t key_size)
    : impl_(new Impl) {
  impl_->ctx = NewHmacContext(&impl_->mac);
  if (EVP_MAC_init(impl_->ctx, key, key_size, Sha256Params()) != 1) {
    CryptoFailure("EVP_MAC_init");
  }
}

KeyedHmacSha256::~KeyedHmacSha256() {
  EVP_MAC_CTX_free(impl_->ctx);  // OpenSSL cleanses the key schedule
  EVP_MAC_free(impl_->mac);
  delete impl_;
}

void KeyedHmacSha256::Compute(std::string_view message,
                              uint8_t out[kSha256Bytes]) {
  // A NULL key re-initialises with the key already set.
  if (EVP_MAC_init(impl_->ctx, nullptr, 0, nullptr) != 1) {
    CryptoFailure("EVP_MAC_init");
  }
  UpdateAndFinal(impl_->ctx, message, out);
}

Digest Sha256(std::string_view data) {
  Digest out;
  unsigned int written = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &written, EVP_sha256(),
                 nullptr) != 1) {
    CryptoFailure("EVP_Digest(SHA256)");
  }
  return out;
}

std::string Sha1Hex(std::string_view data) {
  uint8_t out[20];
  unsigned int written = 0;
  if (EVP_Digest(data.data(), data.size(), out, &written, EVP_sha1(),
                 nullptr) != 1) {
    CryptoFailure("EVP_Digest(SHA1)");
  }
  return HexEncode(out, written);
}

bool Pbkdf2HmacSha256(std::string_view password, std::string_view salt,
                      int iterations, uint8_t* out, size_t out_size) {
  return PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                           reinterpret_cast<const unsigned char*>(salt.data()),
                           static_cast<int>(salt.size()), iterations,
                           EVP_sha256(), static_cast<int>(out_size), out) == 1;
}

bool RandomBytes(uint8_t* out, size_t size) {
  // The kernel's generator (what OpenSSL seeds from): RAND_bytes cost three
  // times as much per call, 4% of a worker's time under token creates.
  size_t done = 0;
  while (done < size) {
    ssize_t got = getrandom(out + done, size - done, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      return RAND_bytes(out + done, static_cast<int>(size - done)) == 1;
    }
    done += static_cast<size_t>(got);
  }
  return true;
}

bool ConstantTimeEquals(const void* a, const void* b, size_t size) {
  return CRYPTO_memcmp(a, b, size) == 0;
}

void Wipe(void* data, size_t size) { OPENSSL_cleanse(data, size); }

void Wipe(std::string* text) {
  if (!text->empty()) OPENSSL_cleanse(text->data(), text->size());
  text->clear();
}

}  // namespace tokend
