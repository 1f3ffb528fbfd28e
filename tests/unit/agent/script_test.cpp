#include "agent/script.h"

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace dockhand::agent;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

class ScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("agent_script_test_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ / "templates");
    cv::Mat img(12, 30, CV_8UC3, cv::Scalar(200, 200, 200));
    cv::imwrite((dir_ / "templates" / "ok.png").string(), img);
    std::ofstream(dir_ / "templates" / "not-an-image.png") << "hello";
  }
  void TearDown() override { fs::remove_all(dir_); }

  LoadResult parse(const std::string& text) { return parse_script(json::parse(text), dir_); }

  static std::string all(const std::vector<Problem>& ps) {
    std::string s;
    for (const auto& p : ps) s += p.str() + "\n";
    return s;
  }
  static bool has(const std::vector<Problem>& ps, const std::string& path, const std::string& part) {
    for (const auto& p : ps)
      if (p.path == path && p.message.find(part) != std::string::npos) return true;
    return false;
  }

  fs::path dir_;
};

const char* kGood = R"({
  "name": "erp-closeout", "window": "Legacy ERP",
  "vars": { "po": { "pattern": "^[A-Z0-9]{8}$" }, "note": { "required": false } },
  "defaults": { "timeout_ms": 5000, "score": 0.85, "scales": [1.0, 1.25] },
  "handlers": [ { "name": "session", "when": { "text": "Session expired" }, "do": [ { "click": { "text": "OK" } } ] } ],
  "steps": [
    { "wait": { "image": "templates/ok.png", "scale": [1.0, 1.5] } },
    { "click": { "text": "Pre-tender", "timeout_ms": 2000 } },
    { "click": { "right_of": { "text": "PO number" }, "offset": [90, 0] } },
    { "type": { "text": "${po}", "clear": true } },
    { "key": "Enter" },
    { "wait": { "any": [ { "text": "Status:" }, { "text": "PO not found" } ] } },
    { "if": { "exists": { "text": "PO not found", "within": { "point": [0, 0] } } },
      "then": [ { "fail": { "reason": "PO not found: ${po}", "category": "business" } } ] },
    { "read": { "var": "status", "right_of": { "text": "Status:" }, "size": [160, 22], "expect": "^(Open|Finalized)$" } },
    { "if": { "var": "status", "equals": "Finalized" }, "then": [ { "done": "already finalized" } ],
      "else": [ { "wait": { "ms": 10 } } ] },
    { "double_click": { "image": "templates/ok.png", "score": 0.95 } },
    { "wait_vanish": { "text": "Loading..." } },
    { "read": { "var": "reference", "below": { "text": "Reference:" }, "pattern": "PT-[0-9]{6}" } },
    { "assert": { "var": "reference", "matches": "^PT-", "reason": "no reference", "category": "application" } },
    { "focus_window": "Legacy ERP" },
    { "launch": { "command": ["true", "${po}"], "window": "Legacy ERP" } },
    { "right_click": { "point": [10, 20] } },
    { "wait": { "stable_ms": 300 } },
    { "done": { "message": "finalized ${reference}" } }
  ],
  "outputs": [ "reference" ] })";

}  // namespace

