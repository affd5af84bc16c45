// Unit tests for text.h: hex digits, plain decimal numbers, trimming and
// JSON quoting, the pieces that the URL decoder, the token codec, the config
// reader, the Redis key layout and the JSON writers share.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include <cstdint>
#include <string>

#include "tokend/common/text.h"

namespace tokend {
namespace {

class TextTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(TextTest);
  CPPUNIT_TEST(testHexDigitValueReadsBothCasesAndNothingElse);
  CPPUNIT_TEST(testLowerHexDigitValueRefusesUppercase);
  CPPUNIT_TEST(testIsLowerHexNeedsEveryCharacterToBeALowercaseDigit);
  CPPUNIT_TEST(testHexEncodeWritesTwoLowercaseDigitsPerByte);
  CPPUNIT_TEST(testParseDecimalReadsUpToEighteenDigits);
  CPPUNIT_TEST(testParseDecimalRefusesSignsSpacesAndOtherCharacters);
  CPPUNIT_TEST(testTrimWhitespaceRemovesAsciiWhitespaceAtBothEndsOnly);
  CPPUNIT_TEST(testAppendJsonQuotedEscapesQuotesBackslashesAndControlBytes);
  CPPUNIT_TEST(testAppendJsonQuotedFindsEveryByteToEscapeAtEveryOffsetOfLongText);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testHexDigitValueReadsBothCasesAndNothingElse() {
    const std::string digits = "0123456789abcdef";
    const std::string upper = "0123456789ABCDEF";
    for (int i = 0; i < 16; ++i) {
      CPPUNIT_ASSERT_EQUAL(i, HexDigitValue(digits[i]));
      CPPUNIT_ASSERT_EQUAL(i, HexDigitValue(upper[i]));
    }
    int accepted = 0;
    for (int c = 0; c < 256; ++c) {
      if (HexDigitValue(static_cast<char>(c)) >= 0) ++accepted;
    }
    CPPUNIT_ASSERT_EQUAL(22, accepted);
  }

  void testLowerHexDigitValueRefusesUppercase() {
    CPPUNIT_ASSERT_EQUAL(10, LowerHexDigitValue('a'));
    CPPUNIT_ASSERT_EQUAL(15, LowerHexDigitValue('f'));
    CPPUNIT_ASSERT_EQUAL(9, LowerHexDigitValue('9'));
    for (char c : std::string("ABCDEFgG/:@` ")) {
      CPPUNIT_ASSERT_EQUAL(-1, LowerHexDigitValue(c));
    }
    int accepted = 0;
    for (int c = 0; c < 256; ++c) {
      if (LowerHexDigitValue(static_cast<char>(c)) >= 0) ++accepted;
    }
    CPPUNIT_ASSERT_EQUAL(16, accepted);
  }

  void testIsLowerHexNeedsEveryCharacterToBeALowercaseDigit() {
    CPPUNIT_ASSERT(IsLowerHex("0123456789abcdef"));
    CPPUNIT_ASSERT(IsLowerHex(""));
    CPPUNIT_ASSERT(!IsLowerHex("0123456789abcdeF"));
    CPPUNIT_ASSERT(!IsLowerHex("g"));
    CPPUNIT_ASSERT(!IsLowerHex(std::string("ab\0cd", 5)));
  }

  void testHexEncodeWritesTwoLowercaseDigitsPerByte() {
    const uint8_t bytes[] = {0x00, 0x0f, 0xa5, 0xff};
    CPPUNIT_ASSERT_EQUAL(std::string("000fa5ff"), HexEncode(bytes, sizeof(bytes)));
    CPPUNIT_ASSERT_EQUAL(std::string(), HexEncode(bytes, 0));
  }

  void testParseDecimalReadsUpToEighteenDigits() {
    int64_t value = -1;
    CPPUNIT_ASSERT(ParseDecimal("0", &value));
    CPPUNIT_ASSERT_EQUAL(int64_t{0}, value);
    CPPUNIT_ASSERT(ParseDecimal("1522358333", &value));
    CPPUNIT_ASSERT_EQUAL(int64_t{1522358333}, value);
    CPPUNIT_ASSERT(ParseDecimal("999999999999999999", &value));
    CPPUNIT_ASSERT_EQUAL(int64_t{999999999999999999}, value);
    CPPUNIT_ASSERT(ParseDecimal("000000000000000042", &value));
    CPPUNIT_ASSERT_EQUAL(int64_t{42}, value);
    // 19 digits may overflow int64_t: refused even when they would fit.
    value = 7;
    CPPUNIT_ASSERT(!ParseDecimal("1000000000000000000", &value));
    CPPUNIT_ASSERT(!ParseDecimal("0000000000000000001", &value));
    CPPUNIT_ASSERT_EQUAL(int64_t{7}, value);
  }

