// SVG charts checked by an independent parser: tests/planner/check_svg.py reads each chart with
// Python's XML parser (well-formed, escaping undone exactly) and checks the geometry (viewBox,
// no negative sizes, everything inside it); this file checks what it reports.

#include "hopsim/planner/svg.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "svg_check.hpp"
#include "sweep_test_util.hpp"

using namespace hopsim::planner;
using hopsim::test::check_svg;
using hopsim::test::Checked;
using hopsim::test::Rect;

namespace {

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("html_escape escapes the XML specials and nothing else", "[planner][svg]") {
  CHECK(html_escape("a<b & \"c\" > d") == "a&lt;b &amp; &quot;c&quot; &gt; d");
  CHECK(html_escape("&amp;") == "&amp;amp;");  // not double-unescaped
  CHECK(html_escape("plain 'text' · µs") == "plain 'text' · µs");
  CHECK(html_escape("") == "");
}

TEST_CASE("bar chart: well-formed, text round-trips, bars proportional", "[planner][svg]") {
  const std::vector<Bar> bars = {{"a<b & \"c\"", 100000, "+3.2% vs <published>"},
                                 {"H800 > H100", 200000, ""},
                                 {"zero", 0, ""}};
  const std::string svg = svg_bar_chart(bars, "GPU-hours & \"more\"", 180000, "published <180k>");
  const Checked c = check_svg(svg);
  INFO(c.report);
  REQUIRE(c.ok);
  CHECK(has(c.texts, "a<b & \"c\""));
  CHECK(has(c.texts, "H800 > H100"));
  CHECK(has(c.texts, "GPU-hours & \"more\""));
  CHECK(has(c.texts, "published <180k>"));
  CHECK(has(c.texts, "100,000  +3.2% vs <published>"));  // grouped value, then the note
  CHECK(has(c.texts, "200,000"));
  std::vector<Rect> bar_rects;
  for (const auto& r : c.rects) {
    if (r.fill == "#4878d0") bar_rects.push_back(r);
  }
  REQUIRE(bar_rects.size() == 3);
  // All bars start at the same x; widths proportional to the values (one decimal written).
  CHECK(bar_rects[1].x == bar_rects[0].x);
  CHECK(bar_rects[1].w == Approx(2 * bar_rects[0].w).margin(0.15));
  CHECK(bar_rects[2].w == 0);
  CHECK(bar_rects[0].y < bar_rects[1].y);  // rows top to bottom in input order
}

TEST_CASE("bar chart: geometry stays inside the picture for any input", "[planner][svg]") {
  SECTION("reference above every bar") {
    const Checked c = check_svg(svg_bar_chart({{"x", 1, ""}, {"y", 2, ""}}, "u", 50, "ref"));
    INFO(c.report);
    CHECK(c.ok);
  }
  SECTION("no bars") {
    const Checked c = check_svg(svg_bar_chart({}, "u"));
    INFO(c.report);
    CHECK(c.ok);
  }
  SECTION("all zero") {
    const Checked c = check_svg(svg_bar_chart({{"x", 0, ""}}, "u"));
    INFO(c.report);
    CHECK(c.ok);
  }
  SECTION("a negative value draws no negative width") {
    const Checked c = check_svg(svg_bar_chart({{"x", 5, ""}, {"gain", -2, ""}}, "u"));
    INFO(c.report);
    CHECK(c.ok);
  }
  SECTION("huge values") {
    const Checked c = check_svg(svg_bar_chart({{"x", 3.7e12, ""}, {"y", 1, ""}}, "u", 1e12, "r"));
    INFO(c.report);
    CHECK(c.ok);
  }
  // A report's entry label ("<scenario> on <GPU> (same plan)") and note can be long: the checker
  // holds each text's estimated extent, not just its anchor, inside the picture.
  const std::string label = "deepseek-v3-h100-megatron-with-a-longer-name on H800 SXM5 (same plan)";
  SECTION("a long label") {
    const Checked c = check_svg(svg_bar_chart({{label, 2, ""}, {"y", 1, ""}}, "u"));
    INFO(c.report);
    CHECK(c.ok);
  }
  SECTION("a long note beside the longest bar") {
    const Checked c = check_svg(
        svg_bar_chart({{"x", 216416, "(-1.0% vs published tokens/s, and a few more words)"}}, "u"));
    INFO(c.report);
    CHECK(c.ok);
  }
  SECTION("a long label in stacked bars") {
    const Checked c =
        check_svg(svg_stacked_bars({{label, {{"compute", 3}, {"bubble", 1}}, "ms"}}, "ms"));
    INFO(c.report);
    CHECK(c.ok);
  }
}

TEST_CASE("gantt: lanes from a Chrome trace, merged slices, escaped labels", "[planner][svg]") {
  // Two ranks; rank 0 lane 1 has compute 0-10, 10.5-20 (merged at merge_us = 1) and ep_comm
  // 30-40; a link lane that is left out; rank 1 has no thread name.
  const std::string trace = R"({"traceEvents": [
    {"ph": "M", "name": "process_name", "pid": 0, "args": {"name": "rank 0"}},
    {"ph": "M", "name": "thread_name", "pid": 0, "tid": 1, "args": {"name": "compute <SMs> & co"}},
    {"ph": "M", "name": "thread_name", "pid": 0, "tid": 9, "args": {"name": "link:nvlink 0->1"}},
    {"ph": "X", "pid": 0, "tid": 1, "ts": 10.5, "dur": 9.5, "cat": "compute", "name": "b"},
    {"ph": "X", "pid": 0, "tid": 1, "ts": 0, "dur": 10, "cat": "compute", "name": "a"},
    {"ph": "X", "pid": 0, "tid": 1, "ts": 30, "dur": 10, "cat": "ep_comm", "name": "d"},
    {"ph": "X", "pid": 0, "tid": 9, "ts": 0, "dur": 40, "cat": "link", "name": "l"},
    {"ph": "X", "pid": 1, "tid": 2, "ts": 5, "dur": 50, "cat": "pp_comm", "name": "p"}
  ]})";
  const auto lanes = gantt_from_chrome_trace(trace, 1.0);
  REQUIRE(lanes.size() == 2);
  CHECK(lanes[0].label == "rank 0 · compute <SMs> & co");
  CHECK(lanes[1].label == "rank 1 · lane 2");
  REQUIRE(lanes[0].slices.size() == 2);
  CHECK(lanes[0].slices[0].category == "compute F");  // names without .B / .W are forward
  CHECK(lanes[0].slices[0].start_us == 0);
  CHECK(lanes[0].slices[0].end_us == 20);
  CHECK(lanes[0].slices[1].category == "ep_comm");
  CHECK(lanes[0].slices[1].start_us == 30);
  CHECK(lanes[0].slices[1].end_us == 40);
  REQUIRE(lanes[1].slices.size() == 1);
  CHECK(lanes[1].slices[0].end_us == 55);

  // makespan 40 us, but rank 1's slice ends at 55: the axis must still cover it.
  const Checked c = check_svg(svg_gantt(lanes, 40));
  INFO(c.report);
  REQUIRE(c.ok);
  CHECK(has(c.texts, "rank 0 · compute <SMs> & co"));
  std::vector<Rect> slices;
  for (const auto& r : c.rects) {
    if (r.h > 5 && r.w != 10) slices.push_back(r);  // the legend swatches are 10 x 10
  }
  REQUIRE(slices.size() == 3);
  // Same time scale in both lanes: 0..20 us is as wide as 20/50 of 5..55 us.
  CHECK(slices[0].w == Approx(slices[2].w * 20.0 / 50.0).margin(0.15));
  CHECK(slices[1].x > slices[0].x + slices[0].w);  // ep_comm after the gap
  CHECK(slices[2].y > slices[0].y);                // rank 1 below rank 0
  // The legend names what is drawn (forward, EP, PP), nothing else.
  CHECK(has(c.texts, "forward"));
  CHECK(has(c.texts, "EP all-to-all (DeepEP)"));
  CHECK(has(c.texts, "PP send"));
  CHECK_FALSE(has(c.texts, "DP gradient sync"));
  CHECK_FALSE(has(c.texts, "backward (input grad.)"));
}

