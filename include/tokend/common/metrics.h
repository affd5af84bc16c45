// Metrics: counters shared by the daemon's parent and all of its workers,
// rendered in the Prometheus text format by whichever worker serves
// GET /metrics. They live in one anonymous shared mapping made before the
// workers are forked, updated with lock-free atomics, so no worker waits on
// another and a worker that dies loses nothing already counted.
//
// Without InitSharedMetrics (unit tests, the admin tool) the counters are
// process-local. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokend/common/status.h"

namespace tokend {

// Call once in the parent before forking; false if the mapping fails (the
// counters then stay process-local).
bool InitSharedMetrics();

// Routes counted apart; requests of a route numbered beyond count as route 0.
constexpr int kMaxRoutes = 64;

// `route_index` is the route's number (Router::Match::route, 0 for none);
// `status` an HTTP status.
void CountRequest(int route_index, int status, double seconds);
void CountTokenCreated();
void CountTokenRevoked();
void CountAuthFailure(Code reason);
void CountRedisError();
// One slow password hash computed to check a password (a real user's or the
// decoy of an unknown one).
void CountPasswordHash();
// A request refused 503 because the pool's password-hash budget was taken
// (its queue full, or its wait over).
void CountPasswordHashBusy();
// A token's signature chain computed to authenticate a request: one a
// worker has not verified before in any encoding (see VerifiedTokenCache).
void CountTokenVerification();
// A FastCGI connection accepted from nginx (kept for many requests).
// Client-side caching of Redis reads (store/tracked_reads.h): a token or
// user read answered from the worker's cache, one that went to Redis, a
// cached read dropped because Redis said its key changed, and the whole
// cache emptied (a lost connection, a flush, a reconnection).
void CountReadCacheHit();
void CountReadCacheMiss();
void CountReadCacheInvalidation(uint64_t reads);
void CountReadCacheFlush();
void CountFastcgiConnection();
void SetWorkersAlive(int workers);

// The Prometheus text of every counter; requests are labelled with
// `route_names[route number]`.
std::string RenderMetrics(const std::vector<std::string>& route_names);

}  // namespace tokend
