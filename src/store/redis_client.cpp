// What the stores send to Redis, wherever it is (see redis_client.h).
#include "tokend/store/redis_client.h"

#include <algorithm>

#include "tokend/common/crypto.h"
#include "tokend/store/cluster_client.h"
#include "tokend/store/redis_commands.h"
#include "tokend/store/sentinel.h"
#include "tokend/store/store_keys.h"
#include "tokend/store/tracked_reads.h"

namespace tokend {

namespace {

// Keys looked at per SCAN step.
constexpr char kScanCount[] = "1000";

std::vector<RedisEndpoint> EndpointsOf(const RedisTarget& target) {
  std::vector<RedisEndpoint> endpoints;
  for (const auto& [host, port] : target.hosts) {
    endpoints.push_back(RedisEndpoint{"", host, port});
  }
  return endpoints;
}

// The Status of a pipeline's replies: its first error reply's, else OK.
Status FirstError(const std::vector<RedisReply>& replies) {
  for (const RedisReply& reply : replies) {
    if (reply.type == RedisReply::Type::kError) {
      return RedisErrorStatus(reply.text);
    }
  }
  return Status::Ok();
}

// SCAN over one server, `batch` called per step.
Status ScanServer(RedisConnection* server, const std::string& pattern,
                  const std::function<Status(const std::vector<std::string>&)>&
                      batch) {
  std::string cursor = "0";
  do {
    std::string wire;
    AppendResp({"SCAN", cursor, "MATCH", pattern, "COUNT", kScanCount}, &wire);
    std::vector<RedisReply> reply;
    Status status = server->Exchange(wire, 1, &reply);
    if (!status.ok()) return status;
    if (reply[0].type == RedisReply::Type::kError) {
      return RedisErrorStatus(reply[0].text);
    }
    if (reply[0].elements.size() != 2) {
      return Status(Code::kInternal, "unexpected reply to SCAN");
    }
    cursor = reply[0].elements[0].text;
    std::vector<std::string> keys;
    for (const RedisReply& key : reply[0].elements[1].elements) {
      keys.push_back(key.text);
    }
    if (!keys.empty()) status = batch(keys);
    if (!status.ok()) return status;
  } while (cursor != "0");
  return Status::Ok();
}

}  // namespace

RedisClient::RedisClient(const Config& config) {
  settings_.connect_timeout_ms = config.redis_connect_timeout_ms;
  settings_.command_timeout_ms = config.redis_command_timeout_ms;
  settings_.user = config.redis_user;
  settings_.password = config.redis_password;
  settings_.replicas_ack = config.redis_replicas_ack;
  settings_.replicas_ack_timeout_ms = config.redis_replicas_ack_timeout_ms;
  RedisTarget target;
  std::string error;
  ParseRedisTarget(config.redis, &target, &error);  // checked at config load
  switch (target.kind) {
    case RedisTarget::Kind::kCluster:
      cluster_ = std::make_unique<ClusterClient>(EndpointsOf(target), &settings_,
                                                 config.redis_retry_ms);
      break;
    case RedisTarget::Kind::kSentinel:
      sentinel_ = std::make_unique<SentinelClient>(
          EndpointsOf(target), target.master_name, &settings_,
          config.redis_retry_ms);
      break;
    case RedisTarget::Kind::kSingle:
      single_ = std::make_unique<RedisConnection>(
          target.unix_path.empty()
              ? RedisEndpoint{"", target.hosts.empty() ? "" : target.hosts[0].first,
                              target.hosts.empty() ? 0 : target.hosts[0].second}
              : RedisEndpoint{target.unix_path, "", 0},
          &settings_);
      // Over a unix socket only: there the barrier's PONG comes after the
      // invalidations are in every listener's socket; over TCP to another
      // host (or a tunnel) they may still be on the wire.
      if (config.read_cache_entries > 0 && config.read_cache_bytes > 0 &&
          !target.unix_path.empty()) {
        invalidation_barrier_ = true;
        tracked_ = std::make_unique<TrackedReads>(
            single_->endpoint(), &settings_,
            static_cast<size_t>(config.read_cache_entries),
            static_cast<size_t>(config.read_cache_bytes));
      }
      break;
  }
}

void RedisClient::StopCachingReads() { tracked_.reset(); }

RedisClient::~RedisClient() {
  tracked_.reset();
  single_.reset();
  cluster_.reset();
  sentinel_.reset();
  Wipe(&settings_.password);
}

Status RedisClient::Exchange(const std::vector<RedisCommand>& commands,
                             std::vector<RedisReply>* replies) {
  if (cluster_) return cluster_->Exchange(commands, replies);
  std::string wire;
  bool writes = false;
  bool keys_known = true;  // every key the writes change is in `written`
  std::vector<std::string> written;
  for (const RedisCommand& command : commands) {
    AppendResp(command, &wire);
    // A cached read's marks: no data a client reads, kept from the AOF and
    // the replicas; no replica wait, no barrier.
    if (!MayWrite(command) || TrackedReads::IsMark(command)) continue;
    writes = true;
    if (!invalidation_barrier_ || !keys_known) continue;
    const bool script = command[0] == "EVAL" || command[0] == "EVALSHA";
    if (script && script_changes_ != nullptr) {
      written.insert(written.end(), script_changes_->begin(),
                     script_changes_->end());
    } else {
      keys_known = KeysWritten(command, &written);
    }
  }
  if (sentinel_) return sentinel_->Exchange(wire, commands.size(), writes, replies);
  // Whether a cache may hold a key the writes changed: asked after them in
  // the same round trip. A cache that read the key before the write had
  // marked it before that read, and the mark outlives what the cache keeps
  // (tracked_reads.h); a cache reading it after the write reads the new
  // value.
  const bool barrier_unless_unmarked =
      writes && invalidation_barrier_ && !creating_;
  const bool ask_marks = barrier_unless_unmarked && keys_known && !written.empty();
  size_t count = commands.size();
  if (ask_marks) {
    RedisCommand exists = {"EXISTS"};
    for (const std::string& key : written) exists.push_back(CacheMarkKey(key));
    AppendResp(exists, &wire);
    ++count;
  }
  // A connection kept from an earlier request may have died with a Redis
  // restart; that shows only when it is used, as the peer having closed it.
  // Only that case gets one retry on a fresh connection: a timeout means
  // Redis is alive but slow and may still run the command, so resending
  // could run it twice (and would double the wait).
  Status status =
      ExchangeWithReplicaWait(single_.get(), wire, count, writes, replies);
  if (!status.ok() &&
      single_->failure() == RedisConnection::Failure::kPeerClosed) {
    status = ExchangeWithReplicaWait(single_.get(), wire, count, writes, replies);
  }
  if (!status.ok()) return status;
  bool marked = !keys_known;
  if (ask_marks) {
    const RedisReply& marks = replies->back();
    marked = marks.type != RedisReply::Type::kInteger || marks.integer != 0;
    replies->pop_back();
  }
  if (barrier_unless_unmarked && marked) {
    // Redis queues a write's invalidations and its reply in the same event
    // loop turn and may write the reply out first (without this, the
    // integration test of revocations under caching saw uses right after a
    // revoke's 204 answered 200); it reads this PING only in a later turn,
    // after the invalidations went out. Without its answer that is not
    // known: 503, as for any write whose answer did not come.
    std::string ping;
    AppendResp({"PING"}, &ping);
    std::vector<RedisReply> pong;
    Status barrier = single_->Exchange(ping, 1, &pong);
    if (!barrier.ok()) {
      replies->clear();
      return barrier;
    }
  }
  return status;
}

Status RedisClient::Pipeline(const std::vector<RedisCommand>& commands,
                             std::vector<RedisReply>* replies) {
  if (tracked_ != nullptr && TrackedReads::Cacheable(commands)) {
    if (tracked_->Serve(single_.get(), commands, replies)) {
      return FirstError(*replies);
    }
    if (to_prefetch_.empty()) return TrackedPipeline(commands, replies);
  }
  if (!to_prefetch_.empty()) return PipelineWithPrefetched(commands, replies);
  return UncachedPipeline(commands, replies);
}

Status RedisClient::UncachedPipeline(const std::vector<RedisCommand>& commands,
                                     std::vector<RedisReply>* replies) {
  replies->clear();
  if (commands.empty()) return Status::Ok();
  Status status = Exchange(commands, replies);
  if (!status.ok()) {
    replies->clear();
    return status;
  }
  return FirstError(*replies);
}

Status RedisClient::TrackedPipeline(const std::vector<RedisCommand>& commands,
                                    std::vector<RedisReply>* replies) {
  if (!tracked_->Prepare(single_.get())) {
    return UncachedPipeline(commands, replies);
  }
  std::vector<RedisReply> marked_replies;
  Status status = Exchange(TrackedReads::Marked(commands), &marked_replies);
  if (!status.ok()) {
    replies->clear();
    return status;
  }
  tracked_->Remember(single_.get(), commands, &marked_replies, replies);
  if (replies->size() != commands.size()) {
    replies->clear();
    return Status(Code::kInternal, "Redis answered a cached read oddly");
  }
  return FirstError(*replies);
}

Status RedisClient::PipelineWithPrefetched(
    const std::vector<RedisCommand>& commands, std::vector<RedisReply>* replies) {
  std::vector<RedisCommand> extra;
  for (RedisCommand& command : to_prefetch_) {
    // One the caller sends itself goes once: its reply is the caller's
    // (a basic-auth list whose user came from the read cache ran its
    // ZRANGE twice).
    if (std::find(commands.begin(), commands.end(), command) == commands.end()) {
      extra.push_back(std::move(command));
    }
  }
  to_prefetch_.clear();
  if (extra.empty()) return Pipeline(commands, replies);
  std::vector<RedisCommand> all = commands;
  for (const RedisCommand& command : extra) {
    all.push_back(command[0] == "EVAL" ? ByHash(command) : command);
  }
  Status status = Pipeline(all, replies);
  if (replies->size() != all.size()) return status;  // no answer at all
  for (size_t i = 0; i < extra.size(); ++i) {
    RedisReply& reply = (*replies)[commands.size() + i];
    if (reply.type != RedisReply::Type::kError) {
      prefetched_.emplace_back(std::move(extra[i]), std::move(reply));
    }
  }
  replies->resize(commands.size());
  // Only an error of the caller's own commands is the caller's business.
  return FirstError(*replies);
}

void RedisClient::Prefetch(RedisCommand command) {
  if (!command.empty()) to_prefetch_.push_back(std::move(command));
}

void RedisClient::DropPrefetched() {
  to_prefetch_.clear();
  prefetched_.clear();
}

RedisCommand RedisClient::ByHash(const RedisCommand& eval) {
  // Scripts go by their SHA1 (EVALSHA), so Redis neither receives nor
  // hashes the script text on every call; the text follows only when
  // Redis does not know the script yet (first use, after a restart, or on
  // a cluster node or new primary that has not run it yet).
  RedisCommand by_hash = eval;
  by_hash[0] = "EVALSHA";
  by_hash[1] = ScriptSha1(eval[1]);
  return by_hash;
}

Status RedisClient::Run(const RedisCommand& command, RedisReply* reply) {
  for (auto it = prefetched_.begin(); it != prefetched_.end(); ++it) {
    if (it->first == command) {
      *reply = std::move(it->second);
      prefetched_.erase(it);
      return Status::Ok();
    }
  }
  std::vector<RedisReply> replies;
  Status status;
  if (command.size() >= 2 && command[0] == "EVAL") {
    status = Pipeline({ByHash(command)}, &replies);
    if (!replies.empty() && replies[0].IsError("NOSCRIPT")) {
      status = Pipeline({command}, &replies);
    }
  } else {
    status = Pipeline({command}, &replies);
  }
  if (!status.ok()) return status;
  *reply = std::move(replies[0]);
  return Status::Ok();
}

Status RedisClient::RunCreating(const RedisCommand& command,
                                RedisReply* reply) {
  creating_ = true;
  Status status = Run(command, reply);
  creating_ = false;
  return status;
}

Status RedisClient::RunChanging(const RedisCommand& command,
                                const std::vector<std::string>& changed,
                                RedisReply* reply) {
  script_changes_ = &changed;
  Status status = Run(command, reply);
  script_changes_ = nullptr;
  return status;
}

const std::string& RedisClient::ScriptSha1(const std::string& script) {
  std::string& sha1 = script_sha1_[script];
  if (sha1.empty()) sha1 = Sha1Hex(script);
  return sha1;
}

Status RedisClient::Transaction(const std::vector<RedisCommand>& commands,
                                std::vector<RedisReply>* replies) {
  std::vector<RedisCommand> wrapped;
  wrapped.reserve(commands.size() + 2);
  wrapped.push_back({"MULTI"});
  wrapped.insert(wrapped.end(), commands.begin(), commands.end());
  wrapped.push_back({"EXEC"});
  std::vector<RedisReply> raw;
  Status status = Pipeline(wrapped, &raw);
  replies->clear();
  if (!status.ok()) return status;
  RedisReply& exec = raw.back();
  if (exec.type != RedisReply::Type::kArray ||
      exec.elements.size() != commands.size()) {
    return Status(Code::kInternal, "Redis transaction was aborted");
  }
  *replies = std::move(exec.elements);
  return FirstError(*replies);
}

Status RedisClient::ScanKeys(
    const std::string& pattern,
    const std::function<Status(const std::vector<std::string>&)>& batch) {
  if (cluster_) {
    return cluster_->ForEachPrimary([&](RedisConnection* primary) {
      return ScanServer(primary, pattern, batch);
    });
  }
  RedisConnection* server = sentinel_ ? sentinel_->Primary() : single_.get();
  if (server == nullptr) return RedisUnavailable();
  return ScanServer(server, pattern, batch);
}

}  // namespace tokend
