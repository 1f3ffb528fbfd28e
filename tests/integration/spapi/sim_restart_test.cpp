// The simulator with --state survives a crash (SIGKILL) and restart: transactions, shipments and the
// per-shipment submission counts carry over, which the chain's crash tests rely on.
// This test starts and stops the simulator itself (it must restart it); --exit-with-parent makes sure
// a crashed test cannot leave one behind.
#include "orchestrator/spapi/vendor_shipments.h"
#include "sample_payload.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

using namespace dockhand::spapi;
using namespace dockhand::spapi::testing;
namespace fs = std::filesystem;

namespace {

class SimProcess {
 public:
  SimProcess(const fs::path& state, const fs::path& dir) {
    const fs::path port_file = dir / "port";
    fs::remove(port_file);
    std::vector<std::string> args = {DOCKHAND_SPAPI_SIM_BIN, "--exit-with-parent", "--port", "0", "--port-file",
                                     port_file.string(), "--state", state.string()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], nullptr, nullptr, argv.data(), environ) != 0)
      throw std::runtime_error("cannot start " + args[0]);
    for (int i = 0; i < 600 && !fs::exists(port_file); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream in(port_file);
    if (!(in >> port_)) throw std::runtime_error("the simulator wrote no port");
  }
  ~SimProcess() { kill_now(); }
  void kill_now() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  nlohmann::json stats() const {
    httplib::Client c(url());
    auto r = c.Get("/_sim/stats");
    if (!r) throw std::runtime_error("no stats");
    return nlohmann::json::parse(r->body);
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

SpapiConfig config_for(const SimProcess& sim) {
  SpapiConfig c;
  c.endpoint = sim.url();
  c.lwa_endpoint = sim.url() + "/auth/o2/token";
  c.client_id = "id";
  c.client_secret = "secret-for-restart-test";
  c.refresh_token = "Atzr|refresh-for-restart-test";
  c.backoff_base = std::chrono::milliseconds(20);
  return c;
}

TEST(SimRestart, StateSurvivesAKill) {
  const fs::path dir = fs::temp_directory_path() / ("dockhand-sim-restart-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path state = dir / "state.json";
  std::string id;
  {
    SimProcess sim(state, dir);
    VendorShipmentsClient client(config_for(sim));
    id = client.submit_shipments(sample_body("DH-RESTART-ABE8"));
    EXPECT_EQ(client.get_transaction(id).status, "Processing");
    sim.kill_now();  // a crash: no chance to save anything more
  }
  {
    SimProcess sim(state, dir);
    VendorShipmentsClient client(config_for(sim));
    auto stats = sim.stats();
    EXPECT_EQ(stats["submissions"]["DH-RESTART-ABE8"], 1);
    EXPECT_EQ(stats["transactions"][id], "Processing");
    EXPECT_EQ(client.get_transaction(id).status, "Success") << "the poll count carried over";
    auto details = client.get_shipment_details("DH-RESTART-ABE8");
    ASSERT_TRUE(details.has_value());
    EXPECT_EQ((*details)["currentShipmentStatus"], "CarrierAssigned");
  }
  {
    // A state file that is not JSON is refused with a clear error rather than silently reset.
    std::ofstream(state) << "{not json";
    const std::string cmd = std::string(DOCKHAND_SPAPI_SIM_BIN) + " --port 0 --state " + state.string() + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    std::string out;
    char buf[256];
    while (fgets(buf, sizeof buf, p)) out += buf;
    EXPECT_NE(WEXITSTATUS(pclose(p)), 0);
    EXPECT_NE(out.find("not valid JSON"), std::string::npos) << out;
  }
  fs::remove_all(dir);
}

}  // namespace
