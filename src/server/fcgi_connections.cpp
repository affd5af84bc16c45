// A worker's kept-alive FastCGI connections (see fcgi_connections.h).
#include "tokend/server/fcgi_connections.h"

#include <fcgiapp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "tokend/common/metrics.h"

namespace tokend {

namespace {

// Events taken per wait; more simply wait for the next round.
constexpr int kMaxEvents = 16;
// Connections one worker holds at most. Above it the worker leaves new ones
// to the others; it also keeps descriptors small.
constexpr size_t kMaxConnections = 256;
// Input left unread by a handler is drained in chunks of this size.
constexpr int kDrainChunkBytes = 4096;

using Clock = std::chrono::steady_clock;

// Reads whatever the handler left of the request body, up to the end of
// FCGI_STDIN. The next request on a kept connection must start at a record
// boundary; a GET's empty STDIN record, for one, is never read otherwise.
void DrainInput(FCGX_Request* request) {
  char discard[kDrainChunkBytes];
  while (FCGX_GetStr(discard, sizeof(discard), request->in) > 0) {
  }
}

}  // namespace

FcgiConnections::FcgiConnections(int listen_fd) : listen_fd_(listen_fd) {}

FcgiConnections::~FcgiConnections() {
  CloseAll();
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

int FcgiConnections::Serve(const Handler& handler, const Wait& wait,
                           const StopRequested& stop_requested) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  // EPOLLEXCLUSIVE: a new connection wakes one idle worker, not all of them.
  epoll_event interest = {};
  interest.events = EPOLLIN | EPOLLEXCLUSIVE;
  interest.data.fd = listen_fd_;
  if (epoll_fd_ < 0 ||
      epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &interest) != 0) {
    std::fprintf(stderr, "onezone-tokend: epoll: %s\n", std::strerror(errno));
    return 1;
  }
  for (const auto& [fd, on_ready] : watched_) {
    epoll_event wakeups = {};
    wakeups.events = EPOLLIN;
    wakeups.data.fd = fd;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &wakeups) != 0) {
      std::fprintf(stderr, "onezone-tokend: epoll: %s\n", std::strerror(errno));
      return 1;
    }
  }
  Clock::time_point retire_by;
  epoll_event events[kMaxEvents];
  while (true) {
    if (!retiring_ && stop_requested()) {
      BeginRetiring();
      retire_by = Clock::now() + std::chrono::seconds(kRetireSeconds);
    }
    int timeout_ms = -1;
    if (retiring_) {
      if (connections_.empty()) break;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          retire_by - Clock::now());
      if (left.count() <= 0) {
        // Out of time for idle connections; a handed-over request is
        // still answered (its wait is bounded by its own deadline).
        CloseIdle();
        if (connections_.empty()) break;
      } else {
        timeout_ms = static_cast<int>(left.count()) + 1;
      }
    }
    int count = wait(epoll_fd_, events, kMaxEvents, timeout_ms);
    // Every request of this batch starts its clock here, so one served
    // after others of the batch is counted with its wait. A request that
    // arrived while the loop served the previous batch waited before this
    // too, for a time nothing tells: a unix socket keeps no receive time
    // (TCP's is on the wall clock, in a recvmsg libfcgi does not make), and
    // the previous batch's stamp could predate the request itself.
    Clock::time_point ready_at = Clock::now();
    if (count < 0 && errno != EINTR) {
      // Not a signal: the epoll set is broken. Leave; the parent starts
      // another worker. Handed-over requests keep their connection until
      // the destructor, after the thread answering them has stopped.
      std::fprintf(stderr, "onezone-tokend: epoll wait: %s\n", std::strerror(errno));
      CloseIdle();
      return 1;
    }
    for (int i = 0; i < count; ++i) {
      int fd = events[i].data.fd;
      if (fd == listen_fd_) {
        if (!retiring_) AcceptOne();
      } else if (auto watched = watched_.find(fd); watched != watched_.end()) {
        watched->second();
      } else if (connections_.count(fd) != 0 && handed_over_.count(fd) == 0) {
        ServeOne(fd, handler, ready_at);
      }
    }
  }
  CloseAll();
  return 0;
}

