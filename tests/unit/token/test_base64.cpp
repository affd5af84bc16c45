// Unit tests for base64.h: both base64 alphabets and Onezone's escaping.
//
// Expected encodings are the RFC 4648 section 10 vectors and Python's
// base64.urlsafe_b64encode output (/usr/bin/python3, padding stripped), so
// they do not depend on the code under test.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include <string>

#include "tokend/token/base64.h"

namespace tokend {
namespace {

// Every byte value 0..255 in order, as
//   base64.urlsafe_b64encode(bytes(range(256))).decode().rstrip('=')
constexpr char kAllBytesUrl[] =
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1"
    "Njc4OTo7PD0-P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWpr"
    "bG1ub3BxcnN0dXZ3eHl6e3x9fn-AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6Ch"
    "oqOkpaanqKmqq6ytrq-wsbKztLW2t7i5uru8vb6_wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX"
    "2Nna29zd3t_g4eLj5OXm5-jp6uvs7e7v8PHy8_T19vf4-fr7_P3-_w";

std::string AllBytes() {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  return bytes;
}

// The same text in the standard alphabet ('+' and '/').
std::string ToStandardAlphabet(std::string text) {
  for (char& c : text) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  return text;
}

bool Decodes(const std::string& text, const std::string& expected) {
  std::string out = "stale";
  return Base64DecodeLenient(text, &out) && out == expected;
}

bool Rejects(const std::string& text) {
  std::string out;
  return !Base64DecodeLenient(text, &out);
}

}  // namespace

class Base64Test : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(Base64Test);
  CPPUNIT_TEST(testEncodesRfc4648VectorsWithoutPadding);
  CPPUNIT_TEST(testEncodesEveryByteValueInUrlAlphabet);
  CPPUNIT_TEST(testDecodesRfc4648VectorsWithAndWithoutPadding);
  CPPUNIT_TEST(testDecodesEveryByteValueInEitherAlphabet);
  CPPUNIT_TEST(testDecodesAMixOfBothAlphabets);
  CPPUNIT_TEST(testDecodesEmptyTextToNoBytes);
  CPPUNIT_TEST(testRejectsCharactersOutsideBothAlphabets);
  CPPUNIT_TEST(testRejectsMisplacedOrIncompletePadding);
  CPPUNIT_TEST(testRejectsLengthThatLeavesADanglingSixBitGroup);
  CPPUNIT_TEST(testRejectsNonZeroTrailingBits);
  CPPUNIT_TEST(testEscapesTheSixOnezoneCharacters);
  CPPUNIT_TEST(testEscapingLeavesOtherCharactersAlone);
  CPPUNIT_TEST(testUnescapeReversesEscape);
  CPPUNIT_TEST(testUnescapeRejectsZeroFollowedBySixToNine);
  CPPUNIT_TEST(testUnescapeRejectsZeroAtTheEnd);
  CPPUNIT_TEST(testUnescapeRejectsCharactersEscapingNeverLeaves);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testEncodesRfc4648VectorsWithoutPadding() {
    CPPUNIT_ASSERT_EQUAL(std::string(""), Base64UrlEncode(""));
    CPPUNIT_ASSERT_EQUAL(std::string("Zg"), Base64UrlEncode("f"));
    CPPUNIT_ASSERT_EQUAL(std::string("Zm8"), Base64UrlEncode("fo"));
    CPPUNIT_ASSERT_EQUAL(std::string("Zm9v"), Base64UrlEncode("foo"));
    CPPUNIT_ASSERT_EQUAL(std::string("Zm9vYg"), Base64UrlEncode("foob"));
    CPPUNIT_ASSERT_EQUAL(std::string("Zm9vYmE"), Base64UrlEncode("fooba"));
    CPPUNIT_ASSERT_EQUAL(std::string("Zm9vYmFy"), Base64UrlEncode("foobar"));
  }

  void testEncodesEveryByteValueInUrlAlphabet() {
    CPPUNIT_ASSERT_EQUAL(std::string(kAllBytesUrl),
                         Base64UrlEncode(AllBytes()));
  }

  void testDecodesRfc4648VectorsWithAndWithoutPadding() {
    CPPUNIT_ASSERT(Decodes("Zg==", "f"));
    CPPUNIT_ASSERT(Decodes("Zg", "f"));
    CPPUNIT_ASSERT(Decodes("Zm8=", "fo"));
    CPPUNIT_ASSERT(Decodes("Zm8", "fo"));
    CPPUNIT_ASSERT(Decodes("Zm9v", "foo"));
    CPPUNIT_ASSERT(Decodes("Zm9vYg==", "foob"));
    CPPUNIT_ASSERT(Decodes("Zm9vYmE=", "fooba"));
    CPPUNIT_ASSERT(Decodes("Zm9vYmFy", "foobar"));
  }

  void testDecodesEveryByteValueInEitherAlphabet() {
    std::string url = kAllBytesUrl;
    std::string standard = ToStandardAlphabet(url);
    CPPUNIT_ASSERT(standard != url);
    CPPUNIT_ASSERT(Decodes(url, AllBytes()));
    CPPUNIT_ASSERT(Decodes(standard, AllBytes()));
    // 256 bytes leave one byte over: two padding characters complete it.
    CPPUNIT_ASSERT(Decodes(url + "==", AllBytes()));
    CPPUNIT_ASSERT(Decodes(standard + "==", AllBytes()));
  }

