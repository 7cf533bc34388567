#include "hopsim/core/io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <streambuf>
#include <thread>

namespace hopsim::io {

namespace fs = std::filesystem;

namespace {
std::string reason_text(const std::string& what, int errno_value) {
  return errno_value != 0 ? what + ": " + std::strerror(errno_value) : what;
}
}  // namespace

IoError::IoError(const fs::path& path, const std::string& what, int errno_value)
    : std::runtime_error(path.string() + ": " + reason_text(what, errno_value)),
      path_(path),
      reason_(reason_text(what, errno_value)),
      errno_(errno_value) {}

namespace {

// Writes all of [data, data + n) or returns the errno of the failure (0 on success): write()
// may write less than asked (signals, pipes), and a full disk shows up only here or at close().
int write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (w == 0) return EIO;
    data += w;
    n -= static_cast<std::size_t>(w);
  }
  return 0;
}

// An ostream buffer over a file descriptor that remembers the first error instead of losing
// it: std::ofstream reports a failed write only as a bit that callers forget to test.
class FdBuf final : public std::streambuf {
 public:
  void attach(int fd) {
    fd_ = fd;
    setp(buf_.data(), buf_.data() + buf_.size());
  }
  [[nodiscard]] int error() const { return error_; }
  //! Writes what is buffered; returns the first error seen so far (0 if none).
  int drain() {
    if (error_ == 0 && fd_ >= 0 && pptr() != pbase()) {
      error_ = write_all(fd_, pbase(), static_cast<std::size_t>(pptr() - pbase()));
    }
    setp(buf_.data(), buf_.data() + buf_.size());
    return error_;
  }

 protected:
  int_type overflow(int_type ch) override {
    if (drain() != 0) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (n >= static_cast<std::streamsize>(buf_.size())) {
      if (drain() != 0) return 0;
      error_ = write_all(fd_, s, static_cast<std::size_t>(n));
      return error_ == 0 ? n : 0;
    }
    return std::streambuf::xsputn(s, n);
  }
  int sync() override { return drain() == 0 ? 0 : -1; }

 private:
  std::array<char, 1 << 16> buf_{};
  int fd_ = -1;
  int error_ = 0;
};

