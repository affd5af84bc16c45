// Pipelines routed over a Redis Cluster's primaries (see cluster_client.h).
#include "tokend/store/cluster_client.h"

#include <strings.h>

#include <algorithm>
#include <thread>

#include "tokend/store/command_slot.h"

namespace tokend {

namespace {

using Clock = std::chrono::steady_clock;

// Tries of one pipeline: MOVED and ASK are retried at once, so this also
// ends a redirect loop between nodes that disagree.
constexpr int kMaxTries = 16;
// The first and the longest wait between tries that wait.
constexpr std::chrono::milliseconds kFirstWait(5);
constexpr std::chrono::milliseconds kLongestWait(200);

bool IsCommand(const RedisCommand& command, const char* name) {
  return !command.empty() && strcasecmp(command[0].c_str(), name) == 0;
}

RedisEndpoint EndpointOf(const ClusterNode& node) {
  return RedisEndpoint{"", node.host, node.port};
}

// Replies that say the command did not run here and now, and why.
bool IsBusy(const RedisReply& reply) {
  return reply.IsError("TRYAGAIN") || reply.IsError("CLUSTERDOWN") ||
         reply.IsError("LOADING");
}

}  // namespace

// Commands that go to one node together: one command, or a MULTI ... EXEC
// block (the cluster runs a transaction on one node only).
struct ClusterClient::Unit {
  size_t begin = 0;
  size_t end = 0;
  int slot = -1;  // -1: no key anywhere in the pipeline
  RedisEndpoint ask;  // set by ASK: the next try goes there, after ASKING
  bool asking = false;  // this try was sent after ASKING
  bool done = false;
};

// The units one try sends to one node.
struct ClusterClient::Group {
  RedisConnection* connection = nullptr;
  std::vector<Unit*> units;
  std::string wire;
  size_t reply_count = 0;
  bool answered = false;
  std::vector<RedisReply> replies;
};

namespace {

// Splits a pipeline into units; a unit without a key takes the slot of the
// unit before it (or, at the start, of the first one after it that has
// one).
template <typename Unit>
std::vector<Unit> SplitIntoUnits(const std::vector<RedisCommand>& commands) {
  std::vector<Unit> units;
  for (size_t i = 0; i < commands.size();) {
    Unit unit;
    unit.begin = i;
    size_t end = i + 1;
    if (IsCommand(commands[i], "MULTI")) {
      while (end < commands.size() && !IsCommand(commands[end - 1], "EXEC") &&
             !IsCommand(commands[end - 1], "DISCARD")) {
        ++end;
      }
    }
    unit.end = end;
    for (size_t j = unit.begin; j < unit.end && unit.slot < 0; ++j) {
      unit.slot = CommandSlot(commands[j]);
    }
    units.push_back(unit);
    i = end;
  }
  int last = -1;
  for (Unit& unit : units) {
    if (unit.slot < 0) unit.slot = last;
    last = unit.slot;
  }
  for (auto it = units.rbegin(); it != units.rend(); ++it) {
    if (it->slot < 0) it->slot = last;
    last = it->slot;
  }
  return units;
}

}  // namespace

ClusterClient::ClusterClient(std::vector<RedisEndpoint> seeds,
                             RedisSettings* settings, int retry_ms)
    : seeds_(std::move(seeds)), settings_(settings), retry_time_(retry_ms) {}

RedisConnection* ClusterClient::ConnectionTo(const RedisEndpoint& endpoint) {
  std::unique_ptr<RedisConnection>& connection = connections_[endpoint.Name()];
  if (!connection) {
    connection = std::make_unique<RedisConnection>(endpoint, settings_);
  }
  return connection.get();
}

bool ClusterClient::Route(Unit* unit, const RedisEndpoint* near,
                          RedisEndpoint* target) {
  unit->asking = !unit->ask.host.empty();
  if (unit->asking) {
    *target = unit->ask;
    unit->ask = RedisEndpoint{};
    return true;
  }
  if (unit->slot < 0) {
    // No key at all: any node will do; the last one used, else a primary.
    if (near != nullptr) {
      *target = *near;
    } else if (!map_.primaries().empty()) {
      *target = EndpointOf(map_.primaries().front());
    } else {
      *target = seeds_.front();
    }
    return true;
  }
  const ClusterNode* primary = map_.PrimaryFor(unit->slot);
  if (primary == nullptr) return false;  // a hole: nobody serves it now
  *target = EndpointOf(*primary);
  return true;
}

ClusterClient::Outcome ClusterClient::Settle(
    Unit* unit, std::vector<RedisReply>* unit_replies) {
  for (const RedisReply& reply : *unit_replies) {
    if (reply.IsError("MOVED")) {
      map_.ApplyMoved(reply.text);
      map_stale_ = true;
      return Outcome::kRetryNow;
    }
    if (reply.IsError("ASK")) {
      std::string kind;
      int slot = 0;
      ClusterNode node;
      if (!ParseRedirect(reply.text, &kind, &slot, &node)) {
        return Outcome::kGiveUp;
      }
      unit->ask = EndpointOf(node);
      return Outcome::kRetryNow;
    }
    if (IsBusy(reply)) return Outcome::kRetryLater;
  }
  return Outcome::kDone;
}

Status ClusterClient::Exchange(const std::vector<RedisCommand>& commands,
                               std::vector<RedisReply>* replies) {
  replies->assign(commands.size(), RedisReply{});
  if (commands.empty()) return Status::Ok();
  if (seeds_.empty()) return RedisUnavailable();
  if (map_stale_ ||
      Clock::now() - map_read_at_ > std::chrono::seconds(kSlotMapRefreshSeconds)) {
    RefreshSlotMap();  // a failure shows below, as a slot with no primary
  }
  std::vector<Unit> units = SplitIntoUnits<Unit>(commands);
  const Clock::time_point deadline = Clock::now() + retry_time_;
  std::chrono::milliseconds wait = kFirstWait;
  for (int attempt = 1;; ++attempt) {
    bool wait_first = false;
    std::vector<Group> groups;
    const RedisEndpoint* near = nullptr;
    RedisEndpoint target;
    for (Unit& unit : units) {
      if (unit.done) continue;
      if (!Route(&unit, near, &target)) {
        wait_first = true;
        map_stale_ = true;
        continue;
      }
      RedisConnection* connection = ConnectionTo(target);
      near = &connection->endpoint();
      auto group = std::find_if(groups.begin(), groups.end(), [&](const Group& g) {
        return g.connection == connection;
      });
      if (group == groups.end()) {
        groups.push_back(Group{});
        group = groups.end() - 1;
        group->connection = connection;
      }
      group->units.push_back(&unit);
      if (unit.asking) {
        AppendResp({"ASKING"}, &group->wire);
        ++group->reply_count;
      }
      for (size_t i = unit.begin; i < unit.end; ++i) {
        AppendResp(commands[i], &group->wire);
      }
      group->reply_count += unit.end - unit.begin;
    }
    // Out to every node first, then every answer.
    for (Group& group : groups) group.answered = group.connection->Send(group.wire).ok();
    for (Group& group : groups) {
      if (group.answered) {
        group.answered =
            group.connection->Receive(group.reply_count, &group.replies).ok();
      }
    }
    for (Group& group : groups) {
      if (!group.answered) {
        // A timeout or a broken stream after sending: the commands may
        // have run; running them again could run them twice.
        if (group.connection->failure() == RedisConnection::Failure::kOther) {
          return RedisUnavailable();
        }
        wait_first = true;  // the node is down, or restarted: ask the map
        map_stale_ = true;
        continue;
      }
      size_t next = 0;
      for (Unit* unit : group.units) {
        if (unit->asking) ++next;  // ASKING's OK
        std::vector<RedisReply> unit_replies(
            std::make_move_iterator(group.replies.begin() + next),
            std::make_move_iterator(group.replies.begin() + next +
                                    (unit->end - unit->begin)));
        next += unit->end - unit->begin;
        switch (Settle(unit, &unit_replies)) {
          case Outcome::kDone:
            std::move(unit_replies.begin(), unit_replies.end(),
                      replies->begin() + unit->begin);
            unit->done = true;
            break;
          case Outcome::kRetryNow:
            break;
          case Outcome::kRetryLater:
            wait_first = true;
            break;
          case Outcome::kGiveUp:
            return RedisUnavailable();
        }
      }
    }
    if (std::all_of(units.begin(), units.end(),
                    [](const Unit& unit) { return unit.done; })) {
      return Status::Ok();
    }
    const Clock::time_point now = Clock::now();
    if (attempt >= kMaxTries || now >= deadline) return RedisUnavailable();
    if (wait_first) {
      std::this_thread::sleep_for(std::min<Clock::duration>(wait, deadline - now));
      wait = std::min(wait * 2, kLongestWait);
    }
    if (map_stale_) RefreshSlotMap();
  }
}

Status ClusterClient::RefreshSlotMap() {
  std::vector<RedisEndpoint> candidates;
  auto add = [&candidates](const RedisEndpoint& endpoint) {
    if (std::find(candidates.begin(), candidates.end(), endpoint) ==
        candidates.end()) {
      candidates.push_back(endpoint);
    }
  };
  for (const ClusterNode& node : map_.primaries()) add(EndpointOf(node));
  for (const RedisEndpoint& seed : seeds_) add(seed);
  std::string wire;
  AppendResp({"CLUSTER", "SLOTS"}, &wire);
  SlotMap best;
  int best_holes = kClusterSlots + 1;
  for (const RedisEndpoint& candidate : candidates) {
    std::vector<RedisReply> reply;
    if (!ConnectionTo(candidate)->Exchange(wire, 1, &reply).ok() ||
        reply[0].type != RedisReply::Type::kArray) {
      continue;
    }
    SlotMap map;
    if (!map.Load(reply[0], candidate.host).ok()) continue;
    const int holes = map.holes();
    if (holes < best_holes) {
      best = std::move(map);
      best_holes = holes;
    }
    if (holes == 0) break;
  }
  if (best_holes > kClusterSlots) {
    map_stale_ = true;
    return RedisUnavailable();
  }
  map_ = std::move(best);
  map_stale_ = best_holes > 0;
  map_read_at_ = Clock::now();
  DropConnectionsNotInMap();
  return Status::Ok();
}

void ClusterClient::DropConnectionsNotInMap() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    const RedisEndpoint& endpoint = it->second->endpoint();
    const bool primary =
        std::any_of(map_.primaries().begin(), map_.primaries().end(),
                    [&](const ClusterNode& node) {
                      return EndpointOf(node) == endpoint;
                    });
    it = primary ? std::next(it) : connections_.erase(it);
  }
}

Status ClusterClient::ForEachPrimary(
    const std::function<Status(RedisConnection*)>& visit) {
  if (map_stale_ || map_.primaries().empty()) {
    Status status = RefreshSlotMap();
    if (!status.ok()) return status;
  }
  if (map_.holes() > 0) return RedisUnavailable();  // some keys out of reach
  const std::vector<ClusterNode> primaries = map_.primaries();
  for (const ClusterNode& node : primaries) {
    Status status = visit(ConnectionTo(EndpointOf(node)));
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

}  // namespace tokend