void FcgiConnections::AcceptOne() {
  // Non-blocking listening socket: EAGAIN when another worker was faster.
  int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return;
  // Over TCP, records go out at once (as libfcgi's own accept does); on a
  // unix socket this fails harmlessly.
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

  auto request = std::make_unique<FCGX_Request>();
  // Listening socket -1: when libfcgi finds this connection closed it
  // tries to accept another on it, which then fails at once, and
  // FCGX_Accept_r returns (the loop accepts, not libfcgi).
  FCGX_InitRequest(request.get(), -1, 0);
  request->ipcFd = fd;
  // FCGX_Accept_r first finishes the previous request and closes the
  // connection unless it is to be kept; there is none yet, so keep it.
  // The request's FCGI_KEEP_CONN flag then decides.
  request->keepConnection = 1;

  epoll_event interest = {};
  interest.events = EPOLLIN;
  interest.data.fd = fd;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &interest) != 0) {
    close(fd);
    return;
  }
  connections_[fd] = std::move(request);
  CountFastcgiConnection();
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
  if (connections_.size() < kMaxConnections) ListenAtTheBack();
}

void FcgiConnections::ListenAtTheBack() {
  // The kernel gives a new connection to the first idle worker in the
  // listening socket's queue; joining it anew puts this worker last. So an
  // idle pool's new connections go round the workers instead of all to the
  // first one, and nginx's kept connections do not pile up on a few
  // workers, each serving its connections one at a time.
  epoll_event interest = {};
  interest.events = EPOLLIN | EPOLLEXCLUSIVE;
  interest.data.fd = listen_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &interest);
}

void FcgiConnections::ServeOne(int fd, const Handler& handler,
                               Clock::time_point ready_at) {
  FCGX_Request* request = connections_[fd].get();
  // Negative when nginx closed the connection or sent something that is
  // not FastCGI; libfcgi has closed it then.
  if (FCGX_Accept_r(request) < 0) {
    Forget(fd);
    return;
  }
  // A stopping worker answers this request, then closes the connection, so
  // nginx sends nothing more on it.
  if (retiring_) request->keepConnection = 0;
  if (handler(request, ready_at) == Disposition::kHandedOver) {
    // Nothing more is read from it until the answer is written.
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    handed_over_.insert(fd);
    return;
  }
  Finish(fd);
}

void FcgiConnections::Finish(int fd) {
  FCGX_Request* request = connections_[fd].get();
  DrainInput(request);
  FCGX_Finish_r(request);
  if (request->ipcFd < 0) Forget(fd);
}

void FcgiConnections::WatchWakeups(int fd, std::function<void()> on_ready) {
  watched_[fd] = std::move(on_ready);
}

void FcgiConnections::Resume(int fd) {
  if (handed_over_.erase(fd) == 0) return;
  // A stopping worker closes it after this answer, as after any other.
  if (retiring_) connections_[fd]->keepConnection = 0;
  Finish(fd);
  if (connections_.count(fd) == 0) return;
  epoll_event interest = {};
  interest.events = EPOLLIN;
  interest.data.fd = fd;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &interest) != 0) {
    FCGX_Free(connections_[fd].get(), 0);
    close(fd);
    Forget(fd);
  }
}

void FcgiConnections::Forget(int fd) {
  // The descriptor is closed already, which also took it out of the epoll set.
  bool was_full = connections_.size() >= kMaxConnections;
  connections_.erase(fd);
  if (was_full && !retiring_) ListenAtTheBack();
}

void FcgiConnections::BeginRetiring() {
  retiring_ = true;
  if (connections_.size() < kMaxConnections) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
  }
}

void FcgiConnections::CloseIdle() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (handed_over_.count(it->first) != 0) {
      ++it;
      continue;
    }
    FCGX_Free(it->second.get(), 0);
    close(it->first);
    it = connections_.erase(it);
  }
}

void FcgiConnections::CloseAll() {
  // A plain close: libfcgi's own close would wait up to 2 s per
  // connection for nginx to close its end first.
  for (auto& entry : connections_) {
    FCGX_Free(entry.second.get(), 0);
    close(entry.first);
  }
  connections_.clear();
}

}  // namespace tokend
