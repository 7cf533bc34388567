// Tests for core/src/io/atomic_file.cpp: an output appears whole or not at all, every failure
// is an exception naming the path and the system's reason, and nothing is ever left behind.

#include "hopsim/core/io/atomic_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "../common/fault_injection.hpp"
#include "../common/temp_dir.hpp"

namespace fs = std::filesystem;
using hopsim::io::AtomicFile;
using hopsim::io::IoError;
using hopsim::io::write_file_atomically;
using hopsim::test::list_dir;
using hopsim::test::read_text;
using hopsim::test::TempDir;
using hopsim::test::write_bytes;

namespace {

// The IoError thrown by `f`, with its errno; fails the test if nothing is thrown.
template <class F>
int error_of(F&& f, const fs::path& expected_path) {
  try {
    f();
  } catch (const IoError& e) {
    CHECK(e.path() == expected_path);
    // The message names the path and says why, in the system's words.
    CHECK(std::string(e.what()).find(expected_path.string()) != std::string::npos);
    CHECK(std::string(e.what()).find(std::strerror(e.error_number())) != std::string::npos);
    return e.error_number();
  }
  FAIL("no IoError thrown");
  return 0;
}

}  // namespace

TEST_CASE("atomic file: a write creates the file with exactly the content", "[core][io]") {
  const TempDir d("atomic");
  write_file_atomically(d / "out.txt", "hello\n");
  CHECK(read_text(d / "out.txt") == "hello\n");
  CHECK(list_dir(d.path()) == std::set<std::string>{"out.txt"});  // no temporary file left
}

