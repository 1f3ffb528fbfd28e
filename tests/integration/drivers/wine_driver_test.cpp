// The win32 driver under Wine, end to end: the Windows programs (probe_window.exe, driver_cli.exe, built by the
// mingw-w64 cross build) run in a fresh Wine prefix on a private Xvfb (scripts/with-xvfb.sh + with-wine.sh).
// The test captures the screen through the driver, finds the probe's pattern with the project's vision code
// (here on Linux: OpenCV and Tesseract have no mingw builds), clicks the button it found, types Unicode text,
// and reads the probe's state file to see that each action landed.
//   drivers_wine_test --win32-bin DIR [gtest options]
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <opencv2/imgcodecs.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/drivers/win32/probe_layout.h"
#include "vision/vision.h"

namespace {

namespace fs = std::filesystem;
namespace probe = dockhand::drivers::probe;
using Clock = std::chrono::steady_clock;

// Generous: a Wine program start on a loaded 2-core machine takes seconds, not the 0.3 s it takes idle.
constexpr auto kDeadline = std::chrono::seconds(120);

fs::path g_bin;  // where the .exe files are
fs::path g_tmp;  // scratch, inside with-wine.sh's temporary folder

std::string windows_path(const fs::path& p) {  // Wine maps the Unix root to drive Z:
  std::string s = "Z:" + p.string();
  for (char& c : s)
    if (c == '/') c = '\\';
  return s;
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

struct Result {
  int rc = -1;
  std::string out, err;
};

// Runs one of the .exe files under Wine and waits for it (with a hard timeout, so a hung program fails the test).
Result run_exe(const std::string& exe, const std::vector<std::string>& args) {
  std::string cmd = "timeout -k 10 " + std::to_string(kDeadline.count()) + " wine " + quote((g_bin / exe).string());
  for (const auto& a : args) cmd += " " + quote(a);
  fs::path err = g_tmp / "cli.err";
  cmd += " 2>" + quote(err.string());
  Result r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p))
    for (std::size_t i = 0; i < n; ++i)
      if (buf[i] != '\r') r.out += buf[i];  // the C runtime's text mode writes CR LF
  int status = pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream e(err);
  std::stringstream s;
  s << e.rdbuf();
  r.err = s.str();
  return r;
}

Result cli(const std::vector<std::string>& args) { return run_exe("driver_cli.exe", args); }

std::string show(const Result& r) { return "rc=" + std::to_string(r.rc) + " out: " + r.out + " err: " + r.err; }

// A Windows program started in the background under Wine, killed when the test is done with it.
class WineProcess {
 public:
  explicit WineProcess(const std::vector<std::string>& args) {
    pid_ = fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      std::vector<std::string> all{"wine"};
      all.insert(all.end(), args.begin(), args.end());
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      execvp("wine", argv.data());
      _exit(127);
    }
  }
  ~WineProcess() { stop(); }
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

using State = std::map<std::string, std::string>;

State read_state(const fs::path& file) {
  State s;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line))
    if (auto eq = line.find('='); eq != std::string::npos) s[line.substr(0, eq)] = line.substr(eq + 1);
  return s;
}