  void testParseDecimalRefusesSignsSpacesAndOtherCharacters() {
    int64_t value = 7;
    for (const char* text : {"", "-1", "+1", " 1", "1 ", "1.0", "1e3", "0x10",
                             "١"}) {
      CPPUNIT_ASSERT_MESSAGE(text, !ParseDecimal(text, &value));
    }
    CPPUNIT_ASSERT(!ParseDecimal(std::string("1\0", 2), &value));
    CPPUNIT_ASSERT_EQUAL(int64_t{7}, value);
  }

  void testTrimWhitespaceRemovesAsciiWhitespaceAtBothEndsOnly() {
    CPPUNIT_ASSERT_EQUAL(std::string("a b"),
                         std::string(TrimWhitespace(" \t\r\n\v\fa b\f\v\n\r\t ")));
    CPPUNIT_ASSERT_EQUAL(std::string("x"), std::string(TrimWhitespace("x")));
    CPPUNIT_ASSERT_EQUAL(std::string(), std::string(TrimWhitespace(" \t\n")));
    CPPUNIT_ASSERT_EQUAL(std::string(), std::string(TrimWhitespace("")));
    // Only ASCII whitespace: a NUL or a non-breaking space stays.
    CPPUNIT_ASSERT_EQUAL(std::string("\xc2\xa0x"),
                         std::string(TrimWhitespace("\xc2\xa0x ")));
    CPPUNIT_ASSERT_EQUAL(std::string("\0x", 2),
                         std::string(TrimWhitespace(std::string(" \0x", 3))));
  }

  void testAppendJsonQuotedEscapesQuotesBackslashesAndControlBytes() {
    std::string out = "x";
    AppendJsonQuoted("", &out);
    CPPUNIT_ASSERT_EQUAL(std::string("x\"\""), out);
    out.clear();
    AppendJsonQuoted(std::string("a\"b\\c\n\t\r\b\f\x01\x1f\0/\x7f", 15), &out);
    CPPUNIT_ASSERT_EQUAL(
        std::string("\"a\\\"b\\\\c\\n\\t\\r\\b\\f\\u0001\\u001f\\u0000/\x7f\""),
        out);
    // Bytes from 0x20 up, UTF-8 included, are copied as they are.
    out.clear();
    AppendJsonQuoted("za\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87 <>", &out);
    CPPUNIT_ASSERT_EQUAL(std::string("\"za\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87 <>\""),
                         out);
  }

  // AppendJsonQuoted scans eight bytes at a time: every byte at every offset
  // of texts longer than a few words, beside neighbours that could upset a
  // word-wide test (high bytes, the bytes just past those escaped), alone
  // and with a second byte to escape later in the same word, against a
  // plain byte-by-byte escaper.
  void testAppendJsonQuotedFindsEveryByteToEscapeAtEveryOffsetOfLongText() {
    auto expected = [](const std::string& text) {
      static const char kHex[] = "0123456789abcdef";
      std::string quoted = "\"";
      for (unsigned char byte : text) {
        if (byte == '"' || byte == '\\') {
          quoted += '\\';
          quoted += static_cast<char>(byte);
        } else if (byte == '\n') {
          quoted += "\\n";
        } else if (byte == '\t') {
          quoted += "\\t";
        } else if (byte == '\r') {
          quoted += "\\r";
        } else if (byte == '\b') {
          quoted += "\\b";
        } else if (byte == '\f') {
          quoted += "\\f";
        } else if (byte < 0x20) {
          quoted += "\\u00";
          quoted += kHex[byte >> 4];
          quoted += kHex[byte & 0xf];
        } else {
          quoted += static_cast<char>(byte);
        }
      }
      return quoted + "\"";
    };
    for (char neighbour : {'A', ' ', '!', '#', '[', ']', '\x7f', '\x80', '\xa2', '\xdc', '\xff'}) {
      for (size_t size : {size_t{8}, size_t{23}, size_t{40}}) {
        for (size_t offset = 0; offset < size; ++offset) {
          for (int byte = 0; byte < 256; ++byte) {
            std::string text(size, neighbour);
            text[offset] = static_cast<char>(byte);
            std::string out;
            AppendJsonQuoted(text, &out);
            CPPUNIT_ASSERT_EQUAL(expected(text), out);
            if (offset + 3 < size) {
              text[offset + 3] = '"';
              out.clear();
              AppendJsonQuoted(text, &out);
              CPPUNIT_ASSERT_EQUAL(expected(text), out);
            }
          }
        }
      }
    }
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TextTest);

}  // namespace
}  // namespace tokend
