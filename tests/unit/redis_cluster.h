// A Redis Cluster of a unit test's own: `count` cluster-enabled
// redis-server children on loopback ports (each with its unix socket for
// direct calls), the slots split evenly between them, joined with CLUSTER
// MEET. No replicas; stopped by pid, their folder removed.
#pragma once

#include <cppunit/extensions/HelperMacros.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "redis_server.h"
#include "tokend/store/key_slot.h"
#include "tokend/store/redis_client.h"

namespace tokend {
namespace test {

class LocalCluster {
 public:
  ~LocalCluster() { Stop(); }

  void Stop() {
    nodes_.clear();
    for (auto& server : servers_) server->Stop();
    servers_.clear();
    dir_.Remove();
  }

  void Start(int count) {
    dir_.Create("tokend-cluster");
    for (int i = 0; i < count; ++i) {
      const std::string node_dir = dir_.path() + "/" + std::to_string(i);
      std::filesystem::create_directory(node_dir);
      const int port = FreeClusterPort(ports_);
      ports_.push_back(port);
      servers_.push_back(std::make_unique<RedisServer>());
      servers_.back()->Start(
          node_dir, {"--port", std::to_string(port), "--bind", "127.0.0.1",
                     "--cluster-enabled", "yes", "--cluster-config-file",
                     node_dir + "/nodes.conf", "--cluster-node-timeout", "2000",
                     "--cluster-require-full-coverage", "no"});
      Config config;
      config.redis = "unix:" + servers_.back()->socket();
      nodes_.push_back(std::make_unique<RedisClient>(config));
    }
    for (int i = 0; i < count; ++i) {
      const int first = i * kClusterSlots / count;
      const int last = (i + 1) * kClusterSlots / count - 1;
      Call(i, {"CLUSTER", "ADDSLOTSRANGE", std::to_string(first),
               std::to_string(last)});
      if (i > 0) Call(i, {"CLUSTER", "MEET", "127.0.0.1", std::to_string(ports_[0])});
    }
    WaitUntilEveryNodeSeesEverySlot();
  }

  // Waits (at most 20 s) until every node maps every slot and says the
  // cluster is up.
  void WaitUntilEveryNodeSeesEverySlot() {
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < std::chrono::seconds(20)) {
      bool agreed = true;
      for (size_t i = 0; i < nodes_.size() && agreed; ++i) {
        RedisReply slots;
        RedisReply info;
        agreed = nodes_[i]->Run({"CLUSTER", "SLOTS"}, &slots).ok() &&
                 CoveredSlots(slots) == kClusterSlots &&
                 slots.elements.size() >= nodes_.size() &&
                 nodes_[i]->Run({"CLUSTER", "INFO"}, &info).ok() &&
                 info.text.find("cluster_state:ok") != std::string::npos;
      }
      if (agreed) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CPPUNIT_FAIL("the local cluster did not agree on its slots within 20 s");
  }

  RedisReply Call(int node, const RedisCommand& command) {
    RedisReply reply;
    Status status = nodes_[node]->Run(command, &reply);
    CPPUNIT_ASSERT_MESSAGE(command[0] + " " + (command.size() > 1 ? command[1] : "") +
                               ": " + status.description(),
                           status.ok());
    return reply;
  }

  std::string Id(int node) { return Call(node, {"CLUSTER", "MYID"}).text; }
  int port(int node) const { return ports_[node]; }
  int size() const { return static_cast<int>(ports_.size()); }
  // The node serving `slot` at the start (the even split).
  int NodeOfSlot(int slot) const {
    return slot * size() / kClusterSlots;
  }
  // A key of this test's (prefix `prefix`) whose slot the node serves.
  std::string KeyOnNode(int node, const std::string& prefix, int skip = 0) const {
    for (int i = 0;; ++i) {
      std::string key = prefix + std::to_string(i);
      if (NodeOfSlot(KeySlot(key)) == node && skip-- == 0) return key;
    }
  }
  // `cluster://127.0.0.1:p,...` with the first `seeds` nodes.
  std::string Seeds(int seeds) const {
    std::string text = "cluster://";
    for (int i = 0; i < seeds; ++i) {
      text += (i > 0 ? "," : "") + std::string("127.0.0.1:") + std::to_string(ports_[i]);
    }
    return text;
  }
  void StopNode(int node) { servers_[node]->Stop(); }

 private:
  static int CoveredSlots(const RedisReply& slots) {
    int covered = 0;
    for (const RedisReply& range : slots.elements) {
      if (range.elements.size() >= 3) {
        covered += static_cast<int>(range.elements[1].integer -
                                    range.elements[0].integer + 1);
      }
    }
    return covered;
  }

  TemporaryDirectory dir_;
  std::vector<int> ports_;
  std::vector<std::unique_ptr<RedisServer>> servers_;
  std::vector<std::unique_ptr<RedisClient>> nodes_;
};

}  // namespace test
}  // namespace tokend
