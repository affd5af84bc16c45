// onezone-tokend: the daemon. Wires things only: flags, config, master
// secret, socket, pool.
#include <cstdio>
#include <cstring>
#include <string>

#include "tokend/auth/hash_budget.h"
#include "tokend/auth/password_cache.h"
#include "tokend/auth/password_hash.h"
#include "tokend/common/config.h"
#include "tokend/common/metrics.h"
#include "tokend/server/worker.h"
#include "tokend/server/worker_pool.h"
#include "tokend/token/token_keys.h"

namespace {

int Usage() {
  std::fprintf(stderr, "usage: onezone-tokend --config PATH [--check-config]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      config_path = argv[++i];
    } else if (std::strcmp(argv[i], "--check-config") == 0) {
      check_only = true;
    } else {
      return Usage();
    }
  }
  if (config_path.empty()) return Usage();

  setvbuf(stderr, nullptr, _IOLBF, 0);  // whole log lines, never interleaved
  tokend::Config config;
  tokend::Status status = tokend::LoadConfig(config_path, &config);
  if (!status.ok()) {
    std::fprintf(stderr, "onezone-tokend: %s\n", status.description().c_str());
    return 1;
  }
  if (check_only) {
    std::fprintf(stderr, "onezone-tokend: %s is valid\n", config_path.c_str());
    return 0;
  }
  tokend::SecretKey master;
  status = tokend::LoadOrCreateMasterSecret(config.master_secret_file, &master);
  if (!status.ok()) {
    std::fprintf(stderr, "onezone-tokend: %s\n", status.description().c_str());
    return 1;
  }
  tokend::TokenKeys keys(master);
  if (!tokend::InitSharedMetrics()) {
    std::fprintf(stderr, "onezone-tokend: shared metrics unavailable; "
                         "each worker will count on its own\n");
  }
  if (!tokend::InitSharedHashBudget()) {
    std::fprintf(stderr, "onezone-tokend: shared password-hash budget "
                         "unavailable; each worker will keep one of its own\n");
  }
  tokend::SetHashBudgetLimits(config.password_hash_concurrency,
                              config.password_hash_queue);
  if (!tokend::InitSharedPasswordCache()) {
    std::fprintf(stderr, "onezone-tokend: shared password cache unavailable; "
                         "each worker will remember passwords on its own\n");
  }
  if (config.read_cache_entries > 0 && config.read_cache_bytes > 0) {
    tokend::RedisTarget target;
    std::string error;
    tokend::ParseRedisTarget(config.redis, &target, &error);
    if (target.kind != tokend::RedisTarget::Kind::kSingle) {
      // Tracking is per server; following a cluster's nodes or Sentinel's
      // failovers with invalidation connections is not built yet.
      std::fprintf(stderr, "onezone-tokend: read cache off: client-side "
                           "caching works with a single Redis only, not "
                           "with Redis Cluster or Sentinel\n");
    } else if (target.unix_path.empty()) {
      // Over TCP an invalidation may still be on the wire when a write's
      // answer arrives (README, Client-side caching).
      std::fprintf(stderr, "onezone-tokend: read cache off: client-side "
                           "caching needs Redis on a unix socket\n");
    }
  }
  int listen_fd = tokend::OpenListenSocket(config, &status);
  if (listen_fd < 0) {
    std::fprintf(stderr, "onezone-tokend: %s\n", status.description().c_str());
    return 1;
  }
  // Made here, before forking, so no worker pays the slow hash at start
  // (a reload would otherwise stall while the new workers hash).
  tokend::DecoyPasswordHash(tokend::PasswordHashParamsOf(config));
  tokend::WorkerPoolHooks hooks;
  hooks.reload_config = [&config_path](tokend::Config* next) {
    *next = tokend::Config();
    tokend::Status loaded = tokend::LoadConfig(config_path, next);
    if (loaded.ok()) {
      tokend::DecoyPasswordHash(tokend::PasswordHashParamsOf(*next));
      tokend::SetHashBudgetLimits(next->password_hash_concurrency,
                                  next->password_hash_queue);
    }
    return loaded;
  };
  hooks.worker_exited = tokend::ReleaseHashBudgetOf;
  hooks.worker_main = [&keys](int fd, const tokend::Config& worker_config) {
    return tokend::RunWorker(fd, worker_config, keys);
  };
  return tokend::RunWorkerPool(config, listen_fd, hooks);
}
