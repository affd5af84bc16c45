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
#include "tokend/common/metrics.h"

namespace tokend {
namespace {

// Parameters for the hashes these tests make: the hard limits' smallest
// memory and one pass, so each costs milliseconds.
const PasswordHashParams kFast{8192, 1, 1};

// Known Argon2id answers, computed independently of this code with the
// reference implementation's command-line tool (Debian's argon2 package):
//   echo -n "correct horse battery staple" |
//     argon2 onezone-salt-16B -id -t 2 -m 13 -p 1 -l 32 -e
constexpr char kKnownPassword[] = "correct horse battery staple";
constexpr char kKnownArgon2[] =
    "$argon2id$v=19$m=8192,t=2,p=1$b25lem9uZS1zYWx0LTE2Qg$"
    "qU+2+YwBwhlu8DIllbNlp3X1vqgRFwMIynM/N4/JZjY";
// ... -t 3 (the same salt and memory).
constexpr char kKnownArgon2ThreePasses[] =
    "$argon2id$v=19$m=8192,t=3,p=1$b25lem9uZS1zYWx0LTE2Qg$"
    "z0Gq6oNfb4jd9W+rCHZxnVNOJbtvDGOkiLiiGmaAP8k";
// ... -t 2 -k 19456 -p 1: the default parameters.
constexpr char kKnownArgon2Defaults[] =
    "$argon2id$v=19$m=19456,t=2,p=1$b25lem9uZS1zYWx0LTE2Qg$"
    "64OQd4R0pBP6NJDtYsITTlp0lhlp7WJRKY48X3EWr2c";
// printf 'p\xc3\xa4ssw\xc3\xb6rd' | argon2 another-salt-16B -id -t 1 -m 13 -p 2
constexpr char kKnownUtf8Password[] = "p\xc3\xa4ssw\xc3\xb6rd";
constexpr char kKnownArgon2TwoLanes[] =
    "$argon2id$v=19$m=8192,t=1,p=2$YW5vdGhlci1zYWx0LTE2Qg$"
    "MqVQRATV3foARbgwwn0C8mMrPnzxK41BLAC9sWPci7E";

// Known PBKDF2 answers (hashes made before Argon2id, which must still
// verify), computed independently of this code with
//   /usr/bin/python3 -c "import hashlib, base64
//   e = lambda b: base64.urlsafe_b64encode(b).rstrip(b'=').decode()
//   h = hashlib.pbkdf2_hmac('sha256', PASSWORD, SALT, ITERATIONS)
//   print('$pbkdf2-sha256$%d$%s$%s' % (ITERATIONS, e(SALT), e(h)))"
//
// PASSWORD b'correct horse battery staple', SALT b'onezone-salt-16B', 1000:
constexpr char kKnownHash1000[] =
    "$pbkdf2-sha256$1000$b25lem9uZS1zYWx0LTE2Qg$"
    "gFgFGm5_7RK4-JvIsPz3s3WwPQ3L0qpFL1gYIe_u_aE";
// The same password and salt, 1001 iterations.
constexpr char kKnownHash1001[] =
    "$pbkdf2-sha256$1001$b25lem9uZS1zYWx0LTE2Qg$"
    "YUqdjRUPcb2BXJMGa5nHbLsrrB9SIj3ccZdjvc4gYug";
// PASSWORD 'pässwörd'.encode() (UTF-8), SALT bytes(range(250, 256)) +
// bytes(range(10)), 1234 iterations: a salt with '-' and '_' in base64url.
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

// `known` with field `index` replaced by `value`.
std::string WithField(const std::string& known, size_t index,
                      const std::string& value) {
  std::vector<std::string> parts = Split(known, '$');
  parts.at(index) = value;
  return Join(parts);
}
std::string KnownWithField(size_t index, const std::string& value) {
  return WithField(kKnownHash1000, index, value);
}

// Slow hashes computed so far, by the metric.
double HashesComputed() {
  std::string text = RenderMetrics({"unknown"});
  const std::string series = "onezone_tokend_password_hashes_total ";
  size_t at = text.find("\n" + series);
  return std::stod(text.substr(at + 1 + series.size()));
}

}  // namespace

class PasswordHashTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(PasswordHashTest);
  CPPUNIT_TEST(testVerifiesThePasswordItHashed);
  CPPUNIT_TEST(testRejectsWrongPasswords);
  CPPUNIT_TEST(testNewHashesAreArgon2idInThePhcStringFormat);
  CPPUNIT_TEST(testDifferentSaltsGiveDifferentHashesOfOnePassword);
  CPPUNIT_TEST(testAcceptsArgon2idKnownAnswersOfTheReferenceImplementation);
  CPPUNIT_TEST(testHonoursTheArgon2ParametersStoredInTheString);
  CPPUNIT_TEST(testHashesEmptyAndBinaryPasswordsExactly);
  CPPUNIT_TEST(testRefusesArgon2ParametersBeyondTheLimitsWithoutHashing);
  CPPUNIT_TEST(testRefusesMalformedArgon2Strings);
  CPPUNIT_TEST(testRefusesToMakeHashesWithParametersBeyondTheLimits);
  CPPUNIT_TEST(testNeedsRehashForPbkdf2AndForOtherArgon2Parameters);
  CPPUNIT_TEST(testTheDecoyHasTheParametersOfARealHash);
  CPPUNIT_TEST(testAcceptsPbkdf2KnownAnswerComputedByPythonHashlib);
  CPPUNIT_TEST(testAcceptsPbkdf2KnownAnswerWithUtf8PasswordAndUrlSafeSalt);
  CPPUNIT_TEST(testHonoursThePbkdf2IterationCountStoredInTheString);
  CPPUNIT_TEST(testRejectsTamperedHashOrSalt);
  CPPUNIT_TEST(testRejectsMalformedStoredStrings);
  CPPUNIT_TEST(testRefusesStoredIterationCountsOutOfBoundsWithoutHashing);
  CPPUNIT_TEST(testRejectsStoredHashOfTheWrongLength);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testVerifiesThePasswordItHashed() {
    std::string stored = HashPassword("s3cret pass", kFast);
    CPPUNIT_ASSERT(!stored.empty());
    CPPUNIT_ASSERT(VerifyPassword("s3cret pass", stored));
    CPPUNIT_ASSERT(CheckPassword("s3cret pass", stored) == PasswordCheck::kMatch);
  }

