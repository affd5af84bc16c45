// Unit tests for password_hash.h (PBKDF2-SHA256 strings with their
// parameters) and password_cache.h (a worker's memory of verified
// passwords).
//
// Iteration counts are low (1000) so the suite stays fast; the format is
// the same at any count.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tokend/auth/password_cache.h"
#include "tokend/auth/password_hash.h"

namespace tokend {
namespace {

constexpr int kIterations = 1000;

// Known answers, computed independently of this code with
//   /usr/bin/python3 -c "import hashlib, base64
//   e = lambda b: base64.urlsafe_b64encode(b).rstrip(b'=').decode()
//   h = hashlib.pbkdf2_hmac('sha256', PASSWORD, SALT, ITERATIONS)
//   print('$pbkdf2-sha256$%d$%s$%s' % (ITERATIONS, e(SALT), e(h)))"
//
// PASSWORD b'correct horse battery staple', SALT b'onezone-salt-16B', 1000:
constexpr char kKnownPassword[] = "correct horse battery staple";
constexpr char kKnownHash1000[] =
    "$pbkdf2-sha256$1000$b25lem9uZS1zYWx0LTE2Qg$"
    "gFgFGm5_7RK4-JvIsPz3s3WwPQ3L0qpFL1gYIe_u_aE";
// The same password and salt, 1001 iterations.
constexpr char kKnownHash1001[] =
    "$pbkdf2-sha256$1001$b25lem9uZS1zYWx0LTE2Qg$"
    "YUqdjRUPcb2BXJMGa5nHbLsrrB9SIj3ccZdjvc4gYug";
// PASSWORD 'pässwörd'.encode() (UTF-8), SALT bytes(range(250, 256)) +
// bytes(range(10)), 1234 iterations: a salt with '-' and '_' in base64url.
constexpr char kKnownUtf8Password[] = "p\xc3\xa4ssw\xc3\xb6rd";
constexpr char kKnownHash1234[] =
    "$pbkdf2-sha256$1234$-vv8_f7_AAECAwQFBgcICQ$"
    "FGbE-A782fJRJYYq9Oh2dCqgpMq10beJjbrU7jQyffE";

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t next = text.find(separator, start);
    parts.push_back(text.substr(start, next - start));
    if (next == std::string::npos) break;
    start = next + 1;
  }
  return parts;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string text;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) text += '$';
    text += parts[i];
  }
  return text;
}

// kKnownHash1000 with field `index` replaced by `value`.
std::string KnownWithField(size_t index, const std::string& value) {
  std::vector<std::string> parts = Split(kKnownHash1000, '$');
  parts.at(index) = value;
  return Join(parts);
}

}  // namespace

class PasswordHashTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(PasswordHashTest);
  CPPUNIT_TEST(testVerifiesThePasswordItHashed);
  CPPUNIT_TEST(testRejectsWrongPasswords);
  CPPUNIT_TEST(testHashStringHasSchemeIterationsSaltAndHash);
  CPPUNIT_TEST(testDifferentSaltsGiveDifferentHashesOfOnePassword);
  CPPUNIT_TEST(testAcceptsKnownAnswerComputedByPythonHashlib);
  CPPUNIT_TEST(testAcceptsKnownAnswerWithUtf8PasswordAndUrlSafeSalt);
  CPPUNIT_TEST(testHonoursTheIterationCountStoredInTheString);
  CPPUNIT_TEST(testRecordsTheRequestedIterationCount);
  CPPUNIT_TEST(testHashesEmptyAndBinaryPasswordsExactly);
  CPPUNIT_TEST(testRejectsTamperedHashOrSalt);
  CPPUNIT_TEST(testRejectsMalformedStoredStrings);
  CPPUNIT_TEST(testRejectsStoredIterationCountsOutOfBounds);
  CPPUNIT_TEST(testRejectsStoredHashOfTheWrongLength);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testVerifiesThePasswordItHashed() {
    std::string stored = HashPassword("s3cret pass", kIterations);
    CPPUNIT_ASSERT(!stored.empty());
    CPPUNIT_ASSERT(VerifyPassword("s3cret pass", stored));
  }

  void testRejectsWrongPasswords() {
    std::string stored = HashPassword("s3cret pass", kIterations);
    for (const char* wrong : {"s3cret pas", "s3cret pass ", "S3cret pass", "",
                              "s3cret pass\n", "x"}) {
      CPPUNIT_ASSERT_MESSAGE(wrong, !VerifyPassword(wrong, stored));
    }
  }

  void testHashStringHasSchemeIterationsSaltAndHash() {
    std::vector<std::string> parts =
        Split(HashPassword("s3cret pass", kIterations), '$');
    CPPUNIT_ASSERT_EQUAL(size_t{5}, parts.size());
    CPPUNIT_ASSERT_EQUAL(std::string(), parts[0]);
    CPPUNIT_ASSERT_EQUAL(std::string("pbkdf2-sha256"), parts[1]);
    CPPUNIT_ASSERT_EQUAL(std::string("1000"), parts[2]);
    CPPUNIT_ASSERT_EQUAL(size_t{22}, parts[3].size());  // 16 bytes, no '='
    CPPUNIT_ASSERT_EQUAL(size_t{43}, parts[4].size());  // 32 bytes, no '='
    for (size_t i : {size_t{3}, size_t{4}}) {
      CPPUNIT_ASSERT_EQUAL(
          std::string::npos,
          parts[i].find_first_not_of(
              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
              "0123456789-_"));
    }
  }

  void testDifferentSaltsGiveDifferentHashesOfOnePassword() {
    std::string first = HashPassword("same password", kIterations);
    std::string second = HashPassword("same password", kIterations);
    CPPUNIT_ASSERT(first != second);
    CPPUNIT_ASSERT(Split(first, '$')[3] != Split(second, '$')[3]);
    CPPUNIT_ASSERT(Split(first, '$')[4] != Split(second, '$')[4]);
    CPPUNIT_ASSERT(VerifyPassword("same password", first));
    CPPUNIT_ASSERT(VerifyPassword("same password", second));
  }

  void testAcceptsKnownAnswerComputedByPythonHashlib() {
    CPPUNIT_ASSERT(VerifyPassword(kKnownPassword, kKnownHash1000));
    CPPUNIT_ASSERT(
        !VerifyPassword("correct horse battery stapler", kKnownHash1000));
  }

  void testAcceptsKnownAnswerWithUtf8PasswordAndUrlSafeSalt() {
    CPPUNIT_ASSERT(VerifyPassword(kKnownUtf8Password, kKnownHash1234));
    CPPUNIT_ASSERT(!VerifyPassword("passwort", kKnownHash1234));
  }

  void testHonoursTheIterationCountStoredInTheString() {
    CPPUNIT_ASSERT(VerifyPassword(kKnownPassword, kKnownHash1001));
    // The 1000-iteration hash under a count of 1001, and the other way round.
    CPPUNIT_ASSERT(!VerifyPassword(kKnownPassword, KnownWithField(2, "1001")));
    CPPUNIT_ASSERT(!VerifyPassword(kKnownPassword, KnownWithField(2, "999")));
    std::vector<std::string> parts = Split(kKnownHash1001, '$');
    parts[2] = "1000";
    CPPUNIT_ASSERT(!VerifyPassword(kKnownPassword, Join(parts)));
  }

  void testRecordsTheRequestedIterationCount() {
    std::string stored = HashPassword("pw", 1234);
    CPPUNIT_ASSERT_EQUAL(std::string("1234"), Split(stored, '$')[2]);
    CPPUNIT_ASSERT(VerifyPassword("pw", stored));
    std::vector<std::string> parts = Split(stored, '$');
    parts[2] = "1000";
    CPPUNIT_ASSERT(!VerifyPassword("pw", Join(parts)));
  }

  void testHashesEmptyAndBinaryPasswordsExactly() {
    std::string empty = HashPassword("", kIterations);
    CPPUNIT_ASSERT(VerifyPassword("", empty));
    CPPUNIT_ASSERT(!VerifyPassword(" ", empty));

    // Embedded NUL bytes count: the password is not cut at the first one.
    const std::string with_nul("a\0b", 3);
    std::string stored = HashPassword(with_nul, kIterations);
    CPPUNIT_ASSERT(VerifyPassword(with_nul, stored));
    CPPUNIT_ASSERT(!VerifyPassword("a", stored));
    CPPUNIT_ASSERT(!VerifyPassword(std::string("a\0c", 3), stored));
  }

  void testRejectsTamperedHashOrSalt() {
    std::vector<std::string> parts = Split(kKnownHash1000, '$');
    // One character of the hash, first and last.
    for (size_t position : {size_t{0}, parts[4].size() - 2}) {
      std::string hash = parts[4];
      hash[position] = hash[position] == 'A' ? 'B' : 'A';
      CPPUNIT_ASSERT(!VerifyPassword(kKnownPassword, KnownWithField(4, hash)));
    }
    // Another salt of the same length.
    std::string salt = parts[3];
    salt[0] = salt[0] == 'A' ? 'B' : 'A';
    CPPUNIT_ASSERT(!VerifyPassword(kKnownPassword, KnownWithField(3, salt)));
    // Salt and hash swapped in from another user's record.
    std::string other = HashPassword(kKnownPassword, kIterations);
    CPPUNIT_ASSERT(!VerifyPassword(kKnownPassword,
                                   KnownWithField(3, Split(other, '$')[3])));
    CPPUNIT_ASSERT(!VerifyPassword(kKnownPassword,
                                   KnownWithField(4, Split(other, '$')[4])));
  }

  void testRejectsMalformedStoredStrings() {
    const std::string known = kKnownHash1000;
    std::vector<std::string> malformed = {
        "",
        "$",
        "$$$$",
        known.substr(1),                    // no leading '$'
        known.substr(0, known.rfind('$')),  // no hash field
        known + "$",                        // an extra empty field
        known + "$extra",
        "x" + known,
        KnownWithField(1, "pbkdf2-sha1"),
        KnownWithField(1, "PBKDF2-SHA256"),
        KnownWithField(1, ""),
        KnownWithField(2, ""),
        KnownWithField(2, "abc"),
        KnownWithField(2, "1000x"),
        KnownWithField(2, "1e3"),
        KnownWithField(2, "10.0"),
        KnownWithField(3, "b25l!m9uZS1zYWx0LTE2Qg"),  // not base64
        KnownWithField(3, "b25lem9uZS1zYWx0LTE2Q"),   // a dangling 6 bits
        KnownWithField(4, ""),
        KnownWithField(4, "gFgFGm5_7RK4-JvIsPz3s3WwPQ3L0qpFL1gYIe_u_a*"),
        KnownWithField(4, "gFgFGm5_7RK4-JvIsPz3s3WwPQ3L0qpFL1gYIe_u_aE==="),
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        kKnownPassword,  // a plain-text password where a hash belongs
    };
    for (const std::string& stored : malformed) {
      CPPUNIT_ASSERT_MESSAGE(stored, !VerifyPassword(kKnownPassword, stored));
      CPPUNIT_ASSERT_MESSAGE(stored, !VerifyPassword("", stored));
    }
  }

  void testRejectsStoredIterationCountsOutOfBounds() {
    // Zero, negative and absurd counts are refused before any hashing, so a
    // tampered record cannot stall a worker.
    for (const char* iterations : {"0", "-1", "-1000", "100000001",
                                   "2147483648", "99999999999999999999999"}) {
      CPPUNIT_ASSERT_MESSAGE(
          iterations,
          !VerifyPassword(kKnownPassword, KnownWithField(2, iterations)));
    }
  }

  void testRejectsStoredHashOfTheWrongLength() {
    // The known hash cut to its first 31 bytes, and followed by a zero byte
    // (base64url of h[:31] and h + b'\0', from the same Python session):
    // a comparison over the shorter length would accept either.
    const std::string short_hash = "gFgFGm5_7RK4-JvIsPz3s3WwPQ3L0qpFL1gYIe_u_Q";
    const std::string long_hash =
        "gFgFGm5_7RK4-JvIsPz3s3WwPQ3L0qpFL1gYIe_u_aEA";
    CPPUNIT_ASSERT(
        !VerifyPassword(kKnownPassword, KnownWithField(4, short_hash)));
    CPPUNIT_ASSERT(
        !VerifyPassword(kKnownPassword, KnownWithField(4, long_hash)));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PasswordHashTest);

