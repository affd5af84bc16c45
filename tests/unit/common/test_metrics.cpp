// Prometheus rendering of the counters (metrics.h). Without
// InitSharedMetrics the counters are process-local, which is what a unit
// test wants; values are compared as deltas since other fixtures count too.
#include <cppunit/extensions/HelperMacros.h>

#include <sstream>
#include <string>
#include <vector>

#include "tokend/common/metrics.h"
#include "tokend/http/response.h"

namespace tokend {
namespace {

// Route labels as a router would give them: [0] is no route.
const std::vector<std::string> kRouteNames = {"unknown", "/user",
                                              "/user/client_tokens"};
constexpr int kClientTokensRoute = 2;

std::string RenderMetrics() { return tokend::RenderMetrics(kRouteNames); }

// The value on the line that starts with `series` (exact name and labels),
// or -1.
double ValueOf(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.compare(0, series.size() + 1, series + " ") == 0) {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return -1;
}

class MetricsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(MetricsTest);
  CPPUNIT_TEST(testCountsRequestsByRouteAndStatus);
  CPPUNIT_TEST(testEveryErrorStatusHasItsOwnSeries);
  CPPUNIT_TEST(testLatencyHistogramIsCumulative);
  CPPUNIT_TEST(testCountsTokensAuthFailuresRedisErrorsAndWorkers);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testCountsRequestsByRouteAndStatus() {
    const std::string series =
        "onezone_tokend_requests_total{route=\"/user/client_tokens\",status=\"201\"}";
    double before = ValueOf(RenderMetrics(), series);
    CountRequest(kClientTokensRoute, 201, 0.001);
    CountRequest(kClientTokensRoute, 201, 0.001);
    CPPUNIT_ASSERT_EQUAL((before < 0 ? 0 : before) + 2,
                         ValueOf(RenderMetrics(), series));
    // An unlisted status is counted as "other", an out-of-range route as
    // unknown.
    CountRequest(9999, 418, 0.001);
    CPPUNIT_ASSERT(ValueOf(RenderMetrics(),
                           "onezone_tokend_requests_total{route=\"unknown\","
                           "status=\"other\"}") >= 1);
  }

  void testEveryErrorStatusHasItsOwnSeries() {
    for (int code = 0; code <= static_cast<int>(Code::kInternal); ++code) {
      const int status = HttpStatusOf(static_cast<Code>(code));
      if (status < 400) continue;
      CountRequest(kClientTokensRoute, status, 0.001);
      const std::string series =
          "onezone_tokend_requests_total{route=\"/user/client_tokens\","
          "status=\"" + std::to_string(status) + "\"}";
      CPPUNIT_ASSERT_MESSAGE(series, ValueOf(RenderMetrics(), series) >= 1);
    }
  }

  void testLatencyHistogramIsCumulative() {
    std::string text = RenderMetrics();
    double fast = ValueOf(text, "onezone_tokend_request_duration_seconds_bucket{le=\"0.001\"}");
    double slow = ValueOf(text, "onezone_tokend_request_duration_seconds_bucket{le=\"2.5\"}");
    double all = ValueOf(text, "onezone_tokend_request_duration_seconds_bucket{le=\"+Inf\"}");
    double count = ValueOf(text, "onezone_tokend_request_duration_seconds_count");
    CountRequest(0, 200, 2.0);  // lands in the 2.5 bucket only
    text = RenderMetrics();
    CPPUNIT_ASSERT_EQUAL(fast, ValueOf(text, "onezone_tokend_request_duration_seconds_bucket{le=\"0.001\"}"));
    CPPUNIT_ASSERT_EQUAL(slow + 1, ValueOf(text, "onezone_tokend_request_duration_seconds_bucket{le=\"2.5\"}"));
    CPPUNIT_ASSERT_EQUAL(all + 1, ValueOf(text, "onezone_tokend_request_duration_seconds_bucket{le=\"+Inf\"}"));
    CPPUNIT_ASSERT_EQUAL(count + 1, ValueOf(text, "onezone_tokend_request_duration_seconds_count"));
    CPPUNIT_ASSERT(slow >= fast);
  }

  void testCountsTokensAuthFailuresRedisErrorsAndWorkers() {
    std::string text = RenderMetrics();
    double created = ValueOf(text, "onezone_tokend_tokens_created_total");
    double deleted = ValueOf(text, "onezone_tokend_tokens_deleted_total");
    double redis = ValueOf(text, "onezone_tokend_redis_errors_total");
    double connections = ValueOf(text, "onezone_tokend_fastcgi_connections_total");
    double hashes = ValueOf(text, "onezone_tokend_password_hashes_total");
    double busy = ValueOf(text, "onezone_tokend_password_hash_busy_total");
    double verifications = ValueOf(text, "onezone_tokend_token_verifications_total");
    CountTokenCreated();
    CountFastcgiConnection();
    CountTokenRevoked();
    CountRedisError();
    CountPasswordHash();
    CountPasswordHashBusy();
    CountTokenVerification();
    CountAuthFailure(Code::kTokenInvalid);
    SetWorkersAlive(7);
    text = RenderMetrics();
    CPPUNIT_ASSERT_EQUAL(created + 1, ValueOf(text, "onezone_tokend_tokens_created_total"));
    CPPUNIT_ASSERT_EQUAL(deleted + 1, ValueOf(text, "onezone_tokend_tokens_deleted_total"));
    CPPUNIT_ASSERT_EQUAL(redis + 1, ValueOf(text, "onezone_tokend_redis_errors_total"));
    CPPUNIT_ASSERT_EQUAL(connections + 1,
                         ValueOf(text, "onezone_tokend_fastcgi_connections_total"));
    CPPUNIT_ASSERT_EQUAL(hashes + 1, ValueOf(text, "onezone_tokend_password_hashes_total"));
    CPPUNIT_ASSERT_EQUAL(busy + 1, ValueOf(text, "onezone_tokend_password_hash_busy_total"));
    CPPUNIT_ASSERT_EQUAL(verifications + 1,
                         ValueOf(text, "onezone_tokend_token_verifications_total"));
    CPPUNIT_ASSERT(ValueOf(text, "onezone_tokend_auth_failures_total{reason=\"tokenInvalid\"}") >= 1);
    CPPUNIT_ASSERT_EQUAL(7.0, ValueOf(text, "onezone_tokend_workers_alive"));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(MetricsTest);

}  // namespace
}  // namespace tokend
