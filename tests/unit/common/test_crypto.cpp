// Unit tests for crypto.h's HMACs: RFC 4231's known answers (computed
// independently of this code; Python's hmac agrees) for the re-keyed
// HmacSha256 and for KeyedHmacSha256, which starts each MAC from the key's
// pad states hashed once, with keys shorter than, as long as and longer
// than a block, and the same keyed instance used again and again.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tokend/common/crypto.h"
#include "tokend/common/text.h"

namespace tokend {
namespace {

struct KnownAnswer {
  std::string key;
  std::string message;
  const char* hex;
};

const std::vector<KnownAnswer>& KnownAnswers() {
  static const std::vector<KnownAnswer> answers = {
      // RFC 4231 test cases 1, 2, 3, 4, 6 and 7.
      {std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {std::string(20, '\xaa'), std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11"
       "\x12\x13\x14\x15\x16\x17\x18\x19",
       std::string(50, '\xcd'),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {std::string(131, '\xaa'),
       "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {std::string(131, '\xaa'),
       "This is a test using a larger than block-size key and a larger than "
       "block-size data. The key needs to be hashed before being used by the "
       "HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
      // A key of exactly one block, an empty message; an empty key.
      {std::string(64, 'k'), "",
       "83026a325aaee70e36cfe607536aa1054104ad1077c36134810d4ccded1ccd3b"},
      {"", "", "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"},
  };
  return answers;
}

const uint8_t* Bytes(const std::string& text) {
  return reinterpret_cast<const uint8_t*>(text.data());
}

class CryptoTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(CryptoTest);
  CPPUNIT_TEST(testHmacSha256GivesRfc4231sAnswers);
  CPPUNIT_TEST(testKeyedHmacSha256GivesRfc4231sAnswersCallAfterCall);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testHmacSha256GivesRfc4231sAnswers() {
    for (const KnownAnswer& answer : KnownAnswers()) {
      uint8_t out[kSha256Bytes];
      HmacSha256::ForThisThread().Compute(Bytes(answer.key), answer.key.size(),
                                          answer.message, out);
      CPPUNIT_ASSERT_EQUAL(std::string(answer.hex), HexEncode(out, sizeof(out)));
    }
  }

  void testKeyedHmacSha256GivesRfc4231sAnswersCallAfterCall() {
    for (const KnownAnswer& answer : KnownAnswers()) {
      KeyedHmacSha256 mac(Bytes(answer.key), answer.key.size());
      for (int call = 0; call < 3; ++call) {
        uint8_t out[kSha256Bytes];
        mac.Compute(answer.message, out);
        CPPUNIT_ASSERT_EQUAL(std::string(answer.hex), HexEncode(out, sizeof(out)));
        // Another message between: each MAC starts from the key alone.
        mac.Compute("something else", out);
      }
    }
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CryptoTest);

}  // namespace
}  // namespace tokend
