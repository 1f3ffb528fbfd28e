#include "agent/run/evidence.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <spdlog/spdlog.h>

#include "drivers/platform.h"


#include <ctime>
#include <fstream>

namespace dockhand::agent::run {

namespace fs = std::filesystem;

fs::path write_evidence(const fs::path& evidence_dir, const std::string& script_name, const Failure& f,
                        const EvidenceShots& shots) {
  auto now = std::chrono::system_clock::now();
  // UTC date and time from <chrono>'s calendar types: the C library's thread-safe conversions differ by platform.
  auto day = std::chrono::floor<std::chrono::days>(now);
  std::chrono::year_month_day date{day};
  std::chrono::hh_mm_ss time{std::chrono::floor<std::chrono::milliseconds>(now - day)};
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%04d%02u%02uT%02d%02d%02d.%03dZ-%ld", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                static_cast<int>(time.seconds().count()), static_cast<int>(time.subseconds().count()),
                drivers::current_pid());
  std::string name = script_name;
  for (auto& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
  fs::path dir = evidence_dir / (name + "-" + stamp);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    spdlog::error("agent: cannot create evidence folder {}: {}", dir.string(), ec.message());
    return dir;
  }
  try {
    if (!shots.screen.empty()) {
      cv::Rect screen(0, 0, shots.screen.cols, shots.screen.rows);
      cv::Mat bgr;
      cv::cvtColor(shots.screen, bgr, cv::COLOR_BGRA2BGR);
      const cv::Rect searched = f.searched ? *f.searched & screen : cv::Rect();
      if (!searched.empty()) {
        cv::imwrite((dir / "searched.png").string(), bgr(searched));
        // Outlined just outside the area, so every pixel that was read stays as it was.
        if (searched != screen) {
          cv::Mat marked = bgr.clone();
          cv::Rect outline(searched.x - 2, searched.y - 2, searched.width + 4, searched.height + 4);
          cv::rectangle(marked, outline, cv::Scalar(0, 0, 255), 2);
          bgr = marked;
        }
      }
      cv::imwrite((dir / "screen.png").string(), bgr);
      if (!shots.trigger.empty()) {
        cv::Mat t;
        cv::cvtColor(shots.trigger, t, cv::COLOR_BGRA2BGR);
        cv::imwrite((dir / "trigger.png").string(), t);
      }
    }
    if (!shots.looked_for_file.empty())
      fs::copy_file(shots.looked_for_file, dir / "looked-for.png", fs::copy_options::overwrite_existing, ec);
  } catch (const cv::Exception& e) {
    spdlog::error("agent: writing evidence images: {}", e.what());
  }
  return dir;
}

void write_result_json(const RunResult& r, const fs::path& script_file, const nlohmann::json& details) {
  nlohmann::json j = r.to_json();
  j["script"] = script_file.string();
  j["looked_for"] = nullptr;
  if (details.is_object())
    for (const auto& [key, value] : details.items()) j[key] = value;
  std::ofstream out(fs::path(r.evidence) / "result.json");
  out << j.dump(2) << "\n";
}

}  // namespace dockhand::agent::run
