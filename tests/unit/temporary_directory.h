// A fresh directory under /tmp for a test's files (a Redis's socket and
// data, configs, keys), removed with everything in it by Remove, or at the
// latest when the object goes. Shared by the unit tests that need one.
#pragma once

#include <cppunit/extensions/HelperMacros.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace tokend {
namespace test {

class TemporaryDirectory {
 public:
  TemporaryDirectory() = default;
  ~TemporaryDirectory() { Remove(); }
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;

  // Makes /tmp/<name>.XXXXXX (the test fails if it cannot) and returns its
  // path; a directory made before by this object is removed first.
  const std::string& Create(const std::string& name) {
    Remove();
    std::string pattern = "/tmp/" + name + ".XXXXXX";
    CPPUNIT_ASSERT_MESSAGE("mkdtemp " + pattern,
                           mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
    return path_;
  }

  void Remove() {
    if (path_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
    path_.clear();
  }

  // Forgets the directory, leaving it in place (to look at after a run).
  void Keep() { path_.clear(); }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace test
}  // namespace tokend
