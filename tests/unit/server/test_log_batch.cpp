// LogBatch: lines wait for Flush (or the size bound), then go out in order
// in one write.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <fcntl.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "tokend/server/log_batch.h"

namespace tokend {
namespace {

// Everything readable from `fd` (a non-blocking pipe) now.
std::string ReadAvailable(int fd) {
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) text.append(buffer, n);
  return text;
}

class LogBatchTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(LogBatchTest);
  CPPUNIT_TEST(testLinesWaitForFlushThenGoOutInOrder);
  CPPUNIT_TEST(testTheSizeBoundWritesAtOnce);
  CPPUNIT_TEST(testLinesFromTwoThreadsAreKeptWhole);
  CPPUNIT_TEST(testTheDestructorFlushes);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    CPPUNIT_ASSERT_EQUAL(0, pipe2(fds_, O_NONBLOCK | O_CLOEXEC));
    // Big enough for every test's lines, so a write never blocks.
    fcntl(fds_[1], F_SETPIPE_SZ, 1 << 20);
  }
  void tearDown() override {
    close(fds_[0]);
    close(fds_[1]);
  }

  void testLinesWaitForFlushThenGoOutInOrder() {
    LogBatch log(fds_[1]);
    log.Add("request id=1\n");
    log.Add("request id=2\naudit id=2 event=x\n");
    CPPUNIT_ASSERT_EQUAL(std::string(), ReadAvailable(fds_[0]));
    log.Flush();
    CPPUNIT_ASSERT_EQUAL(std::string("request id=1\nrequest id=2\naudit id=2 event=x\n"),
                         ReadAvailable(fds_[0]));
    log.Flush();  // nothing pending: nothing written
    CPPUNIT_ASSERT_EQUAL(std::string(), ReadAvailable(fds_[0]));
  }

  void testTheSizeBoundWritesAtOnce() {
    LogBatch log(fds_[1]);
    const std::string line(1000, 'x');
    size_t added = 0;
    while (added + line.size() + 1 < LogBatch::kMaxPendingBytes) {
      log.Add(line + "\n");
      added += line.size() + 1;
    }
    CPPUNIT_ASSERT_EQUAL(std::string(), ReadAvailable(fds_[0]));
    log.Add(line + "\n");
    CPPUNIT_ASSERT_EQUAL(added + line.size() + 1, ReadAvailable(fds_[0]).size());
  }

  void testLinesFromTwoThreadsAreKeptWhole() {
    LogBatch log(fds_[1]);
    auto add = [&log](char c) {
      for (int i = 0; i < 2000; ++i) log.Add(std::string(20, c) + "\n");
    };
    std::thread other(add, 'b');
    add('a');
    other.join();
    log.Flush();
    const std::string text = ReadAvailable(fds_[0]);
    CPPUNIT_ASSERT_EQUAL(size_t(4000 * 21), text.size());
    for (size_t at = 0; at < text.size(); at += 21) {
      const std::string line = text.substr(at, 21);
      CPPUNIT_ASSERT_MESSAGE(line, line == std::string(20, 'a') + "\n" ||
                                       line == std::string(20, 'b') + "\n");
    }
  }

  void testTheDestructorFlushes() {
    {
      LogBatch log(fds_[1]);
      log.Add("last words\n");
    }
    CPPUNIT_ASSERT_EQUAL(std::string("last words\n"), ReadAvailable(fds_[0]));
  }

 private:
  int fds_[2] = {-1, -1};
};

CPPUNIT_TEST_SUITE_REGISTRATION(LogBatchTest);

}  // namespace
}  // namespace tokend
