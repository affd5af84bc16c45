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
// A handler may hand its request over to be answered by another thread (the
// worker's hashing lane): the connection then leaves the epoll set until
// Resume says the answer is written, so nothing else is read from it
// meanwhile, and the loop goes on serving every other connection.
//
// Stopping: once `stop_requested`, the worker stops accepting (another
// worker, or the next set after a reload, takes new connections), answers at
// most one more request on each connection it holds and closes it after that
// answer, and leaves once nginx has closed the rest or after
// kRetireSeconds; a request handed over is always waited for. nginx closes idle upstream connections after its own
// `keepalive_timeout`, shorter than that, so no connection is closed under a
// request nginx has just sent.
#pragma once

#include <sys/epoll.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>

// libfcgi's request type; only the .cpp files of server/ include its header.
struct FCGX_Request;

namespace tokend {

class FcgiConnections {
 public:
  enum class Disposition {
    kAnswered,    // the response is written
    kHandedOver,  // another thread writes it; Resume follows
  };
  // Answers one request: read `request->in` and envp, write `request->out`;
  // or hands it over. `ready_at` is when the loop learned the request was
  // there: the return of the wait that reported its connection readable,
  // so time spent serving the requests before it in that batch counts.
  // Nothing earlier is known (see Serve in the .cpp).
  using Handler = std::function<Disposition(
      FCGX_Request* request, std::chrono::steady_clock::time_point ready_at)>;
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

  // Watches `fd` too, calling `on_ready` whenever it is readable: how
  // another thread wakes the loop (an eventfd), or a timer (a timerfd).
  // Call before Serve; each fd once.
  void WatchWakeups(int fd, std::function<void()> on_ready);
  // The request handed over on connection `fd` is answered: the loop
  // finishes it and serves the connection again. Loop thread only.
  void Resume(int fd);

 private:
  void AcceptOne();
  // Waits for new connections again, behind every other waiting worker.
  void ListenAtTheBack();
  void ServeOne(int fd, const Handler& handler,
                std::chrono::steady_clock::time_point ready_at);
  // Drains and finishes the request just answered on `fd`; forgets the
  // connection when that closed it.
  void Finish(int fd);
  void Forget(int fd);
  void BeginRetiring();
  // Closes the connections not waiting for a handed-over answer.
  void CloseIdle();
  void CloseAll();

  int listen_fd_;
  int epoll_fd_ = -1;
  bool retiring_ = false;
  std::map<int, std::unique_ptr<FCGX_Request>> connections_;  // by fd
  std::set<int> handed_over_;  // connections whose request another thread answers
  std::map<int, std::function<void()>> watched_;  // WatchWakeups, by fd
};

}  // namespace tokend
