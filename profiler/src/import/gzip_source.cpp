#include "gzip_source.hpp"

#include <cerrno>
#include <cstring>

#include "hopsim/profiler/trace/trace_error.hpp"

namespace hopsim::profiler::import {

// zlib's gzread would do all of this, but it ignores whatever follows the last gzip member, so a
// file with data appended after its stream would import as if the data were not there. Reading
// with inflate directly, each member's end is seen: another gzip header continues the stream (as
// `gzip -d` and concatenated `.gz` files expect); anything else is an error.

namespace {
constexpr std::size_t kInputBytes = std::size_t{1} << 17;
constexpr unsigned char kMagic0 = 0x1f;
constexpr unsigned char kMagic1 = 0x8b;
}  // namespace

GzipSource::GzipSource(const std::filesystem::path& file)
    : file_(std::fopen(file.string().c_str(), "rb"), std::fclose), in_(kInputBytes) {
  if (file_ == nullptr) {
    throw trace::TraceError(file.string(), "",
                            std::string("cannot open file: ") + std::strerror(errno));
  }
  z_.next_in = in_.data();
  z_.avail_in = 0;
  if (!refill() && !error_.empty()) throw trace::TraceError(file.string(), "", error_);
  if (z_.avail_in == 1) (void)refill();  // a short first read: the magic number needs 2 bytes
  compressed_ = z_.avail_in >= 2 && z_.next_in[0] == kMagic0 && z_.next_in[1] == kMagic1;
}

GzipSource::~GzipSource() {
  if (inflating_) inflateEnd(&z_);
}

bool GzipSource::refill() {
  if (eof_) return false;
  // Unread bytes move to the front; the read appends to them.
  const std::size_t keep = z_.avail_in;
  if (keep > 0) std::memmove(in_.data(), z_.next_in, keep);
  z_.next_in = in_.data();
  const std::size_t n = std::fread(in_.data() + keep, 1, in_.size() - keep, file_.get());
  if (n == 0) {
    eof_ = true;
    if (std::ferror(file_.get()) != 0) error_ = "read error";
    return false;
  }
  read_total_ += n;
  z_.avail_in = static_cast<uInt>(keep + n);
  return true;
}

std::size_t GzipSource::compressed_offset() const {
  return read_total_ - z_.avail_in;
}

long GzipSource::fail(std::string msg) {
  error_ = std::move(msg);
  return -1;
}

long GzipSource::produced_or_fail(const char* buf, std::string msg) {
  // Bytes inflated before the fault are handed out first; the next read reports it.
  error_ = std::move(msg);
  const auto n = static_cast<long>(z_.next_out - reinterpret_cast<const Bytef*>(buf));
  return n > 0 ? n : -1;
}

long GzipSource::read(char* buf, std::size_t cap) {
  if (!error_.empty()) return -1;
  if (!compressed_) {
    // Plain file: hand out what is buffered, then read straight into the caller's buffer.
    if (z_.avail_in > 0) {
      const std::size_t n = std::min<std::size_t>(cap, z_.avail_in);
      std::memcpy(buf, z_.next_in, n);
      z_.next_in += n;
      z_.avail_in -= static_cast<uInt>(n);
      return static_cast<long>(n);
    }
    if (eof_) return 0;
    const std::size_t n = std::fread(buf, 1, cap, file_.get());
    if (n == 0) {
      eof_ = true;
      return std::ferror(file_.get()) != 0 ? fail("read error") : 0;
    }
    read_total_ += n;
    return static_cast<long>(n);
  }
  z_.next_out = reinterpret_cast<Bytef*>(buf);
  z_.avail_out = static_cast<uInt>(std::min<std::size_t>(cap, 1U << 30));
  while (z_.avail_out > 0) {
    if (z_.avail_in == 0 && !refill()) {
      if (!error_.empty()) return produced_or_fail(buf, error_);
      if (inflating_ && !member_done_) {
        return produced_or_fail(buf, "gzip stream is damaged: truncated at compressed byte " +
                                         std::to_string(compressed_offset()));
      }
      break;  // the end of the file after a whole member
    }
    if (!inflating_ || member_done_) {
      // At a member boundary: another member must start here; nothing else may follow.
      if (z_.avail_in < 2) (void)refill();  // see the whole magic number
      if (!error_.empty()) return produced_or_fail(buf, error_);
      if (z_.avail_in < 2 || z_.next_in[0] != kMagic0 || z_.next_in[1] != kMagic1) {
        return produced_or_fail(buf, "data after the end of the gzip stream at compressed byte " +
                                         std::to_string(compressed_offset()));
      }
      if (inflating_) {
        inflateReset(&z_);
      } else {
        if (inflateInit2(&z_, 16 + MAX_WBITS) != Z_OK)
          return produced_or_fail(buf, "zlib cannot start inflating");
        inflating_ = true;
      }
      member_done_ = false;
    }
    const int rc = inflate(&z_, Z_NO_FLUSH);
    if (rc == Z_STREAM_END) {
      member_done_ = true;
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return produced_or_fail(
          buf, std::string("gzip stream is damaged at compressed byte ") +
                   std::to_string(compressed_offset()) + ": " +
                   (z_.msg != nullptr ? z_.msg : "zlib error " + std::to_string(rc)));
    }
  }
  return static_cast<long>(z_.next_out - reinterpret_cast<Bytef*>(buf));
}

}  // namespace hopsim::profiler::import
