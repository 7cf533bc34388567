// SHA-256 against the standard test vectors, and against python3's hashlib for inputs whose
// lengths sit on the padding boundaries of FIPS 180-4 §5.1.1 (55 bytes: the 0x80 byte and the
// 64-bit length still fit one block; 56..63: they spill into a second block; 64: exact block).

#include "hopsim/planner/hash.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "../common/temp_dir.hpp"

using hopsim::planner::sha256_hex;
using hopsim::planner::short_hash;

namespace {

//! Byte i is (31 i + 7) mod 256: every byte value occurs (0x00 at i = 231, bytes >= 0x80 often),
//! so a signed-char or NUL-terminated-string bug changes the digest.
std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 31 + 7) & 0xff);
  return s;
}

}  // namespace

TEST_CASE("sha256: FIPS 180-2 / NIST standard vectors", "[planner][hash]") {
  // FIPS 180-2 Appendix B.1 (one-block message "abc"); FIPS 180-4 moved these examples to the
  // NIST CSRC "Examples with Intermediate Values" (SHA256.pdf), same digests.
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // FIPS 180-2 Appendix B.2 (448-bit message: two blocks, the padding fills the second).
  CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // The 896-bit message of FIPS 180-2 Appendix C.2 (there the SHA-512 example) hashed with
  // SHA-256: the commonly published value, cross-checked with python3 hashlib.
  CHECK(sha256_hex(
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklm"
            "nopqrlmnopqrsmnopqrstnopqrstu") ==
        "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  // FIPS 180-2 Appendix B.3 (one million 'a': 15,625 blocks).
  CHECK(sha256_hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // The empty message (NIST CAVP SHAVS, SHA256ShortMsg.rsp, Len = 0).
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("sha256: lengths around the padding boundaries match python3 hashlib",
          "[planner][hash]") {
  // Expected digests computed once with python3:
  //   hashlib.sha256(bytes(((i * 31 + 7) & 0xff) for i in range(n))).hexdigest()
  // and written here as literals (they are not produced by the code under test).
  const std::pair<std::size_t, const char*> cases[] = {
      {1, "ca358758f6d27e6cf45272937977a748fd88391db679ceda7dc7bf1f005ee879"},
      {55, "8aa994584139d128848eeebc4e815639ba5ab6e6e39574195a63ac4f14f7c43b"},
      {56, "ad574708f75c044c9b85de64cb568ee7711ff4f36448c6242f053ba8f6cc2b63"},
      {57, "5b46e502092be01b1100193e089fdda95638c12e19a1d24f308eb2c3d3ae849d"},
      {63, "280ed3e8ff1df845b2e7dfe6ac6cee817bef20e783cc65abc41b818b4d2fe076"},
      {64, "c6ab9724ade5b6a7a1edfffb12f3aa9181351355af8fd08c919952ad211339dd"},
      {65, "788367c73c7ddf4c53f65e68cc0d943e6227ab55b0e78ba63ace822b1c6301c0"},
      {111, "dd1413178fb627f9abbc041ffe39c44aa7aaa0e2e6d2ca5c4528ac7073a2da45"},
      {119, "3d610547d68216dedf7435a4fb6260353911f6b3fd3f18805ddb8be285d726fe"},
      {120, "1f80156a804cb7862ad113e8200e9d74499723e7c7854d5f48776d3148e09656"},
      {127, "192409cd280e14b743642ad1343fbd3e82d9305de72c078117745a679210cc3d"},
      {128, "cc548ca2dec1f6fe4f58b2e27aa9c7521607df1130d140b55a4dad0665302356"},
      {129, "81e89a7b2911aaa7795f9e3d4910cb47d6cd2b00d83b8399481527261a1a7519"},
      {1000, "5097e7d587352f5097062ae679f37bda5802d9f875aba14c8cb4d1a188ada179"},
  };
  for (const auto& [n, hex] : cases) {
    INFO("length " << n);
    CHECK(sha256_hex(pattern(n)) == hex);
  }
}

TEST_CASE("short_hash is the first 16 hex digits of SHA-256", "[planner][hash]") {
  CHECK(short_hash("abc") == "ba7816bf8f01cfea");
  CHECK(short_hash("") == "e3b0c44298fc1c14");
}

TEST_CASE("sha256 of a file: the bytes as read, and a located error for a missing file",
          "[planner][hash]") {
  const hopsim::test::TempDir dir;
  const std::string abc = (dir / "abc.bin").string();
  std::ofstream(abc, std::ios::binary) << "abc";
  CHECK(hopsim::planner::file_sha256_hex(abc) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string binary = (dir / "pattern.bin").string();
  std::ofstream(binary, std::ios::binary) << pattern(1000);
  CHECK(hopsim::planner::file_sha256_hex(binary) == sha256_hex(pattern(1000)));
  const std::string missing = (dir / "missing.bin").string();
  CHECK_THROWS_WITH(hopsim::planner::file_sha256_hex(missing), Catch::Contains(missing));
}