TEST_CASE("gantt: F, B, W and DualPipe directions are categories of their own", "[planner][svg]") {
  // Names as the runner writes them (sim/src/runner): "<unit>.<part>[.B|.W] [d1.]mb<k>".
  const std::string trace = R"({"traceEvents": [
    {"ph": "X", "pid": 0, "tid": 0, "ts": 0, "dur": 10, "cat": "compute", "name": "L3.attn mb0"},
    {"ph": "X", "pid": 0, "tid": 0, "ts": 20, "dur": 10, "cat": "compute", "name": "L3.mlp.B mb0"},
    {"ph": "X", "pid": 0, "tid": 0, "ts": 40, "dur": 10, "cat": "compute", "name": "L3.mlp.W d1.mb2"},
    {"ph": "X", "pid": 0, "tid": 0, "ts": 60, "dur": 10, "cat": "compute", "name": "L3.attn d1.mb2"},
    {"ph": "X", "pid": 0, "tid": 1, "ts": 0, "dur": 10, "cat": "dp_comm", "name": "DP"}
  ]})";
  const auto lanes = gantt_from_chrome_trace(trace, 0.0);
  REQUIRE(lanes.size() == 2);
  std::vector<std::string> cats;
  for (const auto& sl : lanes[0].slices) cats.push_back(sl.category);
  CHECK(cats == std::vector<std::string>{"compute F", "compute B", "compute W d1", "compute F d1"});
  const Checked c = check_svg(svg_gantt(lanes, 70));
  INFO(c.report);
  REQUIRE(c.ok);  // no overlapping texts either
  for (const char* label : {"forward", "backward (input grad.)", "weight grad., direction 1",
                            "forward, direction 1", "DP gradient sync"}) {
    CHECK(has(c.texts, label));
  }
  CHECK_FALSE(has(c.texts, "weight grad."));  // direction 0 of W is not drawn
  // Four distinct compute colours.
  std::vector<std::string> fills;
  for (const auto& r : c.rects) {
    if (r.w != 10 && std::find(fills.begin(), fills.end(), r.fill) == fills.end()) {
      fills.push_back(r.fill);
    }
  }
  CHECK(fills.size() == 5);
}

