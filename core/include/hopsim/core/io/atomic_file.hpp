#pragma once
//! AtomicFile: the one way hopsim writes an output file. The target either appears whole (temp
//! file beside it, checked writes, fsync, rename) or not at all; every failure throws IoError.

#include <filesystem>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hopsim::io {

//! A failed write, create, sync or rename. what() reads "PATH: what failed: strerror".
class IoError : public std::runtime_error {
 public:
  IoError(const std::filesystem::path& path, const std::string& what, int errno_value);
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  //! what() without the path: "cannot create: No such file or directory".
  [[nodiscard]] const std::string& reason() const { return reason_; }
  [[nodiscard]] int error_number() const { return errno_; }

 private:
  std::filesystem::path path_;
  std::string reason_;
  int errno_;
};

//! "<dir>/.<name>.tmp-<pid>-<thread>-<random>" beside `target`: unique per process, thread and
//! call, hidden, and on the same file system as the target so that rename() is atomic.
[[nodiscard]] std::filesystem::path temp_path_for(const std::filesystem::path& target);

//! Creates a fresh temp file beside the target; commit() makes it the target. Destroyed (or
//! discard()ed) without commit(), it removes the temp file, so an exception anywhere between
//! the two leaves neither a truncated target nor a stray temp file.
//!
//! A target that exists and is not a regular file (a terminal, a pipe, /dev/full) is written
//! in place instead: there is nothing to rename over, and renaming over a device would be wrong.
class AtomicFile {
 public:
  //! `mode`: permission bits for the new file, before the umask (0777 for scripts).
  explicit AtomicFile(std::filesystem::path target, unsigned mode = 0666);
  AtomicFile(AtomicFile&&) noexcept;
  AtomicFile& operator=(AtomicFile&&) noexcept;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  //! Appends; throws IoError on a short or failed write.
  void write(std::string_view data);
  //! A stream over the same file for writers that take an ostream (CSV, Chrome trace). Errors
  //! set its badbit and are thrown by commit().
  [[nodiscard]] std::ostream& stream();

  //! For a library that opens the file itself (SQLite): closes this object's handle and returns
  //! the temp path to write to. commit() then syncs whatever was written there and renames it.
  [[nodiscard]] std::filesystem::path external_path();

  //! Flushes and closes the handle once the content is complete; commit() later syncs and
  //! renames it. For a writer that prepares many files and commits them together (a descriptor
  //! each would run out). Throws IoError (and removes the temp file) on any failure.
  void finish_writing();

  //! Flushes, fsyncs and closes the file, renames it onto the target and syncs the directory.
  //! Throws IoError (and removes the temp file) on any failure.
  void commit();
  //! Removes the temp file; the target is untouched. Safe to call twice.
  void discard() noexcept;

  [[nodiscard]] const std::filesystem::path& target() const;
  //! Equal to target() when writing in place.
  [[nodiscard]] const std::filesystem::path& temp_path() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

//! The whole of `content` to `target` through AtomicFile.
void write_file_atomically(const std::filesystem::path& target, std::string_view content,
                           unsigned mode = 0666);

}  // namespace hopsim::io
