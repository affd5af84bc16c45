// UTF-8 validation and repair (utf8.h), and the strict JSON text check built
// on it (json_body.h). Byte sequences are from the Unicode standard's table
// of well-formed UTF-8 (Table 3-7).
#include <cppunit/extensions/HelperMacros.h>
#include <json/json.h>

#include <string>

#include "tokend/http/json_body.h"
#include "tokend/http/utf8.h"

namespace tokend {
namespace {

class Utf8Test : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(Utf8Test);
  CPPUNIT_TEST(testAcceptsWellFormedSequencesOfEveryLength);
  CPPUNIT_TEST(testRejectsOverlongSurrogateTooLargeAndTruncatedSequences);
  CPPUNIT_TEST(testRepairReplacesEachBadByteWithTheReplacementCharacter);
  CPPUNIT_TEST(testRepairCutsAtACharacterBoundary);
  CPPUNIT_TEST(testJsonBodiesMustBeStrictJsonText);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testAcceptsWellFormedSequencesOfEveryLength() {
    CPPUNIT_ASSERT(IsValidUtf8(""));
    CPPUNIT_ASSERT(IsValidUtf8("plain ascii"));
    CPPUNIT_ASSERT(IsValidUtf8("\xC3\xA9"));              // U+00E9
    CPPUNIT_ASSERT(IsValidUtf8("\xE2\x82\xAC"));          // U+20AC
    CPPUNIT_ASSERT(IsValidUtf8("\xF0\x9F\x98\x80"));      // U+1F600
    CPPUNIT_ASSERT(IsValidUtf8("\xF4\x8F\xBF\xBF"));      // U+10FFFF
    CPPUNIT_ASSERT(IsValidUtf8(std::string("a\0b", 3)));  // NUL is a character
  }

  void testRejectsOverlongSurrogateTooLargeAndTruncatedSequences() {
    CPPUNIT_ASSERT(!IsValidUtf8("\xC0\xAE"));          // overlong '.'
    CPPUNIT_ASSERT(!IsValidUtf8("\xE0\x80\xAE"));      // overlong, 3 bytes
    CPPUNIT_ASSERT(!IsValidUtf8("\xED\xA0\x80"));      // U+D800 surrogate
    CPPUNIT_ASSERT(!IsValidUtf8("\xF4\x90\x80\x80"));  // past U+10FFFF
    CPPUNIT_ASSERT(!IsValidUtf8("\xE2\x82"));          // truncated
    CPPUNIT_ASSERT(!IsValidUtf8("\x80"));              // lone continuation
    CPPUNIT_ASSERT(!IsValidUtf8("\xFF\xFE"));
  }

  void testRepairReplacesEachBadByteWithTheReplacementCharacter() {
    CPPUNIT_ASSERT_EQUAL(std::string("a\xEF\xBF\xBD\xEF\xBF\xBD" "b"),
                         ToValidUtf8("a\xFF\xFE" "b"));
    CPPUNIT_ASSERT_EQUAL(std::string("\xC3\xA9"), ToValidUtf8("\xC3\xA9"));
    CPPUNIT_ASSERT(IsValidUtf8(ToValidUtf8("\xE2\x82\xF0\x9F")));
  }

  void testRepairCutsAtACharacterBoundary() {
    // 3 ASCII bytes then a 2-byte character: a 4-byte cut drops it whole.
    CPPUNIT_ASSERT_EQUAL(std::string("abc"), ToValidUtf8("abc\xC3\xA9", 4));
    CPPUNIT_ASSERT_EQUAL(std::string("abc\xC3\xA9"),
                         ToValidUtf8("abc\xC3\xA9", 5));
  }

  void testJsonBodiesMustBeStrictJsonText() {
    const char* const kMalformed[] = {
        "{\"a\": \"\xFF\"}",         // invalid UTF-8
        "{\"a\": \"x\x01y\"}",       // raw control character in a string
        "{\"a\": 1}\x01",            // control character outside strings
        "{\"a\": 010}",              // leading zero
        "{\"a\": +1}",               // plus sign
        "{\"a\": 1.}",               // no fraction digits
        "{\"a\": -}",                // a lone minus
        "{\"a\": \"\\udc00\"}",      // lone low surrogate
        "{\"a\": \"\\ud800x\"}",     // high surrogate without its pair
        "{\"a\": 1 /* c */}",        // comment
    };
    for (const char* body : kMalformed) {
      Json::Value value;
      CPPUNIT_ASSERT_EQUAL_MESSAGE(
          body, std::string("malformedData"),
          std::string(ParseJsonObject(body, false, &value).error_id()));
    }
    Json::Value value;
    std::string nul_inside("{\"a\": 1}\0{\"b\": 2}", 16);
    CPPUNIT_ASSERT_EQUAL(Code::kMalformedData,
                         ParseJsonObject(nul_inside, false, &value).code());
    CPPUNIT_ASSERT(ParseJsonObject("{\"a\": \"\\ud83d\\ude00 x/y\", \"b\": -0.5e3}",
                                   false, &value)
                       .ok());
    CPPUNIT_ASSERT_EQUAL(std::string("\xF0\x9F\x98\x80 x/y"),
                         value["a"].asString());
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(Utf8Test);

}  // namespace
}  // namespace tokend