  void testDecodesAMixOfBothAlphabets() {
    // base64.b64encode(b'\xfb\xff\xfe') == b'+//+'; url alphabet: '-__-'.
    const std::string expected = "\xfb\xff\xfe";
    CPPUNIT_ASSERT(Decodes("+//+", expected));
    CPPUNIT_ASSERT(Decodes("-__-", expected));
    CPPUNIT_ASSERT(Decodes("-/_+", expected));
  }

  void testDecodesEmptyTextToNoBytes() { CPPUNIT_ASSERT(Decodes("", "")); }

  void testRejectsCharactersOutsideBothAlphabets() {
    CPPUNIT_ASSERT(Rejects("Zm9*"));
    CPPUNIT_ASSERT(Rejects("Zm 9v"));
    CPPUNIT_ASSERT(Rejects("Zm9v\n"));
    CPPUNIT_ASSERT(Rejects("Zm.v"));
    CPPUNIT_ASSERT(Rejects(std::string("Zm\0v", 4)));
    CPPUNIT_ASSERT(Rejects("Zm9\xc3\xa9"));
  }

  void testRejectsMisplacedOrIncompletePadding() {
    CPPUNIT_ASSERT(Rejects("=Zm9v"));
    CPPUNIT_ASSERT(Rejects("Zg=v"));
    CPPUNIT_ASSERT(Rejects("Zg==Zm9v"));
    CPPUNIT_ASSERT(Rejects("Zg="));    // one '=' where two are needed
    CPPUNIT_ASSERT(Rejects("Zg==="));  // three '='
    CPPUNIT_ASSERT(Rejects("Zm9v="));  // padding after a full group
    CPPUNIT_ASSERT(Rejects("Zm9v===="));
    CPPUNIT_ASSERT(Rejects("=="));
    CPPUNIT_ASSERT(Rejects("===="));
  }

  void testRejectsLengthThatLeavesADanglingSixBitGroup() {
    CPPUNIT_ASSERT(Rejects("Z"));
    CPPUNIT_ASSERT(Rejects("Zm9vY"));
    CPPUNIT_ASSERT(Rejects("Zm9vY==="));
  }

  void testRejectsNonZeroTrailingBits() {
    // "Zg" is 'f' with four zero bits left over; "Zh" sets one of them.
    CPPUNIT_ASSERT(Rejects("Zh"));
    CPPUNIT_ASSERT(Rejects("Zh=="));
    // "Zm8" is "fo" with two zero bits left over; "Zm9" sets one.
    CPPUNIT_ASSERT(Rejects("Zm9"));
    CPPUNIT_ASSERT(Rejects("Zm9="));
  }

  void testEscapesTheSixOnezoneCharacters() {
    CPPUNIT_ASSERT_EQUAL(std::string("000102030405"), OnezoneEscape("0_-/+="));
    // Python: esc(base64.b64encode(b'\xfb\xff\xfe').decode()) == '04030304'
    CPPUNIT_ASSERT_EQUAL(std::string("04030304"), OnezoneEscape("+//+"));
  }

  void testEscapingLeavesOtherCharactersAlone() {
    const std::string plain =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz123456789";
    CPPUNIT_ASSERT_EQUAL(plain, OnezoneEscape(plain));
  }

  void testUnescapeReversesEscape() {
    std::string out;
    CPPUNIT_ASSERT(OnezoneUnescape("000102030405", &out));
    CPPUNIT_ASSERT_EQUAL(std::string("0_-/+="), out);

    const std::string url = kAllBytesUrl;
    CPPUNIT_ASSERT(OnezoneUnescape(OnezoneEscape(url), &out));
    CPPUNIT_ASSERT_EQUAL(url, out);
    const std::string padded = ToStandardAlphabet(url) + "==";
    CPPUNIT_ASSERT(OnezoneUnescape(OnezoneEscape(padded), &out));
    CPPUNIT_ASSERT_EQUAL(padded, out);

    CPPUNIT_ASSERT(OnezoneUnescape("", &out));
    CPPUNIT_ASSERT_EQUAL(std::string(), out);
  }

  void testUnescapeRejectsZeroFollowedBySixToNine() {
    std::string out;
    for (char digit : std::string("6789")) {
      CPPUNIT_ASSERT(!OnezoneUnescape(std::string("ab0") + digit + "cd", &out));
    }
    CPPUNIT_ASSERT(!OnezoneUnescape("0a", &out));
  }

  void testUnescapeRejectsZeroAtTheEnd() {
    std::string out;
    CPPUNIT_ASSERT(!OnezoneUnescape("abc0", &out));
    CPPUNIT_ASSERT(!OnezoneUnescape("0", &out));
    CPPUNIT_ASSERT(!OnezoneUnescape("00000", &out));  // "00","00", then '0'
  }

  void testUnescapeRejectsCharactersEscapingNeverLeaves() {
    std::string out;
    for (char c : std::string("_-/+=")) {
      CPPUNIT_ASSERT(!OnezoneUnescape(std::string("ab") + c + "cd", &out));
    }
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(Base64Test);

}  // namespace tokend
