#pragma once
//! The parser stage of the Kineto importer: RapidJSON's SAX reader over a WindowStream, turning
//! the callbacks into typed records (events, devices, provenance) for a KinetoEventBuilder.

#include <functional>
#include <string>

#include "kineto_builder.hpp"
#include "window_stream.hpp"

namespace hopsim::profiler::import {

//! Reads the whole input through `in`, handing each event to `builder` at its closing brace.
//! `stream_error` (may be empty) returns the input's own read error, "" if none. Throws
//! trace::TraceError naming `name` and the byte offset on a read error, malformed JSON, wrong
//! types, an event the builder refuses, invalid UTF-8, nesting deeper than `max_depth`, or input
//! without a traceEvents array.
void parse_kineto(WindowStream& in, KinetoEventBuilder& builder, const std::string& name,
                  int max_depth, const std::function<std::string()>& stream_error);

}  // namespace hopsim::profiler::import
