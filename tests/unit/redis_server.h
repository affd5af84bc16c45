// A redis-server of a unit test's own: a child process on a unix socket in
// a temporary directory (no TCP port, no persistence), stopped by pid.
// Shared by the unit tests that need a real Redis. It can also be a Redis
// Cluster node holding every slot, and one such node can serve a whole
// test run (SharedClusterNode).
#pragma once

#include <cppunit/extensions/HelperMacros.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "temporary_directory.h"
#include "tokend/common/config.h"
#include "tokend/store/redis_client.h"

namespace tokend {
namespace test {

// Whether a loopback TCP port is free right now.
inline bool PortFree(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  const bool free =
      bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return free;
}

// A port for a cluster node: free, and its cluster bus port (10000 above,
// so at most 55535) free too (the kernel's own picks run past that); none
// of `taken` nor their bus ports (nodes of one cluster not started yet).
inline int FreeClusterPort(const std::vector<int>& taken = {}) {
  const int start = static_cast<int>(getpid() % 25000);
  for (int offset = 0; offset < 25000; ++offset) {
    const int port = 20000 + (start + offset) % 25000;
    bool used = false;
    for (int other : taken) used = used || other == port || other + 10000 == port;
    if (!used && PortFree(port) && PortFree(port + 10000)) return port;
  }
  CPPUNIT_FAIL("no free port pair for a cluster node");
  return 0;
}

// One redis-server child process on a unix socket.
class RedisServer {
 public:
  ~RedisServer() { Stop(); }

  // Starts the server with `extra_args` (more config, e.g. ACL users) and
  // waits until it answers PING, logged in as `user` with `password` when
  // given (at most 5 s).
  void Start(const std::string& dir,
             const std::vector<std::string>& extra_args = {},
             const std::string& user = "", const std::string& password = "") {
    socket_ = dir + "/redis.sock";
    std::vector<std::string> args = {"redis-server",
                                     "--port",
                                     "0",
                                     "--unixsocket",
                                     socket_,
                                     "--unixsocketperm",
                                     "700",
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no",
                                     "--daemonize",
                                     "no",
                                     "--dir",
                                     dir,
                                     "--logfile",
                                     dir + "/redis.log",
                                     "--enable-debug-command",
                                     "yes"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    const pid_t parent = getpid();
    pid_ = fork();
    CPPUNIT_ASSERT(pid_ >= 0);
    if (pid_ == 0) {
      // Dies with the test run, whatever happens to it.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      signal(SIGPIPE, SIG_DFL);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    RedisClient probe(ProbeConfig(user, password));
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < 5.0) {
      RedisReply reply;
      if (probe.Run({"PING"}, &reply).ok() && reply.text == "PONG") return;
      int wstatus = 0;
      if (waitpid(pid_, &wstatus, WNOHANG) == pid_) {
        pid_ = -1;
        CPPUNIT_FAIL("redis-server exited at start; see " + dir + "/redis.log");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CPPUNIT_FAIL("redis-server did not answer on " + socket_ + " within 5 s");
  }

  // Starts the server as a Redis Cluster node that holds every hash slot,
  // listening on a loopback port too (a node needs one, FreeClusterPort),
  // and waits until the cluster serves: a node waits about 2 s after its
  // start before it does (at most 10 s). Such a node refuses any script,
  // transaction or multi-key command whose keys hash to two slots.
  void StartClusterNode(const std::string& dir) {
    const int port = FreeClusterPort();
    Start(dir, {"--port", std::to_string(port), "--bind", "127.0.0.1",
                "--cluster-enabled", "yes", "--cluster-config-file",
                dir + "/nodes.conf"});
    RedisClient node(ProbeConfig("", ""));
    RedisReply reply;
    CPPUNIT_ASSERT(
        node.Run({"CLUSTER", "ADDSLOTSRANGE", "0", "16383"}, &reply).ok());
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < 10.0) {
      if (node.Run({"CLUSTER", "INFO"}, &reply).ok() &&
          reply.text.find("cluster_state:ok") != std::string::npos) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CPPUNIT_FAIL("the cluster node on " + socket_ + " did not serve within 10 s");
  }

  // Stops the server (SIGTERM, SIGKILL after 2 s) and reaps it.
  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    const auto start = std::chrono::steady_clock::now();
    int wstatus = 0;
    while (waitpid(pid_, &wstatus, WNOHANG) == 0) {
      if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > 2.0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &wstatus, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
  }

  const std::string& socket() const { return socket_; }
  // The server's process (-1 when stopped): tests pause it with SIGSTOP.
  pid_t pid() const { return pid_; }

 private:
  Config ProbeConfig(const std::string& user, const std::string& password) {
    Config config;
    config.redis = "unix:" + socket_;
    config.redis_connect_timeout_ms = 200;
    config.redis_command_timeout_ms = 500;
    config.redis_user = user;
    config.redis_password = password;
    return config;
  }

  pid_t pid_ = -1;
  std::string socket_;
};

// One cluster node (StartClusterNode) for the whole test run, since a node
// takes about 2 s to serve: started on first use, stopped and its folder
// removed at exit. Each test empties it first (FLUSHALL).
inline RedisServer& SharedClusterNode() {
  struct Node {
    TemporaryDirectory dir;  // declared first: goes after the server stops
    RedisServer server;
    Node() { server.StartClusterNode(dir.Create("tokend-cluster-node")); }
  };
  static Node node;
  return node.server;
}

}  // namespace test
}  // namespace tokend