TEST_CASE("atomic file: a successful write replaces an existing file whole", "[core][io]") {
  const TempDir d("atomic");
  write_bytes(d / "out.txt", std::string(10000, 'x'));
  ::chmod((d / "out.txt").c_str(), 0600);
  write_file_atomically(d / "out.txt", "short");
  CHECK(read_text(d / "out.txt") == "short");  // no tail of the longer old content
  CHECK(list_dir(d.path()) == std::set<std::string>{"out.txt"});
  struct stat st {};
  REQUIRE(::stat((d / "out.txt").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);  // a private file stays private
}

TEST_CASE("atomic file: nothing is visible under the target name before commit", "[core][io]") {
  const TempDir d("atomic");
  write_bytes(d / "out.txt", "old");
  AtomicFile f(d / "out.txt");
  f.stream() << std::string(200000, 'n');  // more than the buffer: some of it is on disk already
  CHECK(read_text(d / "out.txt") == "old");
  CHECK(f.temp_path().parent_path() == d.path());  // beside the target: rename stays atomic
  CHECK(fs::exists(f.temp_path()));
  f.commit();
  CHECK(read_text(d / "out.txt") == std::string(200000, 'n'));
  CHECK_FALSE(fs::exists(f.temp_path()));
}

TEST_CASE("atomic file: finished files hold every byte and appear only when committed",
          "[core][io]") {
  const TempDir d("atomic");
  std::vector<AtomicFile> files;
  for (int i = 0; i < 3; ++i) {
    files.emplace_back(d / ("f" + std::to_string(i)));
    files.back().write("small " + std::to_string(i));  // under the buffer: flushed by finishing
    files.back().finish_writing();
  }
  CHECK(list_dir(d.path()).size() == 3);  // three temp files, no target yet
  for (const auto& name : {"f0", "f1", "f2"}) CHECK_FALSE(fs::exists(d / name));
  for (auto& f : files) f.commit();
  for (int i = 0; i < 3; ++i)
    CHECK(read_text(d / ("f" + std::to_string(i))) == "small " + std::to_string(i));
  CHECK(list_dir(d.path()) == std::set<std::string>{"f0", "f1", "f2"});
  AtomicFile dropped(d / "never");
  dropped.write("x");
  dropped.finish_writing();
  dropped.discard();
  CHECK(list_dir(d.path()) == std::set<std::string>{"f0", "f1", "f2"});
}

TEST_CASE("atomic file: an exception before commit leaves the old file and no temp file",
          "[core][io]") {
  const TempDir d("atomic");
  write_bytes(d / "out.txt", "old");
  try {
    AtomicFile f(d / "out.txt");
    f.write("partial");
    throw std::runtime_error("the writer failed half-way");
  } catch (const std::runtime_error&) {
  }
  CHECK(read_text(d / "out.txt") == "old");
  CHECK(list_dir(d.path()) == std::set<std::string>{"out.txt"});
}

TEST_CASE("atomic file: a folder that does not exist is an error and leaves nothing",
          "[core][io]") {
  const TempDir d("atomic");
  const fs::path target = d / "missing" / "out.txt";
  CHECK(error_of([&] { write_file_atomically(target, "x"); }, target) == ENOENT);
  CHECK(list_dir(d.path()).empty());
}

TEST_CASE("atomic file: a path under a regular file is an error and leaves nothing", "[core][io]") {
  const TempDir d("atomic");
  write_bytes(d / "file", "f");
  const fs::path target = d / "file" / "out.txt";
  CHECK(error_of([&] { write_file_atomically(target, "x"); }, target) == ENOTDIR);
  CHECK(list_dir(d.path()) == std::set<std::string>{"file"});
}

TEST_CASE("atomic file: a read-only folder is an error and leaves nothing", "[core][io]") {
  // /proc refuses new files even to root, for whom permission bits mean nothing.
  const fs::path proc_target = "/proc/hopsim-atomic-file-test.txt";
  CHECK_THROWS_AS(write_file_atomically(proc_target, "x"), IoError);
  CHECK_FALSE(fs::exists(proc_target));
  if (::geteuid() == 0) {
    WARN("running as root: the chmod 0555 half of this test is skipped (root ignores it)");
    return;
  }
  const TempDir d("atomic");
  fs::permissions(d.path(), fs::perms::owner_read | fs::perms::owner_exec);
  CHECK(error_of([&] { write_file_atomically(d / "out.txt", "x"); }, d / "out.txt") == EACCES);
  CHECK(list_dir(d.path()).empty());
}

TEST_CASE("atomic file: writing to /dev/full fails instead of exiting quietly", "[core][io]") {
  // Not a regular file: written in place (never renamed over), and its ENOSPC is reported.
  const int err =
      error_of([] { write_file_atomically("/dev/full", "some output\n"); }, "/dev/full");
  CHECK(err == ENOSPC);
  struct stat st {};
  REQUIRE(::stat("/dev/full", &st) == 0);
  CHECK(S_ISCHR(st.st_mode));  // still the device
}

TEST_CASE("atomic file: a full disk fails the write, keeps the old file, leaves no temp file",
          "[core][io]") {
  const TempDir d("atomic");
  write_bytes(d / "out.txt", "old");
  const std::string big(1 << 20, 'b');
  SECTION("write()") {
    const hopsim::test::FileSizeLimit limit(4096);
    CHECK(error_of([&] { write_file_atomically(d / "out.txt", big); }, d / "out.txt") == EFBIG);
  }
  SECTION("through stream(), as the CSV and trace writers do") {
    const hopsim::test::FileSizeLimit limit(4096);
    AtomicFile f(d / "out.txt");
    for (int i = 0; i < 64; ++i) f.stream() << big.substr(0, 1 << 14);  // no throw: stream state
    CHECK_FALSE(f.stream().good());
    CHECK(error_of([&] { f.commit(); }, d / "out.txt") == EFBIG);
  }
  CHECK(read_text(d / "out.txt") == "old");
  CHECK(list_dir(d.path()) == std::set<std::string>{"out.txt"});
}

TEST_CASE("atomic file: temporary names are unique per call, thread and process", "[core][io]") {
  const fs::path target = "/some/dir/out.csv";
  std::set<fs::path> names;
  for (int i = 0; i < 1000; ++i) names.insert(hopsim::io::temp_path_for(target));
  CHECK(names.size() == 1000);
  const fs::path one = *names.begin();
  CHECK(one.parent_path() == target.parent_path());
  CHECK(one.filename().string().rfind(".out.csv.tmp-" + std::to_string(::getpid()) + "-", 0) == 0);

  // Eight threads writing the same target at once: each has its own temp file, and the target
  // ends as exactly one of the complete contents.
  const TempDir d("atomic");
  std::vector<std::thread> threads;
  std::vector<std::string> errors(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < 20; ++i) {
          write_file_atomically(d / "shared.txt", std::string(5000, static_cast<char>('a' + t)));
        }
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(t)] = e.what();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& e : errors) CHECK(e.empty());
  const std::string final_text = read_text(d / "shared.txt");
  REQUIRE(final_text.size() == 5000);
  CHECK(final_text == std::string(5000, final_text[0]));
  CHECK(list_dir(d.path()) == std::set<std::string>{"shared.txt"});
}

TEST_CASE("atomic file: an external writer (SQLite) writes by path and is committed the same",
          "[core][io]") {
  const TempDir d("atomic");
  {
    AtomicFile f(d / "db.sqlite");
    const fs::path p = f.external_path();
    write_bytes(p, "database bytes");
    CHECK_FALSE(fs::exists(d / "db.sqlite"));
    f.commit();
  }
  CHECK(read_text(d / "db.sqlite") == "database bytes");
  {
    AtomicFile f(d / "other.sqlite");
    write_bytes(f.external_path(), "abandoned");
  }  // never committed
  CHECK(list_dir(d.path()) == std::set<std::string>{"db.sqlite"});
}

TEST_CASE("atomic file: a directory as target is refused", "[core][io]") {
  const TempDir d("atomic");
  CHECK(error_of([&] { write_file_atomically(d.path(), "x"); }, d.path()) == EISDIR);
  CHECK(list_dir(d.path()).empty());
}