TEST_CASE("gantt: a zoomed window clips slices, drops idle lanes and labels micro-batches",
          "[planner][svg]") {
  // Window 100..200 us. Rank 0: mb3 forward 90-130 (clipped to 100-130), mb7 backward 130-190
  // in two pieces 1 us apart (joined), d1.mb12 weight gradient 190-190.9 (9 px: too narrow for
  // two digits); rank 1 works only before the window (dropped).
  const std::string trace = R"({"traceEvents": [
    {"ph": "X", "pid": 0, "tid": 0, "ts": 90, "dur": 40, "cat": "compute", "name": "L3.attn mb3"},
    {"ph": "X", "pid": 0, "tid": 0, "ts": 130, "dur": 29, "cat": "compute", "name": "L3.mlp.B mb7"},
    {"ph": "X", "pid": 0, "tid": 0, "ts": 160, "dur": 30, "cat": "compute", "name": "L3.attn.B mb7"},
    {"ph": "X", "pid": 0, "tid": 0, "ts": 190, "dur": 0.9, "cat": "compute", "name": "L3.mlp.W d1.mb12"},
    {"ph": "X", "pid": 0, "tid": 1, "ts": 150, "dur": 100, "cat": "ep_comm", "name": "dispatch"},
    {"ph": "X", "pid": 1, "tid": 0, "ts": 10, "dur": 50, "cat": "compute", "name": "L9.attn mb0"}
  ]})";
  GanttWindow zoom;
  zoom.from_us = 100;
  zoom.to_us = 200;
  zoom.label_micro_batches = true;
  const auto lanes = gantt_from_chrome_trace(trace, 1.5, zoom);
  REQUIRE(lanes.size() == 2);  // rank 1 has nothing in the window
  REQUIRE(lanes[0].slices.size() == 3);
  CHECK(lanes[0].slices[0].start_us == 100);
  CHECK(lanes[0].slices[0].end_us == 130);
  CHECK(lanes[0].slices[0].label == "3");
  CHECK(lanes[0].slices[1].end_us == 190);  // the two mb7 pieces joined
  CHECK(lanes[0].slices[1].label == "7");
  CHECK(lanes[0].slices[2].label == "12");
  CHECK(lanes[1].slices[0].end_us == 200);  // the payload clipped to the window
  CHECK(lanes[1].slices[0].label.empty());
  const Checked c = check_svg(svg_gantt(lanes, 1000, zoom));
  INFO(c.report);
  REQUIRE(c.ok);  // labels inside their slices: no overlaps
  CHECK(has(c.texts, "3"));
  CHECK(has(c.texts, "7"));
  CHECK_FALSE(has(c.texts, "12"));  // 9 px wide: no room for two digits and a margin
  // The axis starts at the window: the first slice starts at the plot's left edge.
  std::vector<Rect> slices;
  for (const auto& r : c.rects) {
    if (r.h > 5 && r.w != 10) slices.push_back(r);
  }
  REQUIRE(slices.size() == 4);
  CHECK(slices[0].w == Approx(300).margin(0.15));  // 30 of 100 us over 1000 px
  CHECK(slices[1].x == Approx(slices[0].x + 300).margin(0.15));
  CHECK(slices[3].w == Approx(500).margin(0.15));  // the payload, 150..200
}

