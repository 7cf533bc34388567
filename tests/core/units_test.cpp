#include "hopsim/core/units.hpp"

#include <catch2/catch.hpp>
#include <type_traits>

using namespace hopsim;

namespace {
template <class A, class B>
constexpr bool can_add_v = requires(A a, B b) {
  a + b;
};
}  // namespace

TEST_CASE("units: same-unit arithmetic and ratios", "[core][units]") {
  const Bytes a(1000), b(24);
  CHECK((a + b).value() == 1024);
  CHECK((a - b).value() == 976);
  CHECK((b * std::int64_t{2}).value() == 48);
  CHECK(a / Bytes(250) == Approx(4.0));
  CHECK(Nanoseconds(5) < Nanoseconds(6));
}

TEST_CASE("units: mixing units does not compile", "[core][units]") {
  // Adding bytes to nanoseconds must not be expressible.
  STATIC_REQUIRE_FALSE(can_add_v<Bytes, Nanoseconds>);
  STATIC_REQUIRE(can_add_v<Bytes, Bytes>);
  constexpr bool can_assign = std::is_assignable_v<Bytes&, Nanoseconds>;
  STATIC_REQUIRE_FALSE(can_assign);
  constexpr bool implicit_from_int = std::is_convertible_v<std::int64_t, Bytes>;
  STATIC_REQUIRE_FALSE(implicit_from_int);
}

TEST_CASE("units: transfer and compute times round up to whole nanoseconds", "[core][units]") {
  // 1 MB at 1 GB/s = 1 ms exactly.
  CHECK(transfer_time(Bytes(1'000'000), gb_per_s(1.0)) == ms(1));
  // 1 byte at 3 B/s = 0.333.. s -> rounds up to 333'333'334 ns.
  CHECK(transfer_time(Bytes(1), BytesPerSecond(3.0)).value() == 333'333'334);
  // 989 TFLOP at 989 TFLOP/s = 1 s.
  CHECK(compute_time(Flops(989e12), tflops(989)) == ms(1000));
  CHECK_THROWS_AS(transfer_time(Bytes(1), BytesPerSecond(0.0)), std::domain_error);
  CHECK_THROWS_AS(from_seconds_ceil(-1.0), std::domain_error);
}
