// Shared-memory counters and their Prometheus rendering (see metrics.h).
#include "tokend/common/metrics.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdarg>
#include <cstdio>

namespace tokend {

namespace {

// Every status the daemon answers with (HttpStatusOf and the successes):
// a test keeps the list whole.
constexpr int kStatuses[] = {200, 201, 204, 400, 401, 403, 404,
                             405, 409, 413, 429, 431, 500, 503};
constexpr int kStatusSlots = sizeof(kStatuses) / sizeof(kStatuses[0]) + 1;  // + other
constexpr double kLatencyBuckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                      0.05,   0.1,   0.25,   0.5,   1.0, 2.5};
constexpr int kBucketCount = sizeof(kLatencyBuckets) / sizeof(kLatencyBuckets[0]);
constexpr int kCodeSlots = static_cast<int>(Code::kInternal) + 1;

struct Counters {
  std::atomic<uint64_t> requests[kMaxRoutes][kStatusSlots];
  std::atomic<uint64_t> latency_buckets[kBucketCount];  // cumulative at render
  std::atomic<uint64_t> latency_count;
  std::atomic<uint64_t> latency_sum_us;
  std::atomic<uint64_t> tokens_created;
  std::atomic<uint64_t> tokens_revoked;
  std::atomic<uint64_t> auth_failures[kCodeSlots];
  std::atomic<uint64_t> redis_errors;
  std::atomic<uint64_t> password_hashes;
  std::atomic<uint64_t> password_hash_busy;
  std::atomic<uint64_t> token_verifications;
  std::atomic<uint64_t> read_cache_hits;
  std::atomic<uint64_t> read_cache_misses;
  std::atomic<uint64_t> read_cache_invalidations;
  std::atomic<uint64_t> read_cache_flushes;
  std::atomic<uint64_t> fastcgi_connections;
  std::atomic<int64_t> workers_alive;
};

Counters g_local_counters;
Counters* g_counters = &g_local_counters;

int StatusSlot(int status) {
  for (int i = 0; i < kStatusSlots - 1; ++i) {
    if (kStatuses[i] == status) return i;
  }
  return kStatusSlots - 1;
}

void Add(std::atomic<uint64_t>& counter) {
  counter.fetch_add(1, std::memory_order_relaxed);
}

uint64_t Load(const std::atomic<uint64_t>& counter) {
  return counter.load(std::memory_order_relaxed);
}

void Line(std::string* out, const char* format, ...)
    __attribute__((format(printf, 2, 3)));
void Line(std::string* out, const char* format, ...) {
  char buffer[256];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buffer, sizeof(buffer), format, args);
  va_end(args);
  *out += buffer;
  *out += '\n';
}

}  // namespace

bool InitSharedMetrics() {
  void* memory = mmap(nullptr, sizeof(Counters), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) return false;
  // Anonymous mappings start zeroed, which is every counter's start value.
  g_counters = static_cast<Counters*>(memory);
  return true;
}

void CountRequest(int route_index, int status, double seconds) {
  if (route_index < 0 || route_index >= kMaxRoutes) route_index = 0;
  Add(g_counters->requests[route_index][StatusSlot(status)]);
  for (int i = 0; i < kBucketCount; ++i) {
    if (seconds <= kLatencyBuckets[i]) {
      Add(g_counters->latency_buckets[i]);
      break;
    }
  }
  Add(g_counters->latency_count);
  g_counters->latency_sum_us.fetch_add(static_cast<uint64_t>(seconds * 1e6),
                                       std::memory_order_relaxed);
}