TEST_F(ScriptTest, ParsesEveryStepKind) {
  auto r = parse(kGood);
  ASSERT_TRUE(r.ok()) << all(r.problems);
  const auto& s = *r.script;
  EXPECT_EQ(s.name, "erp-closeout");
  EXPECT_EQ(s.window, "Legacy ERP");
  EXPECT_EQ(s.defaults.timeout_ms, 5000);
  EXPECT_DOUBLE_EQ(s.defaults.score, 0.85);
  ASSERT_EQ(s.steps.size(), 18u);
  EXPECT_EQ(s.steps[0].kind, Step::Kind::Wait);
  EXPECT_EQ(s.steps[0].locator->kind, Locator::Kind::Image);
  EXPECT_EQ(s.steps[0].locator->image_file, dir_ / "templates/ok.png");
  EXPECT_EQ(s.steps[0].locator->scales, (std::vector<double>{1.0, 1.5}));
  EXPECT_EQ(s.steps[1].timeout_ms, 2000);
  EXPECT_EQ(s.steps[2].locator->kind, Locator::Kind::Anchored);
  EXPECT_EQ(s.steps[2].locator->anchor, Locator::Anchor::RightOf);
  EXPECT_EQ(s.steps[2].locator->offset_x, 90);
  EXPECT_TRUE(s.steps[3].clear);
  EXPECT_EQ(s.steps[4].text, "Enter");
  EXPECT_EQ(s.steps[5].any.size(), 2u);
  EXPECT_EQ(s.steps[6].kind, Step::Kind::If);
  ASSERT_EQ(s.steps[6].then_steps.size(), 1u);
  EXPECT_EQ(s.steps[6].then_steps[0].kind, Step::Kind::Fail);
  EXPECT_EQ(s.steps[6].then_steps[0].category, "business");
  EXPECT_EQ(s.steps[6].then_steps[0].path, "steps[6].then[0].fail");
  EXPECT_EQ(s.steps[7].var, "status");
  EXPECT_TRUE(s.steps[7].expect->full_match("Finalized"));
  EXPECT_EQ(s.steps[8].condition.kind, Condition::Kind::VarEquals);
  EXPECT_EQ(s.steps[8].else_steps.size(), 1u);
  EXPECT_EQ(s.steps[9].kind, Step::Kind::DoubleClick);
  EXPECT_EQ(s.steps[11].locator->anchor, Locator::Anchor::Below);
  EXPECT_EQ(s.steps[11].pattern, "PT-[0-9]{6}");
  EXPECT_EQ(s.steps[14].command, (std::vector<std::string>{"true", "${po}"}));
  EXPECT_EQ(s.steps[15].locator->kind, Locator::Kind::Point);
  EXPECT_EQ(s.steps[16].stable_ms, 300);
  ASSERT_EQ(s.handlers.size(), 1u);
  EXPECT_EQ(s.handlers[0].when.text, "Session expired");
  EXPECT_EQ(s.outputs, std::vector<std::string>{"reference"});
}

TEST_F(ScriptTest, ReportsEveryProblemWithItsPath) {
  auto r = parse(R"({
    "vars": { "po": { "pattern": "^[A-Z0-9]{8}$" }, "bad": { "pattern": "([" } },
    "handlers": [ { "when": { "image": "templates/gone.png" }, "do": [ { "press": "x" } ] } ],
    "steps": [
      { "clik": { "text": "Orders" } },
      { "click": { "image": "templates/missing.png" } },
      { "click": { "image": "templates/not-an-image.png" } },
      { "read": { "var": "status", "right_of": { "text": "Status:" }, "expect": "^(Open" } },
      { "type": "${carrier}" },
      { "wait": { "text": "Done", "timout_ms": 5 } },
      { "click": { "text": "A", "image": "templates/ok.png" } },
      { "click": {} },
      { "if": { "var": "nope", "equals": "x" } },
      { "assert": { "var": "status", "equals": "Open", "category": "maybe" } },
      { "click": { "text": "${undefined_too}" }, "comment": "fine" },
      "click"
    ],
    "outputs": [ "reference" ],
    "extra": 1 })");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.script, nullptr);
  const auto& ps = r.problems;
  EXPECT_TRUE(has(ps, "vars.bad.pattern", "bad regex")) << all(ps);
  EXPECT_TRUE(has(ps, "handlers[0].when.image", "template file not found: templates/gone.png")) << all(ps);
  EXPECT_TRUE(has(ps, "handlers[0].do[0].press", "unknown step")) << all(ps);
  EXPECT_TRUE(has(ps, "steps[0].clik", "unknown step")) << all(ps);
  EXPECT_TRUE(has(ps, "steps[1].click.image", "template file not found: templates/missing.png")) << all(ps);
  EXPECT_TRUE(has(ps, "steps[2].click.image", "not a readable image")) << all(ps);
  EXPECT_TRUE(has(ps, "steps[3].read.expect", "bad regex")) << all(ps);
  EXPECT_TRUE(has(ps, "steps[4].type", "undefined variable ${carrier}")) << all(ps);
  EXPECT_TRUE(has(ps, "steps[5].wait.timout_ms", "unknown field")) << all(ps);
  EXPECT_TRUE(has(ps, "steps[6].click", "found several")) << all(ps);
  EXPECT_TRUE(has(ps, "steps[7].click", "needs one of")) << all(ps);
  EXPECT_TRUE(has(ps, "steps[8]", "needs \"then\"")) << all(ps);
  EXPECT_TRUE(has(ps, "steps[8].if.var", "undefined variable \"nope\"")) << all(ps);
  EXPECT_TRUE(has(ps, "steps[9].assert.category", "business")) << all(ps);
  EXPECT_TRUE(has(ps, "steps[10].click.text", "undefined variable ${undefined_too}")) << all(ps);
  EXPECT_TRUE(has(ps, "steps[11]", "must be an object")) << all(ps);
  EXPECT_TRUE(has(ps, "outputs[0]", "undefined variable \"reference\"")) << all(ps);
  EXPECT_TRUE(has(ps, "extra", "unknown field")) << all(ps);
}