  void testRejectsWrongPasswords() {
    std::string stored = HashPassword("s3cret pass", kFast);
    for (const char* wrong : {"s3cret pas", "s3cret pass ", "S3cret pass", "",
                              "s3cret pass\n", "x"}) {
      CPPUNIT_ASSERT_MESSAGE(wrong, !VerifyPassword(wrong, stored));
      CPPUNIT_ASSERT_MESSAGE(wrong, CheckPassword(wrong, stored) ==
                                        PasswordCheck::kMismatch);
    }
  }

  void testNewHashesAreArgon2idInThePhcStringFormat() {
    std::vector<std::string> parts =
        Split(HashPassword("s3cret pass", {19456, 2, 1}), '$');
    CPPUNIT_ASSERT_EQUAL(size_t{6}, parts.size());
    CPPUNIT_ASSERT_EQUAL(std::string(), parts[0]);
    CPPUNIT_ASSERT_EQUAL(std::string("argon2id"), parts[1]);
    CPPUNIT_ASSERT_EQUAL(std::string("v=19"), parts[2]);
    CPPUNIT_ASSERT_EQUAL(std::string("m=19456,t=2,p=1"), parts[3]);
    CPPUNIT_ASSERT_EQUAL(size_t{22}, parts[4].size());  // 16 bytes, no '='
    CPPUNIT_ASSERT_EQUAL(size_t{43}, parts[5].size());  // 32 bytes, no '='
    for (size_t i : {size_t{4}, size_t{5}}) {
      CPPUNIT_ASSERT_EQUAL(
          std::string::npos,
          parts[i].find_first_not_of(
              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
              "0123456789+/"));
    }
    CPPUNIT_ASSERT_EQUAL(std::string("m=8192,t=3,p=4"),
                         Split(HashPassword("pw", {8192, 3, 4}), '$')[3]);
  }

