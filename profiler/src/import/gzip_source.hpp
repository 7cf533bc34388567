#pragma once
//! A file read through zlib (gzip or plain, as zlib detects), as the byte source of a
//! WindowStream: reads into the caller's buffer and keeps zlib's message on damage.

#include <zlib.h>

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

namespace hopsim::profiler::import {

class GzipSource {
 public:
  //! Throws trace::TraceError ("cannot open file") when zlib cannot open `file`.
  explicit GzipSource(const std::filesystem::path& file);

  //! WindowStream::Fill: bytes read into `buf` (up to `cap`), 0 at the end, -1 when the stream
  //! is damaged (error() says how).
  long read(char* buf, std::size_t cap);
  //! "" unless read() returned -1.
  [[nodiscard]] const std::string& error() const { return error_; }
  //! False for a plain file that zlib passes through unchanged.
  [[nodiscard]] bool compressed() const { return gzdirect(gz_.get()) == 0; }

 private:
  void set_error();

  std::unique_ptr<gzFile_s, int (*)(gzFile)> gz_;
  std::string error_;
};

}  // namespace hopsim::profiler::import
