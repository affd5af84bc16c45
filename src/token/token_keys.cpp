// Per-token key derivation and the master secret file (see token_keys.h).
#include "tokend/token/token_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tokend/token/macaroon.h"

namespace tokend {

namespace {

constexpr char kRootLabel[] = "onezone-tokend/v1 root";

Status FileError(const std::string& what, const std::string& path) {
  return Status(Code::kInternal,
                what + " " + path + ": " + std::strerror(errno));
}

bool ReadExactly(int fd, uint8_t* out, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = read(fd, out + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  uint8_t extra;
  return read(fd, &extra, 1) == 0;  // the file is exactly `size` bytes
}

Status CreateMasterSecret(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    mkdir(path.substr(0, slash).c_str(), 0700);  // fine if it exists
  }
  SecretKey fresh;
  if (!RandomBytes(fresh.data(), fresh.size())) {
    return Status(Code::kInternal, "cannot get random bytes for the master secret");
  }
  // Write to a temporary name, then link: two workers starting at once
  // never see a half-written secret, and the first one to link wins.
  std::string temp = path + ".tmp." + std::to_string(getpid());
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return FileError("cannot create", temp);
  bool written = write(fd, fresh.data(), fresh.size()) ==
                     static_cast<ssize_t>(fresh.size()) &&
                 fsync(fd) == 0;
  close(fd);
  if (!written) {
    unlink(temp.c_str());
    return FileError("cannot write", temp);
  }
  int linked = link(temp.c_str(), path.c_str());
  int link_errno = errno;
  unlink(temp.c_str());
  if (linked != 0 && link_errno != EEXIST) {
    errno = link_errno;
    return FileError("cannot create", path);
  }
  return Status::Ok();
}

}  // namespace

SecretKey TokenKeys::RootSecretFor(const std::string& identifier) const {
  std::string message(kRootLabel, sizeof(kRootLabel));  // includes the NUL
  message += identifier;
  SecretKey root;
  std::lock_guard<std::mutex> lock(master_hmac_mutex_);
  master_hmac_.Compute(message, root.data());
  return root;
}

SecretKey TokenKeys::ChainKeyFor(const std::string& identifier) const {
  SecretKey root = RootSecretFor(identifier);
  return DeriveMacaroonKey(std::string_view(
      reinterpret_cast<const char*>(root.data()), root.size()));
}

Status LoadOrCreateMasterSecret(const std::string& path, SecretKey* master) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) {
    if (errno != ENOENT) return FileError("cannot stat", path);
    Status created = CreateMasterSecret(path);
    if (!created.ok()) return created;
  }
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FileError("cannot open", path);
  if (fstat(fd, &info) != 0) {
    close(fd);
    return FileError("cannot stat", path);
  }
  if ((info.st_mode & 0077) != 0) {
    close(fd);
    return Status(Code::kInternal, "master secret " + path +
                                       " is readable by others; chmod 600 it");
  }
  bool ok = ReadExactly(fd, master->data(), master->size());
  close(fd);
  if (!ok) {
    return Status(Code::kInternal, "master secret " + path + " must be exactly " +
                                       std::to_string(master->size()) + " bytes");
  }
  return Status::Ok();
}

}  // namespace tokend
