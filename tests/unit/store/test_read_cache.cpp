// Unit tests for ReadCache, the bounded LRU of a worker's Redis reads: its
// bounds in entries and in bytes, least recently used first, and that an
// invalidation drops every cached read of its key, and that an entry
// answers for its maximum age at most.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <string>
#include <thread>

#include "tokend/store/read_cache.h"

namespace tokend {
namespace {

RedisReply Text(const std::string& text) {
  RedisReply reply;
  reply.type = RedisReply::Type::kString;
  reply.text = text;
  return reply;
}

RedisCommand Get(const std::string& key) { return {"GET", key}; }

class ReadCacheTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ReadCacheTest);
  CPPUNIT_TEST(testAnswersAReadItKeptAndNotAnother);
  CPPUNIT_TEST(testKeepsAtMostMaxEntriesDroppingTheLeastRecentlyUsed);
  CPPUNIT_TEST(testKeepsAtMostMaxBytesDroppingTheLeastRecentlyUsed);
  CPPUNIT_TEST(testAnEntryLargerThanTheByteBoundIsNotKept);
  CPPUNIT_TEST(testInvalidationDropsEveryCachedReadOfItsKeyOnly);
  CPPUNIT_TEST(testClearDropsEverything);
  CPPUNIT_TEST(testZeroEntriesKeepsNothing);
  CPPUNIT_TEST(testAnEntryPastItsAgeNoLongerAnswers);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testAnEntryPastItsAgeNoLongerAnswers() {
    // The writers' barrier relies on marks in Redis that outlive every
    // entry (tracked_reads.h). Younger than its age it answers (an hour
    // here: no machine is that slow); past it, not, and it is dropped.
    ReadCache young(10, 1 << 20, std::chrono::hours(1));
    young.Remember(Get("oz:a"), Text("1"));
    CPPUNIT_ASSERT(young.Find(Get("oz:a")) != nullptr);
    ReadCache old(10, 1 << 20, std::chrono::milliseconds(1));
    old.Remember(Get("oz:a"), Text("1"));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    CPPUNIT_ASSERT(old.Find(Get("oz:a")) == nullptr);
    CPPUNIT_ASSERT_EQUAL(size_t{0}, old.entries());
    CPPUNIT_ASSERT_EQUAL(size_t{0}, old.bytes());
  }