TEST_F(ScriptTest, ReadVarsAreDefinedForLaterReferences) {
  auto r = parse(R"({ "steps": [
      { "read": { "var": "ref", "text": "Reference:" } },
      { "type": "${ref}" } ], "outputs": ["ref"] })");
  EXPECT_TRUE(r.ok()) << all(r.problems);
}

TEST_F(ScriptTest, SetDefinesAVariableAndReadEqualsIsChecked) {
  auto r = parse(R"({ "vars": { "po": {} }, "steps": [
      { "set": { "var": "already_done", "value": "true for ${po}" } },
      { "read": { "var": "shown", "text": "PO:", "equals": "${po}" } },
      { "done": "${already_done}" } ], "outputs": ["already_done"] })");
  ASSERT_TRUE(r.ok()) << all(r.problems);
  EXPECT_EQ(r.script->steps[0].kind, Step::Kind::Set);
  EXPECT_EQ(r.script->steps[0].var, "already_done");
  EXPECT_EQ(r.script->steps[0].text, "true for ${po}");
  ASSERT_TRUE(r.script->steps[1].equals.has_value());
  EXPECT_EQ(*r.script->steps[1].equals, "${po}");

  auto bad = parse(R"({ "steps": [
      { "set": { "var": "1x", "value": "${nope}", "colour": "red" } },
      { "set": { "value": "x" } },
      { "read": { "var": "v", "text": "PO:", "equals": "${missing}" } } ] })");
  EXPECT_TRUE(has(bad.problems, "steps[0].set.var", "not a valid variable name")) << all(bad.problems);
  EXPECT_TRUE(has(bad.problems, "steps[0].set.value", "undefined variable ${nope}")) << all(bad.problems);
  EXPECT_TRUE(has(bad.problems, "steps[0].set.colour", "unknown field")) << all(bad.problems);
  EXPECT_TRUE(has(bad.problems, "steps[1].set", "missing required field \"var\"")) << all(bad.problems);
  EXPECT_TRUE(has(bad.problems, "steps[2].read.equals", "undefined variable ${missing}")) << all(bad.problems);
}

TEST_F(ScriptTest, LoadReportsMissingFileAndBadJson) {
  auto missing = load_script(dir_ / "nope.json");
  ASSERT_EQ(missing.problems.size(), 1u);
  EXPECT_NE(missing.problems[0].message.find("cannot read"), std::string::npos);
  std::ofstream(dir_ / "bad.json") << "{ \"steps\": [ ";
  auto bad = load_script(dir_ / "bad.json");
  ASSERT_EQ(bad.problems.size(), 1u);
  EXPECT_NE(bad.problems[0].message.find("not valid JSON"), std::string::npos);
}

