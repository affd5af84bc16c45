// FcgiConnections: one worker process's FastCGI connections. nginx keeps
// its connections to the pool open between requests (`fastcgi_keep_conn on`
// with an upstream `keepalive` cache), so a worker holds many connections at
// once and serves whichever has a request, instead of accepting, serving and
// closing one connection per request as a plain libfcgi accept loop does.
// libfcgi still parses and writes every record: each connection has its own
// FCGX_Request, and this class only decides which one to read next.
//
// A connection nginx opened without FCGI_KEEP_CONN is closed after its one
// request, so the loop serves nginx configured either way.
//
// Stopping: once `stop_requested`, the worker stops accepting (another
// worker, or the next set after a reload, takes new connections), answers at
// most one more request on each connection it holds and closes it after that
// answer, and leaves once nginx has closed the rest or after
// kRetireSeconds. nginx closes idle upstream connections after its own
// `keepalive_timeout`, shorter than that, so no connection is closed under a
// request nginx has just sent.
#pragma once

#include <sys/epoll.h>

#include <functional>
#include <map>
#include <memory>

// libfcgi's request type; only the .cpp files of server/ include its header.
struct FCGX_Request;

namespace tokend {

class FcgiConnections {
 public:
  // Answers one request: read `request->in` and envp, write `request->out`.
  using Handler = std::function<void(FCGX_Request* request)>;
  // Waits like epoll_wait(2) for events on `epoll_fd`: the number of
  // events, 0 on timeout, -1 when interrupted.
  using Wait = std::function<int(int epoll_fd, epoll_event* events,
                                 int max_events, int timeout_ms)>;
  // True once this worker has been asked to stop.
  using StopRequested = std::function<bool()>;

  // Longest a stopping worker keeps its connections open for nginx.
  static constexpr int kRetireSeconds = 10;

  explicit FcgiConnections(int listen_fd);
  ~FcgiConnections();
  FcgiConnections(const FcgiConnections&) = delete;
  FcgiConnections& operator=(const FcgiConnections&) = delete;

  // Serves until stopped and retired; returns the exit code (1 if the epoll
  // set cannot be made).
  int Serve(const Handler& handler, const Wait& wait,
            const StopRequested& stop_requested);

  // Connections held right now.
  size_t size() const { return connections_.size(); }

 private:
  void AcceptOne();
  void ServeOne(int fd, const Handler& handler);
  void Forget(int fd);
  void BeginRetiring();
  void CloseAll();

  int listen_fd_;
  int epoll_fd_ = -1;
  bool retiring_ = false;
  std::map<int, std::unique_ptr<FCGX_Request>> connections_;  // by fd
};

}  // namespace tokend
