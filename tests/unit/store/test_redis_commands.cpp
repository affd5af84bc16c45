// Unit tests for KeysWritten: which keys a write changes, as the writers'
// invalidation barrier asks their marks (redis_client.h). A key it does
// not name is a revocation a cache could miss, so whatever it does not
// know must say so.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

#include "tokend/store/redis_commands.h"

namespace tokend {
namespace {

using Keys = std::vector<std::string>;

class RedisCommandsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RedisCommandsTest);
  CPPUNIT_TEST(testPlainWritesNameTheirKeys);
  CPPUNIT_TEST(testReadsAndTransactionMarkersChangeNoKey);
  CPPUNIT_TEST(testAScriptsKeysCountOnlyOnItsCallersWord);
  CPPUNIT_TEST(testWhatItDoesNotKnowIsUnknown);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testPlainWritesNameTheirKeys() {
    Keys keys;
    CPPUNIT_ASSERT(KeysWritten({"SET", "oz:a", "1", "EX", "9"}, false, &keys));
    CPPUNIT_ASSERT(KeysWritten({"DEL", "oz:b", "oz:c"}, false, &keys));
    CPPUNIT_ASSERT(KeysWritten({"RENAME", "oz:d", "oz:e"}, false, &keys));
    CPPUNIT_ASSERT(KeysWritten({"hset", "oz:f", "name", "x"}, false, &keys));
    CPPUNIT_ASSERT(KeysWritten({"INCR", "oz:g"}, false, &keys));
    CPPUNIT_ASSERT(
        Keys({"oz:a", "oz:b", "oz:c", "oz:d", "oz:e", "oz:f", "oz:g"}) == keys);
  }

  void testReadsAndTransactionMarkersChangeNoKey() {
    Keys keys;
    CPPUNIT_ASSERT(KeysWritten({"GET", "oz:a"}, false, &keys));
    CPPUNIT_ASSERT(KeysWritten({"HMGET", "oz:a", "name"}, false, &keys));
    CPPUNIT_ASSERT(KeysWritten({"MULTI"}, false, &keys));
    CPPUNIT_ASSERT(KeysWritten({"EXEC"}, false, &keys));
    CPPUNIT_ASSERT(KeysWritten({"CLIENT", "CACHING", "yes"}, false, &keys));
    CPPUNIT_ASSERT(keys.empty());
  }

  void testAScriptsKeysCountOnlyOnItsCallersWord() {
    const RedisCommand script = {"EVALSHA", "0123", "2", "oz:a", "oz:b", "arg"};
    Keys keys;
    CPPUNIT_ASSERT(!KeysWritten(script, false, &keys));
    CPPUNIT_ASSERT(KeysWritten(script, true, &keys));
    CPPUNIT_ASSERT(Keys({"oz:a", "oz:b"}) == keys);
    keys.clear();
    CPPUNIT_ASSERT(KeysWritten({"EVAL", "return 1", "0"}, true, &keys));
    CPPUNIT_ASSERT(keys.empty());
  }

  void testWhatItDoesNotKnowIsUnknown() {
    Keys keys;
    CPPUNIT_ASSERT(!KeysWritten({"FLUSHALL"}, false, &keys));
    CPPUNIT_ASSERT(!KeysWritten({"SWAPDB", "0", "1"}, false, &keys));
    CPPUNIT_ASSERT(!KeysWritten({"LPUSH", "oz:a", "x"}, false, &keys));
    CPPUNIT_ASSERT(!KeysWritten({"EVAL", "return 1", "3", "oz:a"}, true, &keys));
    CPPUNIT_ASSERT(!KeysWritten({"EVAL", "return 1", "-1"}, true, &keys));
    CPPUNIT_ASSERT(!KeysWritten({"EVAL", "return 1", ""}, true, &keys));
    CPPUNIT_ASSERT(!KeysWritten({"EVAL", "return 1"}, true, &keys));
    CPPUNIT_ASSERT(!KeysWritten({"SET"}, false, &keys));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisCommandsTest);

}  // namespace
}  // namespace tokend
