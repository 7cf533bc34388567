#pragma once
//! Content hashes for provenance and resume keys: SHA-256 as lowercase hex, so identical
//! configurations get identical keys on every machine and in every shard.

#include <string>
#include <string_view>

namespace hopsim::planner {

//! SHA-256 of `data`, 64 hex digits.
[[nodiscard]] std::string sha256_hex(std::string_view data);

//! SHA-256 of a file's bytes, 64 hex digits: what a calibration records of the trace it was
//! fitted to. Throws std::runtime_error naming the path when the file cannot be read.
[[nodiscard]] std::string file_sha256_hex(const std::string& path);

//! The first 16 hex digits of sha256_hex: short enough to print, long enough for sweeps.
[[nodiscard]] std::string short_hash(std::string_view data);

}  // namespace hopsim::planner
