// Emails per second per core that `extract` manages over the generated corpus (tests/unit/intake-corpus/
// generate.py: every layout, encodings, CSV/PDF/XLSX attachments, near misses) and the hand-written
// fixtures (quarantined ones included: they cost time too). Beside it, the plain way: the GMime parse alone that any extractor has to pay, and
// the ratio. Prints medians of several runs, single thread.
#include "routing_request.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

void load(const fs::path& dir, std::vector<std::string>& out) {
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".eml") continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    out.push_back(ss.str());
  }
}

// CPU time of this thread: "per core" even on a machine shared with other work (wall time is printed too).
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

template <typename F>
double median_rate(const std::vector<std::string>& mails, int runs, int rounds, F&& work, double* wall_rate = nullptr) {
  std::vector<double> rates, walls;
  for (int r = 0; r < runs; ++r) {
    auto t0 = Clock::now();
    double c0 = thread_cpu_seconds();
    std::size_t n = 0;
    for (int k = 0; k < rounds; ++k)
      for (const auto& m : mails) {
        work(m);
        ++n;
      }
    double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    rates.push_back(double(n) / (thread_cpu_seconds() - c0));
    walls.push_back(double(n) / secs);
  }
  std::sort(rates.begin(), rates.end());
  std::sort(walls.begin(), walls.end());
  if (wall_rate) *wall_rate = walls[walls.size() / 2];
  return rates[rates.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help") {
    std::printf("usage: bench_intake_extract EMAIL_DIR... [--runs N]\n");
    return argc < 2 ? 2 : 0;
  }
  std::vector<std::string> mails;
  int runs = 7;
  std::string dirs;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--runs" && i + 1 < argc) {
      runs = std::atoi(argv[++i]);
      continue;
    }
    load(argv[i], mails);
    dirs += (dirs.empty() ? "" : " + ") + std::string(argv[i]);
  }
  if (mails.empty()) {
    std::fprintf(stderr, "no .eml files in %s\n", dirs.c_str());
    return 2;
  }
  g_mime_init();
  std::size_t bytes = 0;
  for (const auto& m : mails) bytes += m.size();
  std::size_t routing = 0, other = 0, quarantined = 0;
  for (const auto& m : mails) {
    try {
      (dockhand::intake::extract(m).is_routing_request() ? routing : other)++;
    } catch (const dockhand::intake::QuarantineError&) {
      ++quarantined;
    }
  }
  volatile std::size_t sink = 0;
  double extract_wall = 0;
  double extract_rate = median_rate(mails, runs, 3, [&](const std::string& m) {
    try {
      sink = sink + dockhand::intake::extract(m).purchase_orders.size();
    } catch (const dockhand::intake::QuarantineError&) {
      sink = sink + 1;
    }
  }, &extract_wall);
  double parse_rate = median_rate(mails, runs, 3, [&](const std::string& m) {
    GMimeStream* stream = g_mime_stream_mem_new_with_buffer(m.data(), m.size());
    GMimeParser* parser = g_mime_parser_new_with_stream(stream);
    GMimeMessage* msg = g_mime_parser_construct_message(parser, nullptr);
    if (msg) g_object_unref(msg);
    g_object_unref(parser);
    g_object_unref(stream);
  });
  std::printf("intake extract benchmark: %s\n  %zu emails (%zu routing, %zu other, %zu quarantined), %.1f KB total, %d runs x 3 rounds, 1 thread\n",
              dirs.c_str(), mails.size(), routing, other, quarantined, bytes / 1024.0, runs);
  std::printf("  extract (classify + extract), median : %10.0f emails/s/core (per CPU second)   goal 1000   ratio to goal %.1fx\n",
              extract_rate, extract_rate / 1000.0);
  std::printf("  the same by wall clock (machine load counts), median : %10.0f emails/s\n", extract_wall);
  std::printf("  plain way: GMime parse only, median  : %10.0f emails/s/core   extract costs %.1fx the parse alone\n",
              parse_rate, parse_rate / extract_rate);
  return 0;
}