// Waits until the probe's state satisfies `ok` (the file is replaced atomically on every change).
State await_state(const fs::path& file, const std::function<bool(const State&)>& ok, const std::string& what) {
  auto deadline = Clock::now() + kDeadline;
  State s;
  while (Clock::now() < deadline) {
    s = read_state(file);
    if (ok(s)) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::string last;
  for (auto& [k, v] : s) last += k + "=" + v + "; ";
  ADD_FAILURE() << "the probe's state never showed " << what << " within " << kDeadline.count() << " s; last: " << last;
  return s;
}

cv::Rect box(const std::string& s) {
  cv::Rect r;
  std::sscanf(s.c_str(), "%d,%d,%d,%d", &r.x, &r.y, &r.width, &r.height);
  return r;
}

dockhand::vision::Pattern known_pattern() {
  dockhand::vision::Pattern p;
  p.image = cv::Mat(probe::kPattern.h, probe::kPattern.w, CV_8UC3);
  for (int y = 0; y < probe::kPattern.h; ++y)
    for (int x = 0; x < probe::kPattern.w; ++x) {
      std::uint32_t rgb = probe::pattern_rgb(x, y);
      p.image.at<cv::Vec3b>(y, x) = cv::Vec3b(rgb & 0xff, (rgb >> 8) & 0xff, (rgb >> 16) & 0xff);
    }
  p.source = "probe_layout.h pattern";
  return p;
}

// Captures through the driver (method "" = automatic) into a BMP and loads it.
cv::Mat capture(const std::string& method, Result* result = nullptr, const std::string& region = "") {
  fs::path file = g_tmp / ("capture-" + (method.empty() ? std::string("auto") : method) + ".bmp");
  fs::remove(file);
  std::vector<std::string> args{"capture", "--out", windows_path(file)};
  if (!method.empty()) args.insert(args.end(), {"--method", method});
  if (!region.empty()) args.insert(args.end(), {"--region", region});
  Result r = cli(args);
  if (result) *result = r;
  if (r.rc != 0) return {};
  return cv::imread(file.string(), cv::IMREAD_COLOR);
}

class WineDriver : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    state_a_ = g_tmp / "probe-a.txt";
    probe_a_ = std::make_unique<WineProcess>(std::vector<std::string>{
        (g_bin / "probe_window.exe").string(), "--title", "Dockhand probe A", "--state", windows_path(state_a_),
        "--at", "100,100"});
    auto s = await_state(state_a_, [](const State& s) { return s.count("ready"); }, "ready=1");
    ASSERT_TRUE(s.count("ready")) << "the probe window did not start";
  }
  static void TearDownTestSuite() { probe_a_.reset(); }

  static State state() { return read_state(state_a_); }

  // Finds the probe's pattern on a full capture with the vision code; its place, in screen pixels.
  static cv::Rect find_pattern(const cv::Mat& frame) {
    dockhand::vision::FindOptions options;
    options.min_score = 0.99;  // the capture is pixel-exact: nothing less will do
    auto match = dockhand::vision::find(frame, known_pattern(), options);
    if (!match) return {};
    EXPECT_GE(match->score, 0.99);
    return match->region;
  }

  static inline fs::path state_a_;
  static inline std::unique_ptr<WineProcess> probe_a_;
};

TEST_F(WineDriver, SelfTestOfKeyEventsDpiAndSessionPasses) {
  Result r = cli({"selftest"});
  EXPECT_EQ(r.rc, 0) << show(r);
  EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
}

// drivers/platform.h's Windows side: launch a program and see its exit code, arguments (the C runtime's quoting),
// pid and environment; terminate; pid, host name, a loaded DLL's function, a socket's peer; the stop request.
TEST(WinePlatform, ProcessesPidHostNameAndPeerAddress) {
  fs::path dir = g_tmp / "platform";
  fs::create_directories(dir);
  Result r = run_exe("platform_check.exe", {"check", windows_path(dir)});
  EXPECT_EQ(r.rc, 0) << show(r);
  EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ok   launch_process"), std::string::npos) << r.out;
  std::cout << r.out;  // the skip line, if any, says what Wine could not check
}

TEST_F(WineDriver, FindsTheProbeWindowWithTheClientRectItReports) {
  Result r = cli({"find", "Dockhand probe A", "--method", "gdi"});
  ASSERT_EQ(r.rc, 0) << show(r);
  EXPECT_NE(r.out.find("client=" + state()["client"] + " "), std::string::npos)
      << "driver says: " << r.out << "the window says client=" << state()["client"];
  Result missing = cli({"find", "No such window title", "--method", "gdi"});
  EXPECT_EQ(missing.rc, 1) << show(missing);
}

TEST_F(WineDriver, GdiCaptureShowsThePatternWhereTheWindowPaintedIt) {
  Result r;
  cv::Mat frame = capture("gdi", &r);
  ASSERT_FALSE(frame.empty()) << show(r);
  EXPECT_EQ(frame.cols, 1920);
  EXPECT_EQ(frame.rows, 1080);
  cv::Rect pattern = box(state()["pattern"]);
  EXPECT_EQ(find_pattern(frame), pattern);
  // The pattern's top-left two pixels are black: a black region of a live screen is a frame, not an error.
  Result dark;
  cv::Mat corner = capture("gdi", &dark, std::to_string(pattern.x) + "," + std::to_string(pattern.y) + ",2,1");
  ASSERT_EQ(dark.rc, 0) << show(dark);
  EXPECT_EQ(cv::norm(corner, cv::NORM_INF), 0) << "those two pixels are black";
}