  void testAnswersAReadItKeptAndNotAnother() {
    ReadCache cache(10, 1 << 20);
    cache.Remember(Get("oz:a"), Text("1"));
    const RedisReply* hit = cache.Find(Get("oz:a"));
    CPPUNIT_ASSERT(hit != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string("1"), hit->text);
    CPPUNIT_ASSERT(cache.Find(Get("oz:b")) == nullptr);
    CPPUNIT_ASSERT(cache.Find({"EXISTS", "oz:a"}) == nullptr);
    // The same read again replaces the entry, it does not add one.
    cache.Remember(Get("oz:a"), Text("2"));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, cache.entries());
    CPPUNIT_ASSERT_EQUAL(std::string("2"), cache.Find(Get("oz:a"))->text);
  }

  void testKeepsAtMostMaxEntriesDroppingTheLeastRecentlyUsed() {
    ReadCache cache(3, 1 << 20);
    cache.Remember(Get("oz:a"), Text("a"));
    cache.Remember(Get("oz:b"), Text("b"));
    cache.Remember(Get("oz:c"), Text("c"));
    CPPUNIT_ASSERT(cache.Find(Get("oz:a")) != nullptr);  // a is now the newest
    cache.Remember(Get("oz:d"), Text("d"));
    CPPUNIT_ASSERT_EQUAL(size_t{3}, cache.entries());
    CPPUNIT_ASSERT(cache.Find(Get("oz:b")) == nullptr);  // the least recent
    CPPUNIT_ASSERT(cache.Find(Get("oz:a")) != nullptr);
    CPPUNIT_ASSERT(cache.Find(Get("oz:c")) != nullptr);
    CPPUNIT_ASSERT(cache.Find(Get("oz:d")) != nullptr);
    for (int i = 0; i < 100; ++i) {
      cache.Remember(Get("oz:n" + std::to_string(i)), Text("x"));
      CPPUNIT_ASSERT(cache.entries() <= 3);
    }
  }

  void testKeepsAtMostMaxBytesDroppingTheLeastRecentlyUsed() {
    ReadCache probe(10, 1 << 20);
    probe.Remember(Get("oz:a"), Text(std::string(1000, 'a')));
    const size_t one = probe.bytes();
    CPPUNIT_ASSERT(one > 1000);
    // Room for two such entries, not three, whatever the entry bound.
    ReadCache cache(1000, 2 * one + one / 2);
    cache.Remember(Get("oz:a"), Text(std::string(1000, 'a')));
    cache.Remember(Get("oz:b"), Text(std::string(1000, 'b')));
    CPPUNIT_ASSERT(cache.Find(Get("oz:a")) != nullptr);
    cache.Remember(Get("oz:c"), Text(std::string(1000, 'c')));
    CPPUNIT_ASSERT_EQUAL(size_t{2}, cache.entries());
    CPPUNIT_ASSERT(cache.bytes() <= 2 * one + one / 2);
    CPPUNIT_ASSERT(cache.Find(Get("oz:b")) == nullptr);
    CPPUNIT_ASSERT(cache.Find(Get("oz:a")) != nullptr);
    CPPUNIT_ASSERT(cache.Find(Get("oz:c")) != nullptr);
    // Small entries: many fit, and the bytes stay bounded.
    for (int i = 0; i < 1000; ++i) {
      cache.Remember(Get("oz:n" + std::to_string(i)), Text("x"));
      CPPUNIT_ASSERT(cache.bytes() <= 2 * one + one / 2);
    }
    CPPUNIT_ASSERT(cache.entries() > 2);
  }

  void testAnEntryLargerThanTheByteBoundIsNotKept() {
    ReadCache cache(10, 2048);
    cache.Remember(Get("oz:small"), Text("1"));
    cache.Remember(Get("oz:big"), Text(std::string(4096, 'x')));
    CPPUNIT_ASSERT(cache.Find(Get("oz:big")) == nullptr);
    CPPUNIT_ASSERT(cache.Find(Get("oz:small")) != nullptr);  // not evicted
  }

  void testInvalidationDropsEveryCachedReadOfItsKeyOnly() {
    ReadCache cache(10, 1 << 20);
    RedisReply one;
    one.type = RedisReply::Type::kInteger;
    one.integer = 1;
    cache.Remember({"EXISTS", "oz:{u}t1"}, one);
    cache.Remember({"HMGET", "oz:{u}:user", "name", "pw"}, Text("fields"));
    cache.Remember({"HGET", "oz:{u}:user", "name"}, Text("alice"));
    cache.Remember({"EXISTS", "oz:{v}t1"}, one);
    const size_t bytes = cache.bytes();
    CPPUNIT_ASSERT_EQUAL(size_t{2}, cache.Invalidate("oz:{u}:user"));
    CPPUNIT_ASSERT(cache.Find({"HMGET", "oz:{u}:user", "name", "pw"}) == nullptr);
    CPPUNIT_ASSERT(cache.Find({"HGET", "oz:{u}:user", "name"}) == nullptr);
    CPPUNIT_ASSERT(cache.Find({"EXISTS", "oz:{u}t1"}) != nullptr);
    CPPUNIT_ASSERT(cache.Find({"EXISTS", "oz:{v}t1"}) != nullptr);
    CPPUNIT_ASSERT(cache.bytes() < bytes);
    CPPUNIT_ASSERT_EQUAL(size_t{0}, cache.Invalidate("oz:{u}:user"));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, cache.Invalidate("oz:{u}t1"));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, cache.entries());
  }

  void testClearDropsEverything() {
    ReadCache cache(10, 1 << 20);
    cache.Remember(Get("oz:a"), Text("a"));
    cache.Remember(Get("oz:b"), Text("b"));
    cache.Clear();
    CPPUNIT_ASSERT_EQUAL(size_t{0}, cache.entries());
    CPPUNIT_ASSERT_EQUAL(size_t{0}, cache.bytes());
    CPPUNIT_ASSERT(cache.Find(Get("oz:a")) == nullptr);
    CPPUNIT_ASSERT_EQUAL(size_t{0}, cache.Invalidate("oz:a"));
  }

  void testZeroEntriesKeepsNothing() {
    ReadCache cache(0, 1 << 20);
    CPPUNIT_ASSERT(!cache.enabled());
    cache.Remember(Get("oz:a"), Text("a"));
    CPPUNIT_ASSERT(cache.Find(Get("oz:a")) == nullptr);
    CPPUNIT_ASSERT_EQUAL(size_t{0}, cache.entries());
  }
};

}  // namespace

CPPUNIT_TEST_SUITE_REGISTRATION(ReadCacheTest);

}  // namespace tokend