TEST_CASE("stacked bars: segments in order, proportional, legend wraps without overlaps",
          "[planner][svg]") {
  std::vector<StackedBar> bars = {
      {"H800 <a&b>", {{"compute", 60}, {"bubble", 30}, {"exposed communication", 10}}, "ms"},
      {"H100", {{"compute", 50}, {"bubble", 0}, {"exposed communication", -5}}, ""}};
  // Many long segment names force the legend onto several rows.
  for (int i = 0; i < 12; ++i) {
    bars[1].segments.push_back({"a rather long segment name " + std::to_string(i), 1});
  }
  const Checked c = check_svg(svg_stacked_bars(bars, "ms per step", 95, "limit <95>"));
  INFO(c.report);
  REQUIRE(c.ok);
  CHECK(has(c.texts, "H800 <a&b>"));
  CHECK(has(c.texts, "limit <95>"));
  CHECK(has(c.texts, "100  ms"));  // total of the first bar, then its note
  std::vector<Rect> first;         // the first bar's three segments (y of row 0)
  for (const auto& r : c.rects) {
    if (r.h > 15 && (first.empty() || r.y == first.front().y)) first.push_back(r);
  }
  REQUIRE(first.size() == 3);
  CHECK(first[0].w == Approx(first[1].w * 2).margin(0.15));  // 60 vs 30
  CHECK(first[1].x == Approx(first[0].x + first[0].w).margin(0.15));
  CHECK(first[2].w == Approx(first[1].w / 3).margin(0.15));
  for (const auto& r : c.rects) CHECK(r.w >= 0);  // the negative segment drew nothing
}

TEST_CASE("gantt: empty and degenerate inputs stay well-formed", "[planner][svg]") {
  SECTION("no lanes") {
    const Checked c = check_svg(svg_gantt({}, 0));
    INFO(c.report);
    CHECK(c.ok);
  }
  SECTION("zero-length slice") {
    const Checked c = check_svg(svg_gantt({{"l", {{5, 5, "compute", ""}}}}, 5));
    INFO(c.report);
    CHECK(c.ok);
  }
}