TEST_F(ScriptTest, LoadResolvesTemplatesBesideTheScript) {
  std::ofstream(dir_ / "script.json") << R"({ "steps": [ { "click": { "image": "templates/ok.png" } } ] })";
  auto r = load_script(dir_ / "script.json");
  ASSERT_TRUE(r.ok()) << all(r.problems);
  EXPECT_TRUE(fs::exists(r.script->steps[0].locator->image_file));
}

TEST_F(ScriptTest, CheckVarsListsMissingBadAndUnknownValues) {
  auto r = parse(R"({ "vars": { "po": { "pattern": "^[A-Z0-9]{8}$" }, "carrier": {},
                                 "mode": { "default": "fast" }, "opt": { "required": false } },
                      "steps": [ { "done": "x" } ] })");
  ASSERT_TRUE(r.ok()) << all(r.problems);
  Vars resolved;
  auto ps = check_vars(*r.script, {{"po", "abc"}, {"colour", "red"}}, &resolved);
  EXPECT_TRUE(has(ps, "vars.po", "does not match")) << all(ps);
  EXPECT_TRUE(has(ps, "vars.carrier", "missing required variable")) << all(ps);
  EXPECT_TRUE(has(ps, "vars.colour", "not a variable of this script")) << all(ps);
  EXPECT_EQ(ps.size(), 3u) << all(ps);

  ps = check_vars(*r.script, {{"po", "4XK29QZ1"}, {"carrier", "{ENTER}"}}, &resolved);
  EXPECT_TRUE(ps.empty()) << all(ps);
  EXPECT_EQ(resolved.at("mode"), "fast");
  EXPECT_EQ(resolved.at("opt"), "");
  EXPECT_EQ(resolved.at("carrier"), "{ENTER}");
}

TEST(Substitute, ValuesAreInsertedLiterallyAndNeverReExpanded) {
  Vars vars = {{"a", "{ENTER}"}, {"b", "line1\\nline2"}, {"c", "100%s"}, {"d", "${a}"}, {"e", "x\ny"}};
  EXPECT_EQ(substitute("${a}", vars), "{ENTER}");
  EXPECT_EQ(substitute("${b}", vars), "line1\\nline2");
  EXPECT_EQ(substitute("${c}", vars), "100%s");
  EXPECT_EQ(substitute("${d}", vars), "${a}");  // not expanded a second time
  EXPECT_EQ(substitute("[${d}${a}]", vars), "[${a}{ENTER}]");
  EXPECT_EQ(substitute("${e}", vars), "x\ny");
  EXPECT_EQ(substitute("cost $$${c} and $${a}", vars), "cost $100%s and ${a}");
  EXPECT_EQ(substitute("plain $ sign {ENTER}", vars), "plain $ sign {ENTER}");
  EXPECT_THROW(substitute("${zzz}", vars), std::out_of_range);
}

TEST(Substitute, ReferencesListsNamesAndSkipsEscapes) {
  EXPECT_EQ(references("PO ${po} for ${carrier} $${not}"), (std::vector<std::string>{"po", "carrier"}));
  EXPECT_TRUE(references("no vars {ENTER} %s").empty());
}

