// Crypto shims over OpenSSL 3 (see crypto.h).
#include "tokend/common/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
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

// HMAC-SHA256 (RFC 2104) from the SHA-256 states after the key's inner and
// outer pad blocks, hashed once: each Compute copies a state and hashes the
// message, then the inner digest. A re-initialised EVP_MAC context (what
// this was) costs about a fifth more per call on OpenSSL 3, a re-keyed
// HmacSha256 more than half more; the password cache makes two of these
// per basic-auth request.
struct KeyedHmacSha256::Impl {
  EVP_MD* sha256 = nullptr;
  EVP_MD_CTX* inner = nullptr;  // after the key ^ ipad block
  EVP_MD_CTX* outer = nullptr;  // after the key ^ opad block
  EVP_MD_CTX* work = nullptr;
};

KeyedHmacSha256::KeyedHmacSha256(const uint8_t* key, size_t key_size)
    : impl_(new Impl) {
  impl_->sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (impl_->sha256 == nullptr) CryptoFailure("EVP_MD_fetch(SHA256)");
  impl_->inner = EVP_MD_CTX_new();
  impl_->outer = EVP_MD_CTX_new();
  impl_->work = EVP_MD_CTX_new();
  if (impl_->inner == nullptr || impl_->outer == nullptr ||
      impl_->work == nullptr) {
    CryptoFailure("EVP_MD_CTX_new");
  }
  // The key, zero-padded to a block; a key longer than a block is hashed.
  uint8_t block[kSha256BlockBytes] = {0};
  if (key_size > kSha256BlockBytes) {
    unsigned int written = 0;
    if (EVP_Digest(key, key_size, block, &written, impl_->sha256, nullptr) != 1) {
      CryptoFailure("SHA-256 of an HMAC key");
    }
  } else if (key_size > 0) {
    std::memcpy(block, key, key_size);
  }
  uint8_t pad[kSha256BlockBytes];
  for (size_t i = 0; i < kSha256BlockBytes; ++i) pad[i] = block[i] ^ 0x36;
  if (EVP_DigestInit_ex2(impl_->inner, impl_->sha256, nullptr) != 1 ||
      EVP_DigestUpdate(impl_->inner, pad, sizeof(pad)) != 1) {
    CryptoFailure("HMAC inner key state");
  }
  for (size_t i = 0; i < kSha256BlockBytes; ++i) pad[i] = block[i] ^ 0x5c;
  if (EVP_DigestInit_ex2(impl_->outer, impl_->sha256, nullptr) != 1 ||
      EVP_DigestUpdate(impl_->outer, pad, sizeof(pad)) != 1) {
    CryptoFailure("HMAC outer key state");
  }
  OPENSSL_cleanse(block, sizeof(block));
  OPENSSL_cleanse(pad, sizeof(pad));
}

KeyedHmacSha256::~KeyedHmacSha256() {
  // The default provider clears a digest context's state when it frees it.
  EVP_MD_CTX_free(impl_->work);
  EVP_MD_CTX_free(impl_->outer);
  EVP_MD_CTX_free(impl_->inner);
  EVP_MD_free(impl_->sha256);
  delete impl_;
}

void KeyedHmacSha256::Compute(std::string_view message,
                              uint8_t out[kSha256Bytes]) {
  uint8_t inner[kSha256Bytes];
  unsigned int written = 0;
  EVP_MD_CTX* work = impl_->work;
  if (EVP_MD_CTX_copy_ex(work, impl_->inner) != 1 ||
      EVP_DigestUpdate(work, message.data(), message.size()) != 1 ||
      EVP_DigestFinal_ex(work, inner, &written) != 1) {
    CryptoFailure("HMAC inner hash");
  }
  if (EVP_MD_CTX_copy_ex(work, impl_->outer) != 1 ||
      EVP_DigestUpdate(work, inner, sizeof(inner)) != 1 ||
      EVP_DigestFinal_ex(work, out, &written) != 1) {
    CryptoFailure("HMAC outer hash");
  }
  OPENSSL_cleanse(inner, sizeof(inner));
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
