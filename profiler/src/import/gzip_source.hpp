#pragma once
//! A file read as gzip (one or more members) or as plain bytes, as the byte source of a
//! WindowStream: reads into the caller's buffer and keeps a message on damage.

#include <zlib.h>

#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace hopsim::profiler::import {

class GzipSource {
 public:
  //! Throws trace::TraceError ("cannot open file") when `file` cannot be opened.
  explicit GzipSource(const std::filesystem::path& file);
  ~GzipSource();
  GzipSource(const GzipSource&) = delete;
  GzipSource& operator=(const GzipSource&) = delete;

  //! WindowStream::Fill: bytes read into `buf` (up to `cap`), 0 at the end, -1 when the stream
  //! is damaged, truncated, or followed by bytes that are not another gzip member (error() says
  //! which, with the compressed offset).
  long read(char* buf, std::size_t cap);
  //! "" unless read() returned -1.
  [[nodiscard]] const std::string& error() const { return error_; }
  //! Bytes read from the file so far (compressed bytes for gzip), for progress.
  [[nodiscard]] std::size_t file_bytes_read() const { return read_total_; }
  //! False for a plain file, passed through unchanged.
  [[nodiscard]] bool compressed() const { return compressed_; }

 private:
  long fail(std::string msg);
  long produced_or_fail(const char* buf, std::string msg);
  //! Refills the compressed input; false at the end of the file (or a read error, in error_).
  bool refill();
  //! Compressed bytes consumed so far.
  [[nodiscard]] std::size_t compressed_offset() const;

  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_;
  bool compressed_ = false;
  bool inflating_ = false;  // z_ holds an initialised inflate state
  bool member_done_ = false;
  bool eof_ = false;
  z_stream z_{};
  std::vector<unsigned char> in_;
  std::size_t read_total_ = 0;  // bytes read from the file
  std::string error_;
};

}  // namespace hopsim::profiler::import