  void testDifferentSaltsGiveDifferentHashesOfOnePassword() {
    std::string first = HashPassword("same password", kFast);
    std::string second = HashPassword("same password", kFast);
    CPPUNIT_ASSERT(first != second);
    CPPUNIT_ASSERT(Split(first, '$')[4] != Split(second, '$')[4]);
    CPPUNIT_ASSERT(Split(first, '$')[5] != Split(second, '$')[5]);
    CPPUNIT_ASSERT(VerifyPassword("same password", first));
    CPPUNIT_ASSERT(VerifyPassword("same password", second));
  }

  void testAcceptsArgon2idKnownAnswersOfTheReferenceImplementation() {
    CPPUNIT_ASSERT(VerifyPassword(kKnownPassword, kKnownArgon2));
    CPPUNIT_ASSERT(VerifyPassword(kKnownPassword, kKnownArgon2ThreePasses));
    CPPUNIT_ASSERT(VerifyPassword(kKnownPassword, kKnownArgon2Defaults));
    CPPUNIT_ASSERT(VerifyPassword(kKnownUtf8Password, kKnownArgon2TwoLanes));
    CPPUNIT_ASSERT(!VerifyPassword("correct horse battery stapler", kKnownArgon2));
    CPPUNIT_ASSERT(!VerifyPassword("passwort", kKnownArgon2TwoLanes));
  }

  void testHonoursTheArgon2ParametersStoredInTheString() {
    // The two-pass hash under three passes, the three-pass one under two,
    // and either under other memory or lanes.
    CPPUNIT_ASSERT(!VerifyPassword(kKnownPassword,
                                   WithField(kKnownArgon2, 3, "m=8192,t=3,p=1")));
    CPPUNIT_ASSERT(!VerifyPassword(
        kKnownPassword, WithField(kKnownArgon2ThreePasses, 3, "m=8192,t=2,p=1")));
    CPPUNIT_ASSERT(!VerifyPassword(kKnownPassword,
                                   WithField(kKnownArgon2, 3, "m=8200,t=2,p=1")));
    CPPUNIT_ASSERT(!VerifyPassword(kKnownPassword,
                                   WithField(kKnownArgon2, 3, "m=8192,t=2,p=2")));
  }

  void testHashesEmptyAndBinaryPasswordsExactly() {
    std::string empty = HashPassword("", kFast);
    CPPUNIT_ASSERT(VerifyPassword("", empty));
    CPPUNIT_ASSERT(!VerifyPassword(" ", empty));

    // Embedded NUL bytes count: the password is not cut at the first one.
    const std::string with_nul("a\0b", 3);
    std::string stored = HashPassword(with_nul, kFast);
    CPPUNIT_ASSERT(VerifyPassword(with_nul, stored));
    CPPUNIT_ASSERT(!VerifyPassword("a", stored));
    CPPUNIT_ASSERT(!VerifyPassword(std::string("a\0c", 3), stored));
  }