TEST_F(WineDriver, RegionCaptureHasTheSamePixelsAsTheWholeScreen) {
  cv::Mat whole = capture("gdi");
  ASSERT_FALSE(whole.empty());
  cv::Rect client = box(state()["client"]);
  Result r;
  cv::Mat part = capture("gdi", &r, std::to_string(client.x) + "," + std::to_string(client.y) + "," +
                                        std::to_string(client.width) + "," + std::to_string(client.height));
  ASSERT_FALSE(part.empty()) << show(r);
  ASSERT_EQ(part.size(), client.size());
  EXPECT_EQ(cv::norm(part, whole(client), cv::NORM_INF), 0);
}

TEST_F(WineDriver, DxgiCaptureOrTheGdiFallback) {
  Result dxgi;
  cv::Mat frame = capture("dxgi", &dxgi);
  if (dxgi.rc == 0) {
    EXPECT_EQ(find_pattern(frame), box(state()["pattern"])) << "DXGI frame";
    return;
  }
  ASSERT_EQ(dxgi.rc, 3) << "DXGI must either work or say it is unavailable: " << show(dxgi);
  // Automatic choice: DXGI is unavailable, so the driver falls back to GDI, and that is what captures here.
  Result automatic;
  cv::Mat fallback = capture("", &automatic);
  ASSERT_FALSE(fallback.empty()) << show(automatic);
  EXPECT_NE(automatic.err.find("capturing with GDI"), std::string::npos) << automatic.err;
  EXPECT_EQ(find_pattern(fallback), box(state()["pattern"]));
  GTEST_SKIP() << "DXGI Desktop Duplication is unavailable under this Wine (" << dxgi.err
               << "); the GDI fallback is what was tested, and the automatic choice fell back to it";
}

TEST_F(WineDriver, PointerMovesLandOnTheExactPixel) {
  // Not 0,0 first: a fresh Wine session believes the pointer is at 0,0 while X has it mid-screen, so a first move
  // to 0,0 changes nothing in Wine's eyes and X's pointer is not warped (a Wine artefact; Windows has one truth).
  for (auto [x, y] : {std::pair{333, 777}, std::pair{0, 0}, std::pair{1919, 1079}, std::pair{1001, 3}}) {
    Result moved = cli({"move", std::to_string(x), std::to_string(y), "--method", "gdi"});
    ASSERT_EQ(moved.rc, 0) << show(moved);
    Result at = cli({"pointer", "--method", "gdi"});
    EXPECT_EQ(at.out, std::to_string(x) + "," + std::to_string(y) + "\n") << show(at);
  }
  Result off = cli({"move", "1920", "5", "--method", "gdi"});
  EXPECT_EQ(off.rc, 1) << "a point off the screen is an error: " << show(off);
}

TEST_F(WineDriver, ClickOnTheButtonFoundNextToThePatternLands) {
  cv::Mat frame = capture("gdi");
  ASSERT_FALSE(frame.empty());
  cv::Rect pattern = find_pattern(frame);
  ASSERT_FALSE(pattern.empty()) << "pattern not found on the capture";
  // The button sits at a fixed offset from the pattern in the probe's layout.
  int x = pattern.x + probe::kButton.x - probe::kPattern.x + probe::kButton.w / 2;
  int y = pattern.y + probe::kButton.y - probe::kPattern.y + probe::kButton.h / 2;
  int before = std::stoi(state()["clicks"]);
  Result r = cli({"click", std::to_string(x), std::to_string(y), "--method", "gdi"});
  ASSERT_EQ(r.rc, 0) << show(r);
  await_state(state_a_, [&](const State& s) { return s.at("clicks") == std::to_string(before + 1); },
              "clicks=" + std::to_string(before + 1));
}

