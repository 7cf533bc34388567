#include "hopsim/core/trace/chrome_trace_writer.hpp"

#include <array>
#include <cstdio>

namespace hopsim {

void write_json_string(std::ostream& out, std::string_view s) {
  out.put('"');
  for (const char c : s) {
    switch (c) {
      case '"':
        out << "\\\"";
        break;
      case '\\':
        out << "\\\\";
        break;
      case '\n':
        out << "\\n";
        break;
      case '\t':
        out << "\\t";
        break;
      case '\r':
        out << "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          std::array<char, 8> buf{};
          std::snprintf(buf.data(), buf.size(), "\\u%04x", static_cast<unsigned>(c));
          out << buf.data();
        } else {
          out.put(c);
        }
    }
  }
  out.put('"');
}

std::string ns_to_us_string(Nanoseconds t) {
  const std::int64_t v = t.value();
  const bool neg = v < 0;
  // Work in unsigned magnitude so INT64_MIN does not overflow.
  const std::uint64_t mag = neg ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%s%llu.%03llu", neg ? "-" : "",
                static_cast<unsigned long long>(mag / 1000),
                static_cast<unsigned long long>(mag % 1000));
  return buf.data();
}

ChromeTraceWriter::ChromeTraceWriter(std::ostream& out) : out_(out) {
  out_ << "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[";
}

ChromeTraceWriter::~ChromeTraceWriter() {
  if (!finished_) finish();
}

void ChromeTraceWriter::begin_event() {
  out_ << (events_ == 0 ? "\n" : ",\n");
  ++events_;
}

void ChromeTraceWriter::process_name(int pid, std::string_view name) {
  begin_event();
  out_ << "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":" << pid << ",\"args\":{\"name\":";
  write_json_string(out_, name);
  out_ << "}}";
}

void ChromeTraceWriter::thread_name(int pid, int tid, std::string_view name) {
  begin_event();
  out_ << "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":" << pid << ",\"tid\":" << tid
       << ",\"args\":{\"name\":";
  write_json_string(out_, name);
  out_ << "}}";
}

void ChromeTraceWriter::complete(int pid, int tid, std::string_view name, std::string_view category,
                                 Nanoseconds start, Nanoseconds duration,
                                 std::string_view args_json) {
  begin_event();
  out_ << "{\"ph\":\"X\",\"pid\":" << pid << ",\"tid\":" << tid << ",\"name\":";
  write_json_string(out_, name);
  out_ << ",\"cat\":";
  write_json_string(out_, category);
  out_ << ",\"ts\":" << ns_to_us_string(start) << ",\"dur\":" << ns_to_us_string(duration);
  if (!args_json.empty()) out_ << ",\"args\":" << args_json;
  out_ << "}";
}

void ChromeTraceWriter::flow(std::uint64_t id, std::string_view name, int pid, int tid,
                             Nanoseconds from, int to_pid, int to_tid, Nanoseconds to) {
  for (int end = 0; end < 2; ++end) {
    begin_event();
    out_ << "{\"ph\":\"" << (end == 0 ? "s" : "f") << "\",\"id\":" << id
         << ",\"pid\":" << (end == 0 ? pid : to_pid) << ",\"tid\":" << (end == 0 ? tid : to_tid)
         << ",\"name\":";
    write_json_string(out_, name);
    out_ << ",\"cat\":\"flow\",\"ts\":" << ns_to_us_string(end == 0 ? from : to) << "}";
  }
}

void ChromeTraceWriter::counter(int pid, std::string_view name, Nanoseconds t, double value) {
  begin_event();
  std::array<char, 40> buf{};
  std::snprintf(buf.data(), buf.size(), "%.9g", value);
  out_ << "{\"ph\":\"C\",\"pid\":" << pid << ",\"name\":";
  write_json_string(out_, name);
  out_ << ",\"ts\":" << ns_to_us_string(t) << ",\"args\":{\"value\":" << buf.data() << "}}";
}

void ChromeTraceWriter::finish() {
  if (finished_) return;
  out_ << "\n]}\n";
  out_.flush();
  finished_ = true;
}

}  // namespace hopsim