  void testRefusesArgon2ParametersBeyondTheLimitsWithoutHashing() {
    // A tampered record asking for gigabytes or minutes is refused, not run.
    double before = HashesComputed();
    for (const char* params :
         {"m=262145,t=2,p=1", "m=4194304,t=2,p=1", "m=8192,t=17,p=1",
          "m=8192,t=1000000,p=1", "m=8192,t=2,p=9", "m=8191,t=2,p=1",
          "m=8192,t=0,p=1", "m=8192,t=2,p=0", "m=99999999999999999999,t=2,p=1"}) {
      CPPUNIT_ASSERT_MESSAGE(params, CheckPassword(kKnownPassword,
                                                   WithField(kKnownArgon2, 3, params)) ==
                                         PasswordCheck::kRefused);
    }
    CPPUNIT_ASSERT_EQUAL(before, HashesComputed());
    // The limits themselves are allowed (and cost one hash).
    CPPUNIT_ASSERT(CheckPassword(kKnownPassword,
                                 WithField(kKnownArgon2, 3, "m=8192,t=1,p=8")) ==
                   PasswordCheck::kMismatch);
    CPPUNIT_ASSERT_EQUAL(before + 1, HashesComputed());
  }

  void testRefusesMalformedArgon2Strings() {
    const std::string known = kKnownArgon2;
    std::vector<std::string> malformed = {
        known.substr(1),
        known + "$",
        known.substr(0, known.rfind('$')),
        WithField(known, 1, "argon2i"),
        WithField(known, 1, "argon2d"),
        WithField(known, 1, "Argon2id"),
        WithField(known, 2, "v=16"),
        WithField(known, 2, ""),
        WithField(known, 3, "t=2,m=8192,p=1"),  // another order
        WithField(known, 3, "m=8192,t=2"),
        WithField(known, 3, "m=8192,t=2,p=1,k=1"),
        WithField(known, 3, "m=+8192,t=2,p=1"),
        WithField(known, 3, "m= 8192,t=2,p=1"),
        WithField(known, 4, ""),
        WithField(known, 4, "b25l!m9uZS1zYWx0LTE2Qg"),
        WithField(known, 5, ""),
        WithField(known, 5, "qU+2+YwBwhlu8DIllbNlp3X1vqgRFwMIynM/N4/JZj"),  // 31.5
        WithField(known, 5, "qU+2+YwBwhlu8DIllbNlp3X1vqgRFwMIynM/N4/JZjYA"),
    };
    for (const std::string& stored : malformed) {
      CPPUNIT_ASSERT_MESSAGE(stored, CheckPassword(kKnownPassword, stored) ==
                                         PasswordCheck::kRefused);
    }
  }

  void testRefusesToMakeHashesWithParametersBeyondTheLimits() {
    CPPUNIT_ASSERT(HashPassword("pw", {8191, 1, 1}).empty());
    CPPUNIT_ASSERT(HashPassword("pw", {262145, 1, 1}).empty());
    CPPUNIT_ASSERT(HashPassword("pw", {8192, 0, 1}).empty());
    CPPUNIT_ASSERT(HashPassword("pw", {8192, 1, 9}).empty());
    CPPUNIT_ASSERT(PasswordHashParamsValid({19456, 2, 1}));
    CPPUNIT_ASSERT(!PasswordHashParamsValid({19456, 17, 1}));
  }

  void testNeedsRehashForPbkdf2AndForOtherArgon2Parameters() {
    CPPUNIT_ASSERT(NeedsRehash(kKnownHash1000, {8192, 2, 1}));
    CPPUNIT_ASSERT(!NeedsRehash(kKnownArgon2, {8192, 2, 1}));
    CPPUNIT_ASSERT(NeedsRehash(kKnownArgon2, {8192, 3, 1}));
    CPPUNIT_ASSERT(NeedsRehash(kKnownArgon2, {19456, 2, 1}));
    CPPUNIT_ASSERT(NeedsRehash(kKnownArgon2, {8192, 2, 2}));
    CPPUNIT_ASSERT(!NeedsRehash(kKnownArgon2Defaults, PasswordHashParams()));
  }

