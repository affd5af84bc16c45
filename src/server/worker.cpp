// The per-process request loop (see worker.h).
#include "tokend/server/worker.h"

#include <fcgiapp.h>
#include <unistd.h>

#include <memory>
#include <utility>

#include "tokend/api/api.h"
#include "tokend/auth/hash_budget.h"
#include "tokend/common/clock.h"
#include "tokend/server/answer.h"
#include "tokend/server/fcgi_adapter.h"
#include "tokend/server/fcgi_connections.h"
#include "tokend/server/hashing_lane.h"
#include "tokend/server/interval_timer.h"
#include "tokend/server/log_batch.h"
#include "tokend/server/worker_pool.h"
#include "tokend/store/redis_client.h"

namespace tokend {

int RunWorker(int listen_fd, const Config& config, const TokenKeys& keys) {
  RedisClient redis(config);
  Api api(config, keys, &redis);
  // Declared before the connections and the lane: its destructor writes
  // what their last answers logged.
  LogBatch log(STDERR_FILENO);
  FcgiConnections connections(listen_fd);
  // Declared after the connections, so it stops (answering every job it
  // holds) before they are closed.
  HashingLane lane(config, keys, &log);
  if (!lane.Start()) return 1;
  connections.WatchWakeups(lane.wakeup_fd(), [&connections, &lane] {
    for (int fd : lane.TakeAnswered()) connections.Resume(fd);
  });
  // Named tokens' last uses go to Redis in batches, also while no request
  // comes (see api/named_token_uses.h).
  IntervalTimer flush_timer(config.named_token_use_flush_seconds);
  if (flush_timer.fd() >= 0) {
    connections.WatchWakeups(flush_timer.fd(), [&flush_timer, &api] {
      flush_timer.Acknowledge();
      api.FlushNamedTokenUses();
    });
  }
  using Disposition = FcgiConnections::Disposition;
  // The request's latency, in the log and the histogram, runs from when the
  // loop learned it was there (`read_at`), here and on the hashing lane.
  auto handle = [&](FCGX_Request* fcgi, RequestClock::time_point read_at) {
    Request request = ReadFcgiRequest(fcgi);
    Outcome outcome = api.Handle(request);
    if (outcome.needs_hashing_lane) {
      auto claim = std::make_unique<HashBudgetClaim>(
          MonotonicMilliseconds() + config.password_hash_wait_ms);
      if (claim->queued()) {
        lane.Submit({fcgi->ipcFd, fcgi, std::move(request), read_at,
                     std::move(claim)});
        return Disposition::kHandedOver;
      }
      outcome.needs_hashing_lane = false;
      outcome.Fail(HashesTooBusy());
    }
    Answer(request, outcome, fcgi, read_at, &log);
    return Disposition::kAnswered;
  };
  // The turn's log lines go out just before the loop waits again.
  auto wait = [&log](int epoll_fd, epoll_event* events, int max_events,
                     int timeout_ms) {
    log.Flush();
    return WorkerWait(epoll_fd, events, max_events, timeout_ms);
  };
  int code = connections.Serve(handle, wait, WorkerStopRequested);
  lane.Stop();
  api.FlushNamedTokenUses();
  return code;
}

}  // namespace tokend