void sync_directory(const fs::path& dir) {
  // Makes the rename itself durable. Best effort: the target is already whole and in place, and
  // some file systems refuse to fsync a directory (EINVAL), which says nothing about the data.
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

fs::path temp_path_for(const fs::path& target) {
  // Fresh entropy per call rather than a seeded generator: no state shared between threads.
  std::random_device rd;
  const unsigned long long random = (static_cast<unsigned long long>(rd()) << 32) | rd();
  char suffix[80];
  std::snprintf(suffix, sizeof suffix, ".tmp-%ld-%zx-%016llx", static_cast<long>(::getpid()),
                std::hash<std::thread::id>{}(std::this_thread::get_id()), random);
  return target.parent_path() / ("." + target.filename().string() + suffix);
}

struct AtomicFile::Impl {
  fs::path target;
  fs::path temp;
  int fd = -1;
  bool in_place = false;
  bool external = false;
  bool done = false;  // committed or discarded
  FdBuf buf;
  std::ostream os{&buf};

  void close_fd() noexcept {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  [[noreturn]] void fail(const std::string& what, int err) {
    discard();
    throw IoError(target, what, err);
  }
  void discard() noexcept {
    close_fd();
    if (!in_place && !done) ::unlink(temp.c_str());
    done = true;
  }
};

AtomicFile::AtomicFile(fs::path target, unsigned mode) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.target = std::move(target);
  struct stat st {};
  const bool exists = ::stat(m.target.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) throw IoError(m.target, "cannot write", EISDIR);
  if (exists && !S_ISREG(st.st_mode)) {
    m.in_place = true;
    m.temp = m.target;
    m.fd = ::open(m.target.c_str(), O_WRONLY | O_CLOEXEC);
    if (m.fd < 0) throw IoError(m.target, "cannot open for writing", errno);
  } else {
    // O_EXCL: never write into a file someone else made; a name clash (vanishingly rare with 64
    // random bits) just draws another name.
    for (int attempt = 0; attempt < 16 && m.fd < 0; ++attempt) {
      m.temp = temp_path_for(m.target);
      m.fd = ::open(m.temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                    static_cast<mode_t>(mode));
      if (m.fd < 0 && errno != EEXIST) throw IoError(m.target, "cannot create", errno);
    }
    if (m.fd < 0) throw IoError(m.target, "cannot create a unique temporary file", EEXIST);
    // Replacing a file keeps its permissions (a private 0600 file stays private).
    if (exists) (void)::fchmod(m.fd, st.st_mode & 07777);
  }
  m.buf.attach(m.fd);
}

AtomicFile::AtomicFile(AtomicFile&&) noexcept = default;

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    discard();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

AtomicFile::~AtomicFile() {
  discard();
}

void AtomicFile::write(std::string_view data) {
  Impl& m = *impl_;
  if (m.done || m.external) throw IoError(m.target, "write after commit or hand-over", EBADF);
  m.os.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (m.buf.error() != 0) m.fail("cannot write", m.buf.error());
}

std::ostream& AtomicFile::stream() {
  return impl_->os;
}

fs::path AtomicFile::external_path() {
  Impl& m = *impl_;
  if (m.in_place) throw IoError(m.target, "cannot be written by an external writer", EINVAL);
  // Closing here matters for SQLite: closing any descriptor of a file drops the process's POSIX
  // locks on it, so a second descriptor must not be open while SQLite holds the file.
  m.close_fd();
  m.external = true;
  return m.temp;
}

void AtomicFile::finish_writing() {
  Impl& m = *impl_;
  if (m.done || m.external) throw IoError(m.target, "finish after commit or hand-over", EBADF);
  if (m.in_place) return;  // a device keeps its handle: there is nothing to rename
  m.os.flush();
  if (m.buf.drain() != 0) m.fail("cannot write", m.buf.error());
  if (!m.os) m.fail("cannot write", EIO);
  const int fd = m.fd;
  m.fd = -1;
  if (::close(fd) != 0 && errno != EINTR) m.fail("cannot write (close failed)", errno);
  m.external = true;  // commit() reopens it to sync
}

void AtomicFile::commit() {
  Impl& m = *impl_;
  if (m.done) throw IoError(m.target, "commit after commit or discard", EINVAL);
  if (m.external) {
    m.fd = ::open(m.temp.c_str(), O_RDONLY | O_CLOEXEC);
    if (m.fd < 0) m.fail("cannot reopen the finished file", errno);
  } else {
    m.os.flush();
    if (m.buf.drain() != 0) m.fail("cannot write", m.buf.error());
    if (!m.os) m.fail("cannot write", EIO);  // a writer put the stream into a failed state
  }
  // fsync before rename: otherwise a crash can leave the new name pointing at empty blocks.
  // Devices and pipes cannot be synced (EINVAL/EROFS); that says nothing about the data.
  if (::fsync(m.fd) != 0 && !(m.in_place && (errno == EINVAL || errno == EROFS))) {
    m.fail("cannot sync to disk", errno);
  }
  const int fd = m.fd;
  m.fd = -1;
  if (::close(fd) != 0 && errno != EINTR) m.fail("cannot write (close failed)", errno);
  if (!m.in_place) {
    if (::rename(m.temp.c_str(), m.target.c_str()) != 0) m.fail("cannot move into place", errno);
    sync_directory(m.target.parent_path());
  }
  m.done = true;
}

void AtomicFile::discard() noexcept {
  if (impl_) impl_->discard();
}

const fs::path& AtomicFile::target() const {
  return impl_->target;
}

const fs::path& AtomicFile::temp_path() const {
  return impl_->temp;
}

void write_file_atomically(const fs::path& target, std::string_view content, unsigned mode) {
  AtomicFile f(target, mode);
  f.write(content);
  f.commit();
}

}  // namespace hopsim::io