void CountTokenCreated() { Add(g_counters->tokens_created); }
void CountTokenRevoked() { Add(g_counters->tokens_revoked); }
void CountRedisError() { Add(g_counters->redis_errors); }
void CountPasswordHash() { Add(g_counters->password_hashes); }
void CountPasswordHashBusy() { Add(g_counters->password_hash_busy); }
void CountTokenVerification() { Add(g_counters->token_verifications); }
void CountReadCacheHit() { Add(g_counters->read_cache_hits); }
void CountReadCacheMiss() { Add(g_counters->read_cache_misses); }
void CountReadCacheInvalidation(uint64_t reads) {
  g_counters->read_cache_invalidations.fetch_add(reads,
                                                 std::memory_order_relaxed);
}
void CountReadCacheFlush() { Add(g_counters->read_cache_flushes); }
void CountFastcgiConnection() { Add(g_counters->fastcgi_connections); }

void CountAuthFailure(Code reason) {
  int slot = static_cast<int>(reason);
  if (slot >= 0 && slot < kCodeSlots) Add(g_counters->auth_failures[slot]);
}

void SetWorkersAlive(int workers) {
  g_counters->workers_alive.store(workers, std::memory_order_relaxed);
}

std::string RenderMetrics(const std::vector<std::string>& route_names) {
  std::string out;
  out.reserve(8192);
  Line(&out, "# HELP onezone_tokend_requests_total Requests by route and status.");
  Line(&out, "# TYPE onezone_tokend_requests_total counter");
  const int routes = std::min(static_cast<int>(route_names.size()), kMaxRoutes);
  for (int route = 0; route < routes; ++route) {
    for (int slot = 0; slot < kStatusSlots; ++slot) {
      uint64_t value = Load(g_counters->requests[route][slot]);
      if (value == 0) continue;
      char status[8];
      if (slot < kStatusSlots - 1) {
        std::snprintf(status, sizeof(status), "%d", kStatuses[slot]);
      } else {
        std::snprintf(status, sizeof(status), "other");
      }
      Line(&out, "onezone_tokend_requests_total{route=\"%s\",status=\"%s\"} %llu",
           route_names[route].c_str(), status,
           static_cast<unsigned long long>(value));
    }
  }
  Line(&out, "# HELP onezone_tokend_request_duration_seconds Time from request to response in a worker.");
  Line(&out, "# TYPE onezone_tokend_request_duration_seconds histogram");
  uint64_t cumulative = 0;
  for (int i = 0; i < kBucketCount; ++i) {
    cumulative += Load(g_counters->latency_buckets[i]);
    Line(&out, "onezone_tokend_request_duration_seconds_bucket{le=\"%g\"} %llu",
         kLatencyBuckets[i], static_cast<unsigned long long>(cumulative));
  }
  uint64_t count = Load(g_counters->latency_count);
  Line(&out, "onezone_tokend_request_duration_seconds_bucket{le=\"+Inf\"} %llu",
       static_cast<unsigned long long>(count));
  Line(&out, "onezone_tokend_request_duration_seconds_sum %.6f",
       Load(g_counters->latency_sum_us) / 1e6);
  Line(&out, "onezone_tokend_request_duration_seconds_count %llu",
       static_cast<unsigned long long>(count));

  Line(&out, "# HELP onezone_tokend_tokens_created_total Access tokens created.");
  Line(&out, "# TYPE onezone_tokend_tokens_created_total counter");
  Line(&out, "onezone_tokend_tokens_created_total %llu",
       static_cast<unsigned long long>(Load(g_counters->tokens_created)));
  Line(&out, "# HELP onezone_tokend_tokens_deleted_total Access tokens revoked.");
  Line(&out, "# TYPE onezone_tokend_tokens_deleted_total counter");
  Line(&out, "onezone_tokend_tokens_deleted_total %llu",
       static_cast<unsigned long long>(Load(g_counters->tokens_revoked)));

  Line(&out, "# HELP onezone_tokend_auth_failures_total Rejected credentials by reason.");
  Line(&out, "# TYPE onezone_tokend_auth_failures_total counter");
  for (int slot = 0; slot < kCodeSlots; ++slot) {
    uint64_t value = Load(g_counters->auth_failures[slot]);
    if (value == 0) continue;
    Line(&out, "onezone_tokend_auth_failures_total{reason=\"%s\"} %llu",
         ErrorIdOf(static_cast<Code>(slot)),
         static_cast<unsigned long long>(value));
  }
  Line(&out, "# HELP onezone_tokend_redis_errors_total Redis calls that failed (unreachable, timeout or error reply).");
  Line(&out, "# TYPE onezone_tokend_redis_errors_total counter");
  Line(&out, "onezone_tokend_redis_errors_total %llu",
       static_cast<unsigned long long>(Load(g_counters->redis_errors)));
  Line(&out, "# HELP onezone_tokend_password_hashes_total Slow password hashes computed to check basic credentials (unknown users' decoys included).");
  Line(&out, "# TYPE onezone_tokend_password_hashes_total counter");
  Line(&out, "onezone_tokend_password_hashes_total %llu",
       static_cast<unsigned long long>(Load(g_counters->password_hashes)));
  Line(&out, "# HELP onezone_tokend_password_hash_busy_total Requests refused 503 because the pool's password-hash budget was taken.");
  Line(&out, "# TYPE onezone_tokend_password_hash_busy_total counter");
  Line(&out, "onezone_tokend_password_hash_busy_total %llu",
       static_cast<unsigned long long>(Load(g_counters->password_hash_busy)));
  Line(&out, "# HELP onezone_tokend_token_verifications_total Token signatures verified in full to authenticate a request; a token a worker verified before, in any encoding, skips it.");
  Line(&out, "# TYPE onezone_tokend_token_verifications_total counter");
  Line(&out, "onezone_tokend_token_verifications_total %llu",
       static_cast<unsigned long long>(Load(g_counters->token_verifications)));
  Line(&out, "# HELP onezone_tokend_read_cache_hits_total Token and user reads answered from a worker's client-side cache, without a Redis round trip.");
  Line(&out, "# TYPE onezone_tokend_read_cache_hits_total counter");
  Line(&out, "onezone_tokend_read_cache_hits_total %llu",
       static_cast<unsigned long long>(Load(g_counters->read_cache_hits)));
  Line(&out, "# HELP onezone_tokend_read_cache_misses_total Token and user reads the client-side cache could not answer (sent to Redis).");
  Line(&out, "# TYPE onezone_tokend_read_cache_misses_total counter");
  Line(&out, "onezone_tokend_read_cache_misses_total %llu",
       static_cast<unsigned long long>(Load(g_counters->read_cache_misses)));
  Line(&out, "# HELP onezone_tokend_read_cache_invalidations_total Cached reads dropped because Redis said their key changed.");
  Line(&out, "# TYPE onezone_tokend_read_cache_invalidations_total counter");
  Line(&out, "onezone_tokend_read_cache_invalidations_total %llu",
       static_cast<unsigned long long>(Load(g_counters->read_cache_invalidations)));
  Line(&out, "# HELP onezone_tokend_read_cache_flushes_total Times a worker emptied its whole client-side cache (a lost Redis connection, a flush, a reconnection).");
  Line(&out, "# TYPE onezone_tokend_read_cache_flushes_total counter");
  Line(&out, "onezone_tokend_read_cache_flushes_total %llu",
       static_cast<unsigned long long>(Load(g_counters->read_cache_flushes)));
  Line(&out, "# HELP onezone_tokend_fastcgi_connections_total FastCGI connections accepted from nginx; far fewer than requests while nginx keeps them alive.");
  Line(&out, "# TYPE onezone_tokend_fastcgi_connections_total counter");
  Line(&out, "onezone_tokend_fastcgi_connections_total %llu",
       static_cast<unsigned long long>(Load(g_counters->fastcgi_connections)));
  Line(&out, "# HELP onezone_tokend_workers_alive Worker processes running.");
  Line(&out, "# TYPE onezone_tokend_workers_alive gauge");
  Line(&out, "onezone_tokend_workers_alive %lld",
       static_cast<long long>(g_counters->workers_alive.load(std::memory_order_relaxed)));
  return out;
}

}  // namespace tokend
