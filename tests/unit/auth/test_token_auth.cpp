// Unit tests for token_auth.h: the worker's cache of verified tokens. Every
// call takes the deferred path (the Redis check is handed to the caller), so
// no Redis is needed and no UserStore is given. Whether a call verified the
// signature chain is read from the token-verification counter, which is
// process-local in unit tests.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "tokend/auth/token_auth.h"
#include "tokend/common/metrics.h"
#include "tokend/token/base64.h"
#include "tokend/token/token_ref.h"

namespace tokend {
namespace {

constexpr int64_t kNow = 1700000000;
constexpr int64_t kExpiresAt = kNow + 3600;
const std::string kUserId = "0123456789abcdef0123456789abcdef";

SecretKey Master() {
  Digest bytes;
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i);
  return SecretKey(bytes);
}

// A 16-character nonce numbered `n`.
std::string Nonce(int n) {
  char text[17];
  std::snprintf(text, sizeof(text), "N%015d", n);
  return text;
}

Macaroon Parse(const std::string& text) {
  Macaroon macaroon;
  CPPUNIT_ASSERT(DecodeToken(text, &macaroon).ok());
  return macaroon;
}

// `macaroon` in V1 with `count` unsigned `cl` packets of `bytes` bytes after
// its last caveat, which the parser reads as that caveat's location.
std::string WithClPackets(const Macaroon& macaroon, int count, size_t bytes) {
  std::string raw = SerializeV1(macaroon);
  const size_t signature_packet = 4 + 10 + kSha256Bytes + 1;
  std::string packets;
  for (int i = 0; i < count; ++i) {
    char header[5];
    std::snprintf(header, sizeof(header), "%04zx", 4 + 3 + bytes + 1);
    packets += header + ("cl " + std::string(bytes, 'a' + i % 26)) + "\n";
  }
  raw.insert(raw.size() - signature_packet, packets);
  return OnezoneEscape(Base64UrlEncode(raw));
}

uint64_t Verifications() {
  const std::string series = "onezone_tokend_token_verifications_total ";
  std::string text = RenderMetrics({});
  size_t at = text.find("\n" + series);
  CPPUNIT_ASSERT(at != std::string::npos);
  return std::stoull(text.substr(at + 1 + series.size()));
}

class TokenAuthTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(TokenAuthTest);
  CPPUNIT_TEST(testVariantsOfOneTokenShareOneEntryVerifiedOnce);
  CPPUNIT_TEST(testTheSameTextAgainIsFoundByItsText);
  CPPUNIT_TEST(testACaveatAddedOrDroppedWithoutSigningIsRefusedWhileCached);
  CPPUNIT_TEST(testAForgedSignatureIsRefusedAndStillNamesTheToken);
  CPPUNIT_TEST(testAnAttenuatedCopyReplacesItsTokensEntry);
  CPPUNIT_TEST(testACachedTokenIsRefusedOnceExpired);
  CPPUNIT_TEST(testACachedTokensIpCaveatIsCheckedAtEveryUse);
  CPPUNIT_TEST(testACachedConfinedTokenConfinesItsCallerAtEveryUse);
  CPPUNIT_TEST(testBigTokensStayWithinTheByteBound);
  CPPUNIT_TEST(testEntriesStayWithinTheirBound);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    keys_ = std::make_unique<TokenKeys>(Master());
    auth_ = std::make_unique<TokenAuth>(keys_.get(), nullptr, SuccessorTokenStores{});
    token_ = Mint(0);
  }

  void tearDown() override {
    auth_.reset();
    keys_.reset();
  }

  void testVariantsOfOneTokenShareOneEntryVerifiedOnce() {
    uint64_t before = Verifications();
    AssertAccepted(token_);
    Macaroon macaroon = Parse(token_);
    std::string raw = SerializeV1(macaroon);
    std::string padded = Base64StandardEncode(raw);
    padded.append((4 - padded.size() % 4) % 4, '=');
    std::vector<std::string> variants = {Base64UrlEncode(raw), padded,
                                         " " + token_ + "\t",
                                         WithClPackets(macaroon, 3, 100)};
    for (int i = 0; i < 50; ++i) {
      macaroon.location = "elsewhere-" + std::to_string(i);
      variants.push_back(EncodeToken(macaroon));
    }
    for (const std::string& variant : variants) {
      AssertAccepted(variant);
      CPPUNIT_ASSERT_EQUAL(size_t{1}, cache().entries());
    }
    CPPUNIT_ASSERT_EQUAL(uint64_t{1}, Verifications() - before);
    // The entry keeps one text, the last one.
    CPPUNIT_ASSERT(cache().FindText(variants.back()) != nullptr);
    CPPUNIT_ASSERT(cache().FindText(token_) == nullptr);
  }

  void testTheSameTextAgainIsFoundByItsText() {
    CPPUNIT_ASSERT(cache().FindText(token_) == nullptr);
    AssertAccepted(token_);
    const VerifiedToken* found = cache().FindText(token_);
    CPPUNIT_ASSERT(found != nullptr);
    CPPUNIT_ASSERT_EQUAL(kExpiresAt, found->expires_at);
    CPPUNIT_ASSERT_EQUAL(Nonce(0), found->ref.nonce);
    uint64_t before = Verifications();
    AssertAccepted(token_);
    CPPUNIT_ASSERT_EQUAL(uint64_t{0}, Verifications() - before);
  }

  void testACaveatAddedOrDroppedWithoutSigningIsRefusedWhileCached() {
    AssertAccepted(token_);
    // The cached token's identifier and signature with other caveats: the
    // signature does not cover these, so they must not match the entry.
    Macaroon added = Parse(token_);
    added.caveats.push_back(
        Caveat{"time < " + std::to_string(kNow + 1), {}, {}});
    Macaroon dropped = Parse(token_);
    dropped.caveats.clear();
    Macaroon changed = Parse(token_);
    changed.caveats[0].id = "time < " + std::to_string(kNow + 7200);
    for (const Macaroon& forged : {added, dropped, changed}) {
      AssertRefused(EncodeToken(forged), Code::kTokenInvalid);
    }
    AssertAccepted(token_);
  }

  void testAForgedSignatureIsRefusedAndStillNamesTheToken() {
    AssertAccepted(token_);
    Macaroon forged = Parse(token_);
    forged.location = "elsewhere";
    forged.signature[0] ^= 1;
    std::string identifier;
    AssertRefused(EncodeToken(forged), Code::kTokenInvalid, &identifier);
    CPPUNIT_ASSERT_EQUAL(forged.identifier, identifier);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, cache().entries());
  }

  void testAnAttenuatedCopyReplacesItsTokensEntry() {
    AssertAccepted(token_);
    uint64_t before = Verifications();
    Macaroon attenuated = Parse(token_);
    AddFirstPartyCaveat(&attenuated, "time < " + std::to_string(kNow + 60));
    const std::string copy = EncodeToken(attenuated);
    AssertAccepted(copy);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, cache().entries());
    CPPUNIT_ASSERT_EQUAL(uint64_t{1}, Verifications() - before);
    // The copy's own, earlier, expiry applies to it.
    AssertRefused(copy, Code::kTokenCaveatUnverified, nullptr, kNow + 60);
    AssertAccepted(token_, kNow + 60);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, cache().entries());
  }

  void testACachedTokenIsRefusedOnceExpired() {
    AssertAccepted(token_);
    Macaroon macaroon = Parse(token_);
    macaroon.location = "elsewhere";
    AssertAccepted(EncodeToken(macaroon));
    AssertRefused(token_, Code::kTokenCaveatUnverified, nullptr, kExpiresAt);
    AssertRefused(EncodeToken(macaroon), Code::kTokenCaveatUnverified, nullptr,
                  kExpiresAt);
  }

  void testBigTokensStayWithinTheByteBound() {
    // Tokens of about 55 KiB, made big by unsigned cl packets: without the
    // byte bound, 200 of them would take about 11 MiB.
    size_t most = 0;
    std::string text;
    for (int i = 0; i < 200; ++i) {
      text = WithClPackets(Parse(Mint(i)), 10, 4000);
      CPPUNIT_ASSERT(text.size() > 50000);
      AssertAccepted(text);
      CPPUNIT_ASSERT(cache().bytes() <= TokenAuth::kMaxVerifiedTokenBytes);
      if (cache().bytes() > most) most = cache().bytes();
    }
    CPPUNIT_ASSERT(most > TokenAuth::kMaxVerifiedTokenBytes - 60000);
    CPPUNIT_ASSERT(cache().FindText(text) != nullptr);
  }

  void testEntriesStayWithinTheirBound() {
    std::string text;
    for (size_t i = 0; i < TokenAuth::kMaxVerifiedTokens + 10; ++i) {
      text = Mint(static_cast<int>(i));
      AssertAccepted(text);
      CPPUNIT_ASSERT(cache().entries() <= TokenAuth::kMaxVerifiedTokens);
    }
    CPPUNIT_ASSERT(cache().FindText(text) != nullptr);
  }

 private:
  std::string Mint(int nonce) {
    return MintAccessToken(*keys_, "onezone",
                           AccessTokenId{kUserId, Nonce(nonce)}, kExpiresAt);
  }

  const VerifiedTokenCache& cache() const { return auth_->verified_tokens(); }

  Status Authenticate(const std::string& text, int64_t now,
                      std::string* identifier, const char* peer_ip = "") {
    Caller caller;
    DeferredCheck deferred;
    TokenUse use;
    use.context.now = now;
    use.context.peer_ip = peer_ip;
    Status status =
        auth_->Authenticate(text, use, &caller, identifier, nullptr, &deferred);
    if (status.ok()) {
      CPPUNIT_ASSERT_EQUAL(kUserId, caller.user_id);
      CPPUNIT_ASSERT(deferred.pending);
    }
    return status;
  }

  void AssertAccepted(const std::string& text, int64_t now = kNow) {
    std::string identifier;
    Status status = Authenticate(text, now, &identifier);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
  }

  void AssertRefused(const std::string& text, Code inner,
                     std::string* identifier = nullptr, int64_t now = kNow) {
    std::string ignored;
    Status status = Authenticate(text, now, identifier ? identifier : &ignored);
    CPPUNIT_ASSERT(status.code() == Code::kUnauthorized);
    CPPUNIT_ASSERT(status.inner() != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string(ErrorIdOf(inner)),
                         std::string(ErrorIdOf(status.inner()->code())));
  }

  // The cache keeps what the signature proved, never a verdict about one
  // request: a token confined to a range is refused from outside it even
  // right after it was accepted from inside (and the other way round).
  void testACachedTokensIpCaveatIsCheckedAtEveryUse() {
    const std::string confined = AppendCaveats(token_, {"ip = 10.0.0.0/8"});
    std::string identifier;
    for (int round = 0; round < 2; ++round) {
      Status status = Authenticate(confined, kNow, &identifier, "10.1.2.3");
      CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
      status = Authenticate(confined, kNow, &identifier, "192.0.2.1");
      CPPUNIT_ASSERT(status.code() == Code::kUnauthorized);
      CPPUNIT_ASSERT_EQUAL(std::string("tokenCaveatUnverified"),
                           std::string(ErrorIdOf(status.inner()->code())));
    }
    CPPUNIT_ASSERT_EQUAL(size_t{1}, cache().entries());
  }

  // A cached seed token's entry is read in place, not copied: every use
  // gets the caller its caveats make, and its identifier, as the first did,
  // and the entry is left as it was.
  void testACachedConfinedTokenConfinesItsCallerAtEveryUse() {
    const std::string confined =
        AppendCaveats(token_, {"ip = 10.0.0.0/8", "time < 1700001800"});
    for (int use = 0; use < 3; ++use) {
      Caller caller;
      DeferredCheck deferred;
      TokenUse token_use;
      token_use.context.now = kNow;
      token_use.context.peer_ip = "10.1.2.3";
      std::string identifier = "left over";
      Status status = auth_->Authenticate(confined, token_use, &caller,
                                          &identifier, nullptr, &deferred);
      CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
      CPPUNIT_ASSERT_EQUAL(kUserId, caller.user_id);
      CPPUNIT_ASSERT_EQUAL(size_t{2}, caller.added_caveats.size());
      CPPUNIT_ASSERT_EQUAL(std::string("ip = 10.0.0.0/8"), caller.added_caveats[0]);
      CPPUNIT_ASSERT_EQUAL(std::string("time < 1700001800"),
                           caller.added_caveats[1]);
      CPPUNIT_ASSERT_EQUAL(int64_t{1700001800}, caller.expires_at);
      CPPUNIT_ASSERT_EQUAL(AccessIdentifier({kUserId, Nonce(0)}), identifier);
      CPPUNIT_ASSERT(deferred.pending);
      CPPUNIT_ASSERT_EQUAL(kUserId, deferred.user_id);
      const VerifiedToken* entry = cache().FindText(confined);
      CPPUNIT_ASSERT(entry != nullptr);
      CPPUNIT_ASSERT_EQUAL(size_t{2}, entry->added_caveats.size());
      CPPUNIT_ASSERT_EQUAL(Nonce(0), entry->ref.nonce);
    }
  }

  std::unique_ptr<TokenKeys> keys_;
  std::unique_ptr<TokenAuth> auth_;
  std::string token_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(TokenAuthTest);

}  // namespace
}  // namespace tokend