// The workers of a daemon share one cache (and a test process one table), so
// each test names users of its own.
class PasswordCacheTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(PasswordCacheTest);
  CPPUNIT_TEST(testRemembersAVerifiedPassword);
  CPPUNIT_TEST(testKnowsNothingBeforeRemembering);
  CPPUNIT_TEST(testMissesAWrongPassword);
  CPPUNIT_TEST(testMissesAnotherUserName);
  CPPUNIT_TEST(testMissesWhenTheStoredHashChanged);
  CPPUNIT_TEST(testUnusedEntryExpiresExactlyAtItsTtl);
  CPPUNIT_TEST(testEntryInUseLivesOnUntilATtlAfterItsLastUse);
  CPPUNIT_TEST(testExpiredEntryCanBeRememberedAgain);
  CPPUNIT_TEST(testZeroTtlDisablesTheCache);
  CPPUNIT_TEST(testFieldBoundariesCannotBeShifted);
  CPPUNIT_TEST(testRememberingAgainReplacesTheUsersEntry);
  CPPUNIT_TEST(testCachesOfOneProcessShareEntries);
  CPPUNIT_TEST(testForkedWorkersShareWhatTheyVerified);
  CPPUNIT_TEST(testStaysBoundedWithManyUsers);
  CPPUNIT_TEST(testASecondCallerWaitsForTheHashInProgressInsteadOfPayingItsOwn);
  CPPUNIT_TEST(testAFailedHashReleasesTheCallersWaitingForIt);
  CPPUNIT_TEST(testAnotherPasswordDoesNotWait);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testRemembersAVerifiedPassword() {
    PasswordCache cache(300);
    cache.Remember("alice1", "pw", "$hash-a", 1000);
    CPPUNIT_ASSERT(cache.Contains("alice1", "pw", "$hash-a", 1000));
    CPPUNIT_ASSERT(cache.Contains("alice1", "pw", "$hash-a", 1299));
  }

  void testKnowsNothingBeforeRemembering() {
    PasswordCache cache(300);
    CPPUNIT_ASSERT(!cache.Contains("alice2", "pw", "$hash-a", 1000));
    CPPUNIT_ASSERT(!cache.Contains("", "", "", 0));
  }

  void testMissesAWrongPassword() {
    PasswordCache cache(300);
    cache.Remember("alice3", "pw", "$hash-a", 1000);
    CPPUNIT_ASSERT(!cache.Contains("alice3", "pw ", "$hash-a", 1001));
    CPPUNIT_ASSERT(!cache.Contains("alice3", "PW", "$hash-a", 1001));
    CPPUNIT_ASSERT(!cache.Contains("alice3", "", "$hash-a", 1001));
    // The right one still hits afterwards: a miss does not evict.
    CPPUNIT_ASSERT(cache.Contains("alice3", "pw", "$hash-a", 1001));
  }

  void testMissesAnotherUserName() {
    PasswordCache cache(300);
    cache.Remember("alice4", "pw", "$hash-a", 1000);
    CPPUNIT_ASSERT(!cache.Contains("bob4", "pw", "$hash-a", 1000));
    CPPUNIT_ASSERT(!cache.Contains("Alice4", "pw", "$hash-a", 1000));
  }

  void testMissesWhenTheStoredHashChanged() {
    // A password change (or a re-hash) makes the old entry useless.
    PasswordCache cache(300);
    cache.Remember("alice5", "old pw", "$hash-1", 1000);
    CPPUNIT_ASSERT(!cache.Contains("alice5", "old pw", "$hash-2", 1001));
    CPPUNIT_ASSERT(cache.Contains("alice5", "old pw", "$hash-1", 1001));
  }

  void testUnusedEntryExpiresExactlyAtItsTtl() {
    PasswordCache cache(60);
    cache.Remember("alice6", "pw", "$h", 1000);
    CPPUNIT_ASSERT(!cache.Contains("alice6", "pw", "$h", 1060));
    // Once expired it stays gone, even for an earlier clock reading.
    CPPUNIT_ASSERT(!cache.Contains("alice6", "pw", "$h", 1000));
    cache.Remember("alice6b", "pw", "$h", 1000);
    CPPUNIT_ASSERT(cache.Contains("alice6b", "pw", "$h", 1059));
  }

  void testEntryInUseLivesOnUntilATtlAfterItsLastUse() {
    PasswordCache cache(60);
    cache.Remember("alice6c", "pw", "$h", 1000);
    // In the first half of its life a hit changes nothing; later one
    // extends it to a ttl from then.
    CPPUNIT_ASSERT(cache.Contains("alice6c", "pw", "$h", 1029));
    CPPUNIT_ASSERT(cache.Contains("alice6c", "pw", "$h", 1059));
    CPPUNIT_ASSERT(cache.Contains("alice6c", "pw", "$h", 1100));
    CPPUNIT_ASSERT(cache.Contains("alice6c", "pw", "$h", 1159));
    CPPUNIT_ASSERT(!cache.Contains("alice6c", "pw", "$h", 1219));
    // A wrong password never extends it.
    cache.Remember("alice6d", "pw", "$h", 1000);
    CPPUNIT_ASSERT(!cache.Contains("alice6d", "wrong", "$h", 1059));
    CPPUNIT_ASSERT(!cache.Contains("alice6d", "pw", "$h", 1060));
  }

  void testExpiredEntryCanBeRememberedAgain() {
    PasswordCache cache(60);
    cache.Remember("alice7", "pw", "$h", 1000);
    CPPUNIT_ASSERT(!cache.Contains("alice7", "pw", "$h", 2000));
    cache.Remember("alice7", "pw", "$h", 2000);
    CPPUNIT_ASSERT(cache.Contains("alice7", "pw", "$h", 2029));
    CPPUNIT_ASSERT(!cache.Contains("alice7", "pw", "$h", 2060));
  }

  void testZeroTtlDisablesTheCache() {
    PasswordCache cache(0);
    cache.Remember("alice8", "pw", "$h", 1000);
    CPPUNIT_ASSERT(!cache.Contains("alice8", "pw", "$h", 1000));
    CPPUNIT_ASSERT(!cache.Contains("alice8", "pw", "$h", 999));
  }

  void testFieldBoundariesCannotBeShifted() {
    // Moving characters between the password and the stored hash must not
    // give the same entry.
    PasswordCache cache(300);
    cache.Remember("alice9", "pw", "$hash", 1000);
    CPPUNIT_ASSERT(!cache.Contains("alice9", "pw$", "hash", 1000));
    CPPUNIT_ASSERT(!cache.Contains("alice9", "p", "w$hash", 1000));
    CPPUNIT_ASSERT(!cache.Contains("alice9", "pw$hash", "", 1000));
  }

  void testRememberingAgainReplacesTheUsersEntry() {
    PasswordCache cache(300);
    cache.Remember("alice10", "first", "$h1", 1000);
    cache.Remember("alice10", "second", "$h2", 1010);
    CPPUNIT_ASSERT(cache.Contains("alice10", "second", "$h2", 1011));
    CPPUNIT_ASSERT(!cache.Contains("alice10", "first", "$h1", 1011));
  }

  void testCachesOfOneProcessShareEntries() {
    PasswordCache first(300);
    PasswordCache second(300);
    first.Remember("alice11", "pw", "$h", 1000);
    CPPUNIT_ASSERT(second.Contains("alice11", "pw", "$h", 1000));
  }

  void testForkedWorkersShareWhatTheyVerified() {
    // As the daemon's parent does before forking its workers.
    CPPUNIT_ASSERT(InitSharedPasswordCache());
    pid_t child = fork();
    CPPUNIT_ASSERT(child >= 0);
    if (child == 0) {
      PasswordCache worker(300);
      worker.Remember("alice12", "pw", "$h", 1000);
      _exit(worker.Contains("alice12", "pw", "$h", 1000) ? 0 : 1);
    }
    int status = 0;
    CPPUNIT_ASSERT_EQUAL(child, waitpid(child, &status, 0));
    CPPUNIT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    PasswordCache other_worker(300);
    CPPUNIT_ASSERT(other_worker.Contains("alice12", "pw", "$h", 1000));
    CPPUNIT_ASSERT(!other_worker.Contains("alice12", "other", "$h", 1000));
  }

  // A second caller (a thread) checks the cache and then calls AwaitOrClaim,
  // as AuthenticateBasic does, while this one, having claimed the hash,
  // waits until that thread is about to call, sleeps 100 ms and then calls
  // `finish`. Returns what the second caller was answered, and whether it
  // returned only after `finish`. A thread the scheduler still holds back
  // past `finish` gets its answer from Contains, as in production, instead
  // of failing the test; one on time returns only after `finish` when
  // AwaitOrClaim waits, and at once, unverified, when it does not.
  template <typename Finish>
  static std::pair<bool, bool> SecondCallerAround(PasswordCache* cache,
                                                  const std::string& name,
                                                  const std::string& password,
                                                  Finish finish) {
    std::atomic<bool> calling{false};
    std::atomic<bool> finished{false};
    bool returned_after_finish = false;
    bool verified = false;
    std::thread second([&] {
      calling = true;
      verified = cache->Contains(name, password, "$h", 1000) ||
                 cache->AwaitOrClaim(name, password, "$h", 1000);
      returned_after_finish = finished.load();
    });
    while (!calling.load()) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    finished = true;
    finish();
    second.join();
    return {verified, returned_after_finish};
  }

  void testASecondCallerWaitsForTheHashInProgressInsteadOfPayingItsOwn() {
    PasswordCache cache(300);
    // Nobody hashes it yet: the first caller claims it.
    CPPUNIT_ASSERT(!cache.AwaitOrClaim("alice13", "pw", "$h", 1000));
    auto [verified, returned_after_remember] = SecondCallerAround(
        &cache, "alice13", "pw",
        [&] { cache.Remember("alice13", "pw", "$h", 1000); });
    CPPUNIT_ASSERT(verified);
    CPPUNIT_ASSERT(returned_after_remember);
  }

  void testAFailedHashReleasesTheCallersWaitingForIt() {
    PasswordCache cache(300);
    CPPUNIT_ASSERT(!cache.AwaitOrClaim("alice14", "wrong", "$h", 1000));
    auto begin = std::chrono::steady_clock::now();
    auto [verified, returned_after_release] = SecondCallerAround(
        &cache, "alice14", "wrong",
        [&] { cache.Release("alice14", "wrong", "$h"); });
    // Not verified: it hashes the password itself (and fails), released
    // well before its 3 s wait would have run out.
    CPPUNIT_ASSERT(!verified);
    CPPUNIT_ASSERT(returned_after_release);
    CPPUNIT_ASSERT(std::chrono::steady_clock::now() - begin <
                   std::chrono::milliseconds(2500));
  }

  void testAnotherPasswordDoesNotWait() {
    PasswordCache cache(300);
    CPPUNIT_ASSERT(!cache.AwaitOrClaim("alice15", "pw", "$h", 1000));
    auto begin = std::chrono::steady_clock::now();
    CPPUNIT_ASSERT(!cache.AwaitOrClaim("alice15", "other", "$h", 1000));
    CPPUNIT_ASSERT(!cache.AwaitOrClaim("bob15", "pw", "$h", 1000));
    CPPUNIT_ASSERT(std::chrono::steady_clock::now() - begin <
                   std::chrono::milliseconds(2500));
  }

  void testStaysBoundedWithManyUsers() {
    // Far more users than the table has slots: at most one per slot is
    // remembered, and the latest always is.
    PasswordCache cache(300);
    const int users = 50000;
    for (int i = 0; i < users; ++i) {
      cache.Remember("many" + std::to_string(i), "pw", "$h", 1000);
    }
    int remembered = 0;
    for (int i = 0; i < users; ++i) {
      if (cache.Contains("many" + std::to_string(i), "pw", "$h", 1001)) ++remembered;
    }
    CPPUNIT_ASSERT(remembered <= static_cast<int>(PasswordCache::kSlots));
    CPPUNIT_ASSERT(remembered > 0);
    CPPUNIT_ASSERT(
        cache.Contains("many" + std::to_string(users - 1), "pw", "$h", 1001));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PasswordCacheTest);

}  // namespace tokend