TEST_F(ScriptTest, ReadFontIsResolvedBesideTheScriptAndAMissingOneIsRefused) {
  fs::copy_file("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", dir_ / "ui.ttf");
  std::ofstream(dir_ / "fake.ttf") << "not a font";
  auto r = parse(R"({ "steps": [
      { "read": { "var": "a", "text": "PO:", "pattern": "[A-Z0-9]{8}", "font": "ui.ttf" } },
      { "read": { "var": "b", "text": "PO:", "font": "none" } },
      { "read": { "var": "c", "text": "PO:" } } ], "outputs": ["a", "b", "c"] })");
  ASSERT_TRUE(r.ok()) << all(r.problems);
  EXPECT_EQ(r.script->steps[0].font, (dir_ / "ui.ttf").string());
  EXPECT_EQ(r.script->steps[1].font, "none");
  EXPECT_EQ(r.script->steps[2].font, "");
  auto bad = parse(R"({ "steps": [ { "read": { "var": "a", "text": "PO:", "font": "fonts/gone.ttf" } },
                                    { "read": { "var": "b", "text": "PO:", "font": "fake.ttf" } } ] })");
  EXPECT_TRUE(has(bad.problems, "steps[0].read.font", "font file not found: fonts/gone.ttf")) << all(bad.problems);
  EXPECT_TRUE(has(bad.problems, "steps[1].read.font", "not a font file")) << all(bad.problems);
}

// Issue 21: a script reads only files in its own folder (the recordings folder is all a job may reach).
TEST_F(ScriptTest, TemplatesStayInTheScriptsFolderNoAbsolutePathNoDotDotNoSymlinkOut) {
  auto outside = dir_.parent_path() / (dir_.filename().string() + "-outside");
  fs::create_directories(outside);
  cv::imwrite((outside / "elsewhere.png").string(), cv::Mat(12, 30, CV_8UC3, cv::Scalar(10, 10, 10)));
  fs::create_symlink(outside / "elsewhere.png", dir_ / "templates" / "link-out.png");
  fs::create_directory_symlink(outside, dir_ / "templates" / "dir-out");
  fs::create_symlink(dir_ / "templates" / "ok.png", dir_ / "templates" / "link-in.png");
  auto r = parse(R"({ "steps": [
      { "click": { "image": ")" + (outside / "elsewhere.png").string() + R"(" } },
      { "click": { "image": "../)" + outside.filename().string() + R"(/elsewhere.png" } },
      { "click": { "image": "templates/link-out.png" } },
      { "click": { "image": "templates/dir-out/elsewhere.png" } },
      { "click": { "image": "templates/link-in.png" } },
      { "read": { "var": "v", "right_of": { "image": "templates/ok.png" }, "size": [10, 10], "font": "../x.ttf" } } ] })");
  fs::remove_all(outside);
  EXPECT_TRUE(has(r.problems, "steps[0].click.image", "not an absolute path")) << all(r.problems);
  EXPECT_TRUE(has(r.problems, "steps[1].click.image", "\"..\"")) << all(r.problems);
  EXPECT_TRUE(has(r.problems, "steps[2].click.image", "symbolic link")) << all(r.problems);
  EXPECT_TRUE(has(r.problems, "steps[3].click.image", "symbolic link")) << all(r.problems);
  for (const auto& p : r.problems) EXPECT_NE(p.path, "steps[4].click.image") << "a link inside the folder is fine";
  EXPECT_TRUE(has(r.problems, "steps[5].read.font", "\"..\"")) << all(r.problems);
}

// ---- a script never means less than it says: fields the runner would ignore are errors, with their path ----

