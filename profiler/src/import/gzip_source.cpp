#include "gzip_source.hpp"

#include "hopsim/profiler/trace/trace_error.hpp"

namespace hopsim::profiler::import {

GzipSource::GzipSource(const std::filesystem::path& file)
    : gz_(gzopen(file.string().c_str(), "rb"), gzclose) {
  if (gz_ == nullptr) throw trace::TraceError(file.string(), "", "cannot open file");
  // A larger zlib buffer than the 8 KiB default: fewer read() calls on big traces.
  gzbuffer(gz_.get(), 1 << 17);
}

long GzipSource::read(char* buf, std::size_t cap) {
  const int got = gzread(gz_.get(), buf, static_cast<unsigned>(cap));
  if (got < 0) {
    set_error();
    return -1;
  }
  if (got == 0) {
    // gzread also returns 0 at a truncated stream: only gzerror tells it from the real end.
    int code = 0;
    (void)gzerror(gz_.get(), &code);
    if (code != Z_OK && code != Z_STREAM_END) {
      set_error();
      return -1;
    }
  }
  return got;
}

void GzipSource::set_error() {
  int code = 0;
  const char* msg = gzerror(gz_.get(), &code);
  error_ = std::string("gzip stream is damaged: ") + (msg ? msg : "unknown zlib error");
}

}  // namespace hopsim::profiler::import