  void testTheDecoyHasTheParametersOfARealHash() {
    const std::string& decoy = DecoyPasswordHash(kFast);
    CPPUNIT_ASSERT_EQUAL(std::string("m=8192,t=1,p=1"), Split(decoy, '$')[3]);
    CPPUNIT_ASSERT(CheckPassword("anything", decoy) == PasswordCheck::kMismatch);
    CPPUNIT_ASSERT_EQUAL(std::string("m=8192,t=2,p=1"),
                         Split(DecoyPasswordHash({8192, 2, 1}), '$')[3]);
    // Made once per parameters.
    CPPUNIT_ASSERT_EQUAL(&decoy, &DecoyPasswordHash(kFast));
  }

  void testAcceptsPbkdf2KnownAnswerComputedByPythonHashlib() {
    CPPUNIT_ASSERT(VerifyPassword(kKnownPassword, kKnownHash1000));
    CPPUNIT_ASSERT(
        !VerifyPassword("correct horse battery stapler", kKnownHash1000));
  }

  void testAcceptsPbkdf2KnownAnswerWithUtf8PasswordAndUrlSafeSalt() {
    CPPUNIT_ASSERT(VerifyPassword(kKnownUtf8Password, kKnownHash1234));
    CPPUNIT_ASSERT(!VerifyPassword("passwort", kKnownHash1234));
  }

  void testHonoursThePbkdf2IterationCountStoredInTheString() {
    CPPUNIT_ASSERT(VerifyPassword(kKnownPassword, kKnownHash1001));
    // The 1000-iteration hash under a count of 1001, and the other way round.
    CPPUNIT_ASSERT(!VerifyPassword(kKnownPassword, KnownWithField(2, "1001")));
    CPPUNIT_ASSERT(!VerifyPassword(kKnownPassword, KnownWithField(2, "999")));
    std::vector<std::string> parts = Split(kKnownHash1001, '$');
    parts[2] = "1000";
    CPPUNIT_ASSERT(!VerifyPassword(kKnownPassword, Join(parts)));
  }

  void testRejectsTamperedHashOrSalt() {
    for (const std::string known : {kKnownHash1000, kKnownArgon2}) {
      std::vector<std::string> parts = Split(known, '$');
      const size_t hash_at = parts.size() - 1;
      const size_t salt_at = parts.size() - 2;
      // One character of the hash, first and last.
      for (size_t position : {size_t{0}, parts[hash_at].size() - 2}) {
        std::string hash = parts[hash_at];
        hash[position] = hash[position] == 'A' ? 'B' : 'A';
        CPPUNIT_ASSERT(
            !VerifyPassword(kKnownPassword, WithField(known, hash_at, hash)));
      }
      // Another salt of the same length.
      std::string salt = parts[salt_at];
      salt[0] = salt[0] == 'A' ? 'B' : 'A';
      CPPUNIT_ASSERT(!VerifyPassword(kKnownPassword, WithField(known, salt_at, salt)));
    }
    // Salt and hash swapped in from another user's record.
    std::string other = HashPassword(kKnownPassword, kFast);
    CPPUNIT_ASSERT(!VerifyPassword(kKnownPassword,
                                   WithField(kKnownArgon2, 4, Split(other, '$')[4])));
    CPPUNIT_ASSERT(!VerifyPassword(kKnownPassword,
                                   WithField(kKnownArgon2, 5, Split(other, '$')[5])));
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
      CPPUNIT_ASSERT_MESSAGE(stored, CheckPassword("", stored) ==
                                         PasswordCheck::kRefused);
    }
  }

  void testRefusesStoredIterationCountsOutOfBoundsWithoutHashing() {
    // Zero, negative and absurd counts are refused before any hashing, so a
    // tampered record cannot stall a worker.
    double before = HashesComputed();
    for (const char* iterations : {"0", "-1", "-1000", "5000001", "100000001",
                                   "2147483648", "99999999999999999999999"}) {
      CPPUNIT_ASSERT_MESSAGE(
          iterations, CheckPassword(kKnownPassword, KnownWithField(2, iterations)) ==
                          PasswordCheck::kRefused);
    }
    CPPUNIT_ASSERT_EQUAL(before, HashesComputed());
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