TEST_F(ScriptTest, FieldsThatMeanNothingForTheLocatorKindAreRefusedWithTheirPath) {
  auto r = parse(R"({ "window": "W", "steps": [
    { "read": { "var": "a", "point": [10, 20], "size": [100, 20] } },
    { "click": { "point": [5, 5], "size": [10, 10] } },
    { "click": { "region": [0, 0, 50, 20], "size": [10, 10] } },
    { "click": { "text": "OK", "size": [100, 20] } },
    { "click": { "point": [5, 5], "right_of": { "text": "Name" } } },
    { "click": { "region": [0, 0, 5, 5], "above": { "text": "Name" } } },
    { "click": { "text": "OK", "right_of": { "text": "A" }, "left_of": { "text": "B" } } },
    { "if": { "var": "a", "equals": "x", "timeout_ms": 100 }, "then": [] },
    { "read": { "var": "b", "region": [0, 0, 50, 20], "settle_ms": 100, "mismatch": "business" } },
    { "read": { "var": "c", "region": [0, 0, 50, 20], "pattern": "[0-9]+", "mismatch": "later" } },
    { "click": { "region": [0, 0, 0, 20] } }
  ] })");
  ASSERT_FALSE(r.ok());
  const auto& p = r.problems;
  EXPECT_TRUE(has(p, "steps[0].read.size", "a point locator has no size; use a region")) << all(p);
  EXPECT_TRUE(has(p, "steps[0].read.point", "a read needs an area")) << all(p);
  EXPECT_TRUE(has(p, "steps[1].click.size", "a point locator has no size; use a region")) << all(p);
  EXPECT_TRUE(has(p, "steps[2].click.size", "a region locator has its size in \"region\"")) << all(p);
  EXPECT_TRUE(has(p, "steps[3].click.size", "only with an anchor")) << all(p);
  EXPECT_TRUE(has(p, "steps[4].click.right_of", "right_of means nothing for it")) << all(p);
  EXPECT_TRUE(has(p, "steps[5].click.above", "above means nothing for it")) << all(p);
  EXPECT_TRUE(has(p, "steps[6].click.left_of", "one anchor per locator")) << all(p);
  EXPECT_TRUE(has(p, "steps[7].if.timeout_ms", "only applies to exists/absent")) << all(p);
  EXPECT_TRUE(has(p, "steps[8].read.settle_ms", "only applies with \"pattern\" or \"expect\"")) << all(p);
  EXPECT_TRUE(has(p, "steps[8].read.mismatch", "only applies with \"pattern\" or \"expect\"")) << all(p);
  EXPECT_TRUE(has(p, "steps[9].read.mismatch", "must be \"business\" or \"application\"")) << all(p);
  EXPECT_TRUE(has(p, "steps[10].click.region", "four whole numbers")) << all(p);
  EXPECT_EQ(p.size(), 13u) << all(p);
}

TEST_F(ScriptTest, RegionAndTheFourAnchorsParse) {
  auto r = parse(R"({ "window": "W", "steps": [
    { "read": { "var": "display", "region": [12, 40, 200, 24], "pattern": "^[0-9]+$", "mismatch": "business",
                "settle_ms": 500 } },
    { "click": { "above": { "text": "Name" }, "size": [80, 20], "offset": [0, -2] } },
    { "click": { "left_of": { "image": "templates/ok.png" } } },
    { "click": { "text": "Cancel", "left_of": { "image": "templates/ok.png" }, "size": [10, 40] } },
    { "click": { "text": "Title", "above": { "text": "Name" } } },
    { "click": { "point": [3, 4], "within": { "region": [10, 10, 100, 100] } } }
  ] })");
  ASSERT_TRUE(r.ok()) << all(r.problems);
  const auto& s = *r.script;
  const auto& read = s.steps[0];
  EXPECT_EQ(read.locator->kind, Locator::Kind::Region);
  EXPECT_EQ(read.locator->region_x, 12);
  EXPECT_EQ(read.locator->region_w, 200);
  EXPECT_TRUE(read.locator->fixed());
  EXPECT_EQ(read.mismatch, "business");
  EXPECT_EQ(read.settle_ms, 500);
  EXPECT_EQ(read.locator->describe(), "region [12, 40, 200, 24]");
  EXPECT_EQ(s.steps[1].locator->anchor, Locator::Anchor::Above);
  EXPECT_EQ(s.steps[1].locator->kind, Locator::Kind::Anchored);
  EXPECT_EQ(s.steps[2].locator->anchor, Locator::Anchor::LeftOf);
  EXPECT_EQ(s.steps[2].locator->describe(), "the area left of image \"templates/ok.png\"");
  EXPECT_EQ(s.steps[3].locator->kind, Locator::Kind::Text);
  EXPECT_EQ(s.steps[4].locator->anchor, Locator::Anchor::Above);
  EXPECT_FALSE(s.steps[5].locator->fixed());  // relative to its `within`
}