TEST_F(WineDriver, TypesUnicodeTextIntoTheEdit) {
  cv::Rect edit = box(state()["edit"]);
  Result focus = cli({"click", std::to_string(edit.x + edit.width / 2), std::to_string(edit.y + edit.height / 2),
                      "--method", "gdi"});
  ASSERT_EQ(focus.rc, 0) << show(focus);
  fs::path text = g_tmp / "text.txt";
  std::ofstream(text, std::ios::binary) << probe::kUnicodeText;
  Result typed = cli({"type-file", windows_path(text), "--method", "gdi"});
  ASSERT_EQ(typed.rc, 0) << show(typed);
  await_state(state_a_, [](const State& s) { return s.at("text") == probe::kUnicodeText; },
              "text=" + probe::kUnicodeText);

  // Chords: shift+Home selects the line (Home is an extended key), typing replaces it, BackSpace deletes.
  ASSERT_EQ(cli({"key", "shift+Home", "--method", "gdi"}).rc, 0);
  ASSERT_EQ(cli({"type-file", windows_path(text), "--method", "gdi"}).rc, 0);  // same text: must not double
  std::ofstream(text, std::ios::binary) << "{ENTER} ok";
  ASSERT_EQ(cli({"key", "shift+Home", "--method", "gdi"}).rc, 0);
  ASSERT_EQ(cli({"type-file", windows_path(text), "--method", "gdi"}).rc, 0);
  await_state(state_a_, [](const State& s) { return s.at("text") == "{ENTER} ok"; }, "text={ENTER} ok (typed literally)");
  ASSERT_EQ(cli({"key", "BackSpace", "--method", "gdi"}).rc, 0);
  await_state(state_a_, [](const State& s) { return s.at("text") == "{ENTER} o"; }, "text={ENTER} o");
}

TEST_F(WineDriver, ActivateBringsEachWindowToTheFront) {
  fs::path state_b = g_tmp / "probe-b.txt";
  WineProcess b({(g_bin / "probe_window.exe").string(), "--title", "Dockhand probe B", "--state",
                 windows_path(state_b), "--at", "700,400"});
  await_state(state_b, [](const State& s) { return s.count("ready"); }, "probe B ready");

  Result a = cli({"activate", "Dockhand probe A", "--method", "gdi"});
  ASSERT_EQ(a.rc, 0) << show(a);
  await_state(state_a_, [](const State& s) { return s.at("active") == "1"; }, "probe A active");
  await_state(state_b, [](const State& s) { return s.at("active") == "0"; }, "probe B inactive");
  Result front = cli({"active", "--method", "gdi"});
  EXPECT_NE(front.out.find("title=Dockhand probe A"), std::string::npos) << show(front);

  Result bb = cli({"activate", "Dockhand probe B", "--method", "gdi"});
  ASSERT_EQ(bb.rc, 0) << show(bb);
  await_state(state_b, [](const State& s) { return s.at("active") == "1"; }, "probe B active");
  await_state(state_a_, [](const State& s) { return s.at("active") == "0"; }, "probe A inactive");
}

TEST_F(WineDriver, ABlackScreenIsAnErrorNotAFrame) {
  auto black = std::make_unique<WineProcess>(std::vector<std::string>{(g_bin / "probe_window.exe").string(), "--black"});
  Result r;
  auto deadline = Clock::now() + kDeadline;
  do {  // the black window shows up asynchronously
    capture("gdi", &r);
  } while (r.rc == 0 && Clock::now() < deadline);
  EXPECT_EQ(r.rc, 1) << show(r);
  EXPECT_NE(r.err.find("is black"), std::string::npos) << r.err;
  // With the whole screen black, a black region is an error too (the driver then looks at the whole screen).
  Result region;
  capture("gdi", &region, "10,10,50,50");
  EXPECT_EQ(region.rc, 1) << show(region);
  black->stop();
  deadline = Clock::now() + kDeadline;
  do {
    capture("gdi", &r);
  } while (r.rc != 0 && Clock::now() < deadline);
  EXPECT_EQ(r.rc, 0) << "capture must work again once the screen shows something: " << show(r);
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--win32-bin") g_bin = argv[i + 1];
  if (g_bin.empty() || !fs::exists(g_bin / "driver_cli.exe") || !fs::exists(g_bin / "probe_window.exe") ||
      !fs::exists(g_bin / "platform_check.exe")) {
    std::fprintf(stderr, "drivers_wine_test: SKIPPED: no Windows test programs in '%s' (the mingw-w64 cross build "
                         "did not run: install g++-mingw-w64-x86-64-posix, scripts/setup.sh does)\n",
                 g_bin.c_str());
    return 77;
  }
  const char* tmp = std::getenv("DOCKHAND_WINE_TMP");
  if (!tmp) {
    std::fprintf(stderr, "drivers_wine_test: run under scripts/with-xvfb.sh -- scripts/with-wine.sh --\n");
    return 2;
  }
  g_tmp = fs::path(tmp) / "test";
  fs::create_directories(g_tmp);
  return RUN_ALL_TESTS();
}
