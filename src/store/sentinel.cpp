// The primary Redis Sentinel names, followed through failovers (see
// sentinel.h).
#include "tokend/store/sentinel.h"

#include <algorithm>
#include <thread>

#include "tokend/common/text.h"

namespace tokend {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kFirstWait(5);
constexpr std::chrono::milliseconds kLongestWait(200);

// A primary demoted to a replica refuses writes with READONLY; nothing of
// the pipeline that got it needs to have run on the right server.
bool AnyDemotedReply(const std::vector<RedisReply>& replies) {
  return std::any_of(replies.begin(), replies.end(), [](const RedisReply& r) {
    return r.IsError("READONLY");
  });
}

}  // namespace

SentinelClient::SentinelClient(std::vector<RedisEndpoint> sentinels,
                               std::string master_name, RedisSettings* settings,
                               int retry_ms)
    : sentinels_(std::move(sentinels)),
      master_name_(std::move(master_name)),
      settings_(settings),
      retry_time_(retry_ms) {
  sentinel_settings_.connect_timeout_ms = settings->connect_timeout_ms;
  sentinel_settings_.command_timeout_ms = settings->command_timeout_ms;
  for (const RedisEndpoint& sentinel : sentinels_) {
    sentinel_connections_.push_back(
        std::make_unique<RedisConnection>(sentinel, &sentinel_settings_));
  }
}

Status SentinelClient::FindPrimary() {
  primary_.reset();
  std::string wire;
  AppendResp({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", master_name_}, &wire);
  for (std::unique_ptr<RedisConnection>& sentinel : sentinel_connections_) {
    std::vector<RedisReply> reply;
    if (!sentinel->Exchange(wire, 1, &reply).ok()) continue;
    const RedisReply& address = reply[0];
    if (address.type != RedisReply::Type::kArray ||
        address.elements.size() != 2) {
      continue;  // this sentinel does not know the name (or is not one)
    }
    int64_t port = 0;
    if (address.elements[0].text.empty() ||
        !ParseDecimal(address.elements[1].text, &port) || port <= 0 ||
        port > 65535) {
      continue;
    }
    primary_ = std::make_unique<RedisConnection>(
        RedisEndpoint{"", address.elements[0].text, static_cast<int>(port)},
        settings_);
    return Status::Ok();
  }
  return RedisUnavailable();
}

RedisConnection* SentinelClient::Primary() {
  if (!primary_) FindPrimary();
  return primary_.get();
}

Status SentinelClient::Exchange(const std::string& wire, size_t count,
                                bool writes, std::vector<RedisReply>* replies) {
  const Clock::time_point deadline = Clock::now() + retry_time_;
  std::chrono::milliseconds wait = kFirstWait;
  while (true) {
    if (Primary() != nullptr) {
      Status status =
          ExchangeWithReplicaWait(primary_.get(), wire, count, writes, replies);
      if (status.ok()) {
        if (!AnyDemotedReply(*replies)) return status;
      } else if (primary_->connected() ||
                 primary_->failure() == RedisConnection::Failure::kOther) {
        // Replicas that did not confirm, or a timeout: the commands ran, or
        // may have; never twice.
        return status;
      }
      primary_.reset();  // down, restarted or demoted: ask again
    }
    const Clock::time_point now = Clock::now();
    if (now >= deadline) {
      replies->clear();
      return RedisUnavailable();
    }
    std::this_thread::sleep_for(std::min<Clock::duration>(wait, deadline - now));
    wait = std::min(wait * 2, kLongestWait);
  }
}

}  // namespace tokend