TEST_F(ScriptTest, DragHasWhereToPressAndEitherToOrBy) {
  auto r = parse(R"({ "steps": [
      { "drag": { "image": "templates/ok.png", "offset": [4, 0], "to": { "text": "Bin 7" }, "timeout_ms": 3000 } },
      { "drag": { "point": [10, 20], "by": { "dx": -40, "dy": 25 } } } ] })");
  ASSERT_TRUE(r.ok()) << all(r.problems);
  const auto& to = r.script->steps[0];
  EXPECT_EQ(to.kind, Step::Kind::Drag);
  EXPECT_STREQ(kind_name(to.kind), "drag");
  EXPECT_EQ(to.path, "steps[0].drag");
  ASSERT_TRUE(to.locator && to.drop);
  EXPECT_EQ(to.locator->kind, Locator::Kind::Image);
  EXPECT_EQ(to.locator->offset_x, 4);
  EXPECT_EQ(to.drop->kind, Locator::Kind::Text);
  EXPECT_EQ(to.drop->text, "Bin 7");
  EXPECT_EQ(to.drop->path, "steps[0].drag.to");
  EXPECT_EQ(to.timeout_ms, 3000);
  EXPECT_FALSE(to.by);
  const auto& by = r.script->steps[1];
  ASSERT_TRUE(by.locator && by.by);
  EXPECT_EQ(by.locator->kind, Locator::Kind::Point);
  EXPECT_EQ(*by.by, std::make_pair(-40, 25));
  EXPECT_FALSE(by.drop);
}

TEST_F(ScriptTest, ADragWithoutADropOrWithBothOrABadOneIsRefusedWithItsPath) {
  auto bad = parse(R"({ "steps": [
      { "drag": { "text": "Pallet" } },
      { "drag": { "text": "Pallet", "to": { "text": "Bin" }, "by": { "dx": 1, "dy": 1 } } },
      { "drag": { "text": "Pallet", "to": { "image": "templates/missing.png" } } },
      { "drag": { "text": "Pallet", "by": { "dx": 1.5, "dy": 2 } } },
      { "drag": { "text": "Pallet", "by": { "dx": 3 } } },
      { "drag": { "text": "Pallet", "by": [3, 4] } },
      { "drag": { "text": "Pallet", "by": { "dx": 0, "dy": 0 } } },
      { "drag": { "text": "Pallet", "by": { "dx": 1, "dy": 1, "dz": 1 } } },
      { "drag": { "to": { "text": "Bin" } } },
      { "drag": "Pallet" } ] })");
  EXPECT_FALSE(bad.ok());
  const auto& ps = bad.problems;
  EXPECT_TRUE(has(ps, "steps[0].drag", "needs where to release")) << all(ps);
  EXPECT_TRUE(has(ps, "steps[1].drag", "not both")) << all(ps);
  EXPECT_TRUE(has(ps, "steps[2].drag.to.image", "template file not found")) << all(ps);
  EXPECT_TRUE(has(ps, "steps[3].drag.by.dx", "whole number of pixels")) << all(ps);
  EXPECT_TRUE(has(ps, "steps[4].drag.by", "missing required field \"dy\"")) << all(ps);
  EXPECT_TRUE(has(ps, "steps[5].drag.by", "must be {\"dx\": N, \"dy\": N}")) << all(ps);
  EXPECT_TRUE(has(ps, "steps[6].drag.by", "goes nowhere")) << all(ps);
  EXPECT_TRUE(has(ps, "steps[7].drag.by.dz", "unknown field")) << all(ps);
  EXPECT_TRUE(has(ps, "steps[8].drag", "a locator needs one of")) << all(ps);
  EXPECT_TRUE(has(ps, "steps[9].drag", "must be a locator object")) << all(ps);
}
