// The fleet over real ZeroMQ sockets on loopback, with in-process agents running the real worker loop.
// Heartbeats are 200 ms here (the default is 1 s) so that "dead after 3 missed" takes 0.6 s, not 3 s.
#include "fleet_harness.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>

using namespace fleet_test;
using dockhand::fleet::Fleet;
using dockhand::fleet::JobRequest;

namespace fs = std::filesystem;

namespace {

JobRequest job(const std::string& id, const std::string& app, std::map<std::string, std::string> vars = {}) {
  return JobRequest{id, app, app + "-closeout", std::move(vars), 0ms, false, ""};
}

struct Recorder {
  std::mutex mutex;
  std::vector<std::string> seen;  // "agent:job:attempt"
  void add(const std::string& agent, const Job& j) {
    std::lock_guard lock(mutex);
    seen.push_back(agent + ":" + j.job_id + ":" + std::to_string(j.attempt));
  }
  std::vector<std::string> all() {
    std::lock_guard lock(mutex);
    return seen;
  }
};

// An agent's job: noted in `rec`, done at once with the job's variables and the agent's name as outputs.
dockhand::protocol::JobExecutor echo_as(Recorder& rec, const std::string& name) {
  return [&rec, name](const Job& j, JobControl&) {
    rec.add(name, j);
    auto out = j.vars;
    out["agent"] = name;
    return ok_result(out);
  };
}

}  // namespace

TEST(Dispatch, JobsGoToAnAgentThatDrivesTheirProgram) {
  Fleet fleet(insecure_fleet());
  fleet.start();
  Recorder rec;
  auto echo = [&](const std::string& name) { return echo_as(rec, name); };
  TestAgent erp(agent_config(fleet.endpoint(), "vm-erp", {"erp"}), echo("vm-erp"));
  TestAgent opship(agent_config(fleet.endpoint(), "vm-opship", {"opship"}), echo("vm-opship"));
  ASSERT_TRUE(wait_until([&] { return fleet.agents().size() == 2; }));

  ASSERT_TRUE(fleet.submit(job("r1-opship", "opship", {{"shipment", "DH-1"}})));
  ASSERT_TRUE(fleet.submit(job("r1-erp", "erp", {{"po", "4X9K2PQ1"}})));
  std::map<std::string, dockhand::fleet::JobOutcome> got;
  for (int i = 0; i < 2; ++i) {
    auto o = fleet.next_outcome(10s);
    ASSERT_TRUE(o);
    got[o->job_id] = *o;
  }
  EXPECT_EQ(got["r1-erp"].outcome, Outcome::ok);
  EXPECT_EQ(got["r1-erp"].agent_id, "vm-erp");
  EXPECT_EQ(got["r1-erp"].outputs["po"], "4X9K2PQ1");
  EXPECT_EQ(got["r1-opship"].agent_id, "vm-opship");
  EXPECT_EQ(got["r1-opship"].outputs["agent"], "vm-opship");
  EXPECT_EQ(got["r1-erp"].attempts, 1);
  // The console's snapshot: no job, one done today each, heard from just now.
  for (const auto& a : fleet.agents()) {
    EXPECT_TRUE(a.job_script.empty()) << a.agent_id;
    EXPECT_EQ(a.done_today, 1) << a.agent_id;
    EXPECT_EQ(a.failed_today, 0) << a.agent_id;
    EXPECT_LT(std::chrono::system_clock::now() - a.last_heard, std::chrono::seconds(30)) << a.agent_id;
  }
}

TEST(Dispatch, TheSnapshotShowsAnAgentBusyWithItsJobThenIdle) {
  Fleet fleet(insecure_fleet(1000ms));  // "silent" after 2 s without a word: never under a loaded machine's delays
  fleet.start();
  std::atomic<bool> running{false}, release{false};
  auto hold = [&](const Job&, JobControl&) {
    running = true;
    wait_until([&] { return release.load(); });
    return ok_result();
  };
  TestAgent erp(agent_config(fleet.endpoint(), "vm-erp", {"erp"}, 1000ms), hold);
  ASSERT_TRUE(wait_until([&] { return fleet.agents().size() == 1; }));
  EXPECT_EQ(fleet.agents()[0].state, "idle");
  ASSERT_TRUE(fleet.submit(job("r9-erp", "erp")));
  ASSERT_TRUE(wait_until([&] { return running.load(); }));
  ASSERT_TRUE(wait_until([&] { return fleet.agents()[0].job_id == "r9-erp"; }));
  auto busy = fleet.agents()[0];
  EXPECT_EQ(busy.state, "busy");
  EXPECT_EQ(busy.job_script, "erp-closeout");
  release = true;
  ASSERT_TRUE(fleet.next_outcome(10s));
  auto idle = fleet.agents()[0];
  EXPECT_EQ(idle.state, "idle");
  EXPECT_EQ(idle.done_today, 1);
}

// Issue 10: an agent someone took over gets no job; the jobs go to the other agent (without the rule the fleet
// would alternate between the two idle agents, so one of the two jobs would land on the held one).
TEST(Dispatch, WhileAnAgentIsHeldItsJobsGoToAnotherAgent) {
  Fleet fleet(insecure_fleet());
  fleet.start();
  Recorder rec;
  TestAgent vm1(agent_config(fleet.endpoint(), "vm1", {"erp"}), echo_as(rec, "vm1"));
  TestAgent vm2(agent_config(fleet.endpoint(), "vm2", {"erp"}), echo_as(rec, "vm2"));
  ASSERT_TRUE(wait_until([&] { return fleet.agents().size() == 2; }));
  ASSERT_EQ(fleet.control("vm1", dockhand::protocol::Control{"takeover", "", {}, ""}, "console:dana"), "");
  EXPECT_EQ(fleet.agent("vm1")->state, "held");
  EXPECT_EQ(fleet.agent("vm1")->held_by, "console:dana");
  for (const char* id : {"h1-erp", "h2-erp"}) {
    ASSERT_TRUE(fleet.submit(job(id, "erp")));
    auto o = fleet.next_outcome(10s);
    ASSERT_TRUE(o);
    EXPECT_EQ(o->agent_id, "vm2") << id;
  }
  EXPECT_EQ(rec.all(), (std::vector<std::string>{"vm2:h1-erp:1", "vm2:h2-erp:1"}));
  EXPECT_EQ(fleet.control("vm1", dockhand::protocol::Control{"takeover", "", {}, ""}, "console:lee"),
            "already held by console:dana");
}

TEST(Dispatch, AJobWaitsUntilAnAgentThatCanDriveItJoins) {
  Fleet fleet(insecure_fleet());
  fleet.start();
  std::atomic<int> runs{0};
  auto count = [&](const Job&, JobControl&) {
    ++runs;
    return ok_result();
  };
  TestAgent erp(agent_config(fleet.endpoint(), "vm-erp", {"erp"}), count);
  ASSERT_TRUE(wait_until([&] { return fleet.agents().size() == 1; }));
  ASSERT_TRUE(fleet.submit(job("r2-opship", "opship")));
  EXPECT_FALSE(fleet.next_outcome(700ms)) << "an agent that cannot drive OpShip got the job";
  EXPECT_EQ(runs, 0);
  TestAgent opship(agent_config(fleet.endpoint(), "vm-opship", {"opship"}), count);
  auto o = fleet.next_outcome(10s);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->agent_id, "vm-opship");
  EXPECT_EQ(runs, 1);
}

TEST(Dispatch, ASecondSubmitOfAPendingJobIsIgnored) {
  Fleet fleet(insecure_fleet());
  fleet.start();
  EXPECT_TRUE(fleet.submit(job("same", "erp")));
  EXPECT_FALSE(fleet.submit(job("same", "erp")));
  EXPECT_EQ(fleet.pending_jobs(), 1u);
  std::atomic<int> runs{0};
  TestAgent a(agent_config(fleet.endpoint(), "a", {"erp"}), [&](const Job&, JobControl&) {
    ++runs;
    return ok_result();
  });
  ASSERT_TRUE(fleet.next_outcome(10s));
  EXPECT_FALSE(fleet.next_outcome(500ms));
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(fleet.pending_jobs(), 0u);
  EXPECT_TRUE(fleet.submit(job("same", "erp"))) << "once final, the id may be used again";
}

TEST(Failures, BusinessFailureIsFinalAtOnceWithItsEvidenceStored) {
  auto cfg = insecure_fleet();
  cfg.evidence_dir = fs::temp_directory_path() / ("dockhand-fleet-evidence-" + std::to_string(getpid()));
  fs::remove_all(cfg.evidence_dir);
  Fleet fleet(cfg);
  fleet.start();
  std::atomic<int> runs{0};
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(1000, 'p');
  TestAgent a(agent_config(fleet.endpoint(), "a", {"erp"}), [&](const Job& j, JobControl&) {
    ++runs;
    Result r;
    r.outcome = Outcome::business;
    r.failed_step = "steps[5].wait";
    r.reason = "PO not found: " + j.vars.at("po");
    r.category = "business";
    r.evidence = {{"step_path", "steps[5]"}};
    r.images = {{"screen.png", "image/png", png}};
    return r;
  });
  auto request = job("RR-9-erp", "erp", {{"po", "ZZZZZZZZ"}});
  request.evidence_key = "RR-9";
  fleet.submit(request);
  auto o = fleet.next_outcome(10s);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->outcome, Outcome::business);
  EXPECT_EQ(o->reason, "PO not found: ZZZZZZZZ");
  EXPECT_EQ(o->failed_step, "steps[5].wait");
  EXPECT_FALSE(fleet.next_outcome(600ms));
  EXPECT_EQ(runs, 1) << "business failures are never retried";
  ASSERT_EQ(o->evidence_files.size(), 2u);
  for (const auto& f : o->evidence_files) EXPECT_EQ(f.parent_path(), cfg.evidence_dir / "RR-9");
  std::ifstream image(o->evidence_files[0], std::ios::binary);
  std::string stored((std::istreambuf_iterator<char>(image)), {});
  EXPECT_EQ(stored, png);
  auto record = nlohmann::json::parse(std::ifstream(o->evidence_files[1]));
  EXPECT_EQ(record["outcome"], "business");
  EXPECT_EQ(record["reason"], "PO not found: ZZZZZZZZ");
  fs::remove_all(cfg.evidence_dir);
}

TEST(Failures, ApplicationFailuresAreRetriedWithBackoffThenSucceed) {
  auto cfg = insecure_fleet();
  cfg.retry_backoff = 150ms;
  cfg.max_attempts = 3;
  Fleet fleet(cfg);
  fleet.start();
  std::mutex m;
  std::vector<std::chrono::steady_clock::time_point> starts;
  std::vector<int> attempts;
  TestAgent a(agent_config(fleet.endpoint(), "a", {"erp"}), [&](const Job& j, JobControl&) {
    std::lock_guard lock(m);
    starts.push_back(std::chrono::steady_clock::now());
    attempts.push_back(j.attempt);
    Result r;
    if (starts.size() < 3) {
      r.outcome = Outcome::application;
      r.reason = "timed out waiting for 'Pre-tender finalized'";
      r.category = "timeout";
    }
    return r;
  });
  fleet.submit(job("flaky", "erp"));
  auto o = fleet.next_outcome(10s);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->outcome, Outcome::ok);
  EXPECT_EQ(o->attempts, 3);
  std::lock_guard lock(m);
  ASSERT_EQ(starts.size(), 3u);
  EXPECT_EQ(attempts, (std::vector<int>{1, 2, 3}));
  // The second retry waits twice as long as the first.
  EXPECT_GE(starts[1] - starts[0], 150ms);
  EXPECT_GE(starts[2] - starts[1], 300ms);
}

// ... and a person's Abort of a supervised run (category "aborted", an application outcome too) is final at once.
TEST(Failures, ApplicationFailuresStopAtTheCapAndComeOutFinal) {
  auto cfg = insecure_fleet();
  cfg.max_attempts = 2;
  Fleet fleet(cfg);
  fleet.start();
  std::atomic<int> runs{0}, aborted_runs{0};
  TestAgent a(agent_config(fleet.endpoint(), "a", {"erp"}), [&](const Job& j, JobControl&) -> Result {
    if (j.job_id == "aborted") {
      ++aborted_runs;
      Result r;
      r.outcome = Outcome::application;
      r.category = "aborted";
      r.reason = "aborted: aborted by console:dana";
      return r;
    }
    ++runs;
    throw std::runtime_error("the ERP window vanished");
  });
  fleet.submit(job("broken", "erp"));
  auto o = fleet.next_outcome(10s);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->outcome, Outcome::application);
  EXPECT_EQ(o->attempts, 2);
  EXPECT_NE(o->reason.find("the ERP window vanished"), std::string::npos) << o->reason;
  EXPECT_FALSE(fleet.next_outcome(500ms));
  EXPECT_EQ(runs, 2);

  const auto retries = fleet.stats().retries;
  fleet.submit(job("aborted", "erp"));
  o = fleet.next_outcome(10s);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->category, "aborted");
  EXPECT_EQ(o->attempts, 1);
  EXPECT_EQ(aborted_runs, 1);
  EXPECT_EQ(fleet.stats().retries, retries);
}

TEST(Heartbeats, TheJobOfADeadAgentGoesToAnotherAgent) {
  // Declared before the fleet: its thread calls the listener until the fleet is destroyed.
  std::vector<std::string> lost;
  std::mutex m;
  Fleet fleet(insecure_fleet());
  fleet.on_event([&](const dockhand::fleet::FleetEvent& e) {
    std::lock_guard lock(m);
    if (e.kind == "agent_lost") lost.push_back(e.agent_id);
  });
  fleet.start();
  std::atomic<bool> first_started{false}, release{false};
  auto first = std::make_unique<TestAgent>(agent_config(fleet.endpoint(), "first", {"erp"}),
                                           [&](const Job&, JobControl& c) {
                                             first_started = true;
                                             while (!release && !c.abort_requested()) std::this_thread::sleep_for(5ms);
                                             return ok_result({{"by", "first"}});
                                           });
  ASSERT_TRUE(wait_until([&] { return fleet.agents().size() == 1; }));
  fleet.submit(job("orphan", "erp"));
  ASSERT_TRUE(wait_until([&] { return first_started.load(); }));
  first->die();  // no more heartbeats, no result
  TestAgent second(agent_config(fleet.endpoint(), "second", {"erp"}),
                   [&](const Job&, JobControl&) { return ok_result({{"by", "second"}}); });
  auto o = fleet.next_outcome(10s);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->agent_id, "second");
  EXPECT_EQ(o->outputs["by"], "second");
  EXPECT_GE(fleet.stats().requeued, 1u);
  std::lock_guard lock(m);
  EXPECT_EQ(lost, std::vector<std::string>{"first"});
  release = true;
}

TEST(Heartbeats, AnAgentSilentForLessThanThreeIntervalsIsNotDead) {
  // With heartbeats at 1 s (the default), a job that runs 2.5 s stays with its agent: the agent keeps
  // heartbeating while the job runs on another thread.
  Fleet fleet(insecure_fleet(1000ms));
  fleet.start();
  std::atomic<int> runs{0};
  TestAgent a(agent_config(fleet.endpoint(), "slow", {"erp"}, 1000ms), [&](const Job&, JobControl&) {
    ++runs;
    std::this_thread::sleep_for(2500ms);
    return ok_result();
  });
  fleet.submit(job("long", "erp"));
  auto o = fleet.next_outcome(15s);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->agent_id, "slow");
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(fleet.stats().agents_lost, 0u);
}

TEST(Leases, AJobWhoseLeaseRunsOutIsGivenToAnotherAgentAndTheLateResultIsIgnored) {
  Fleet fleet(insecure_fleet());
  fleet.start();
  std::atomic<bool> hung_started{false}, release{false};
  TestAgent hung(agent_config(fleet.endpoint(), "hung", {"erp"}), [&](const Job&, JobControl&) {
    hung_started = true;
    while (!release) std::this_thread::sleep_for(5ms);
    return ok_result({{"by", "hung"}});
  });
  ASSERT_TRUE(wait_until([&] { return fleet.agents().size() == 1; }));
  auto request = job("leased", "erp");
  request.lease = 600ms;
  fleet.submit(request);
  ASSERT_TRUE(wait_until([&] { return hung_started.load(); }));
  TestAgent healthy(agent_config(fleet.endpoint(), "healthy", {"erp"}),
                    [&](const Job&, JobControl&) { return ok_result({{"by", "healthy"}}); });
  auto o = fleet.next_outcome(10s);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->agent_id, "healthy");
  release = true;
  EXPECT_FALSE(fleet.next_outcome(800ms)) << "the hung agent's late result made a second outcome";
  EXPECT_EQ(fleet.stats().completed, 1u);
}

TEST(Reconnect, AResultFinishedWhileTheOrchestratorWasDownIsDeliveredAfterItsRestart) {
  auto cfg = insecure_fleet();
  auto first = std::make_unique<Fleet>(cfg);
  first->start();
  std::string endpoint = first->endpoint();
  std::atomic<int> runs{0};
  std::atomic<bool> release{false};
  TestAgent a(agent_config(endpoint, "a", {"erp"}), [&](const Job&, JobControl&) {
    ++runs;
    while (!release) std::this_thread::sleep_for(5ms);
    return ok_result({{"reference", "PT-123456"}});
  });
  ASSERT_TRUE(wait_until([&] { return first->agents().size() == 1; }));
  first->submit(job("RR-1-erp", "erp"));
  ASSERT_TRUE(wait_until([&] { return runs.load() == 1; }));
  first.reset();  // the orchestrator dies mid-job
  release = true;  // the job finishes while nobody listens
  std::this_thread::sleep_for(300ms);
  cfg.bind = endpoint;
  Fleet second(cfg);
  second.start();
  second.submit(job("RR-1-erp", "erp"));  // on restart the chain asks for the same close-out again
  auto o = second.next_outcome(15s);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->outcome, Outcome::ok);
  EXPECT_EQ(o->outputs["reference"], "PT-123456");
  EXPECT_EQ(runs, 1) << "the job ran twice";
}

TEST(Malformed, GarbageFromAPeerIsDroppedAndTheFleetKeepsWorking) {
  LogCapture logs;
  // Declared before the fleet: its thread calls the listener until the fleet is destroyed.
  std::atomic<int> rejected{0};
  Fleet fleet(insecure_fleet());
  fleet.on_event([&](const dockhand::fleet::FleetEvent& e) {
    if (e.kind == "rejected_message") ++rejected;
  });
  fleet.start();
  zmq::context_t ctx;
  zmq::socket_t rogue(ctx, zmq::socket_type::dealer);
  dockhand::protocol::apply_limits(rogue);
  rogue.connect(fleet.endpoint());
  using dockhand::protocol::send_frames;
  send_frames(rogue, {"garbage"}, nullptr, false);
  send_frames(rogue, {std::string("\x00\xff\x10", 3), "\x01\x02"}, nullptr, false);
  send_frames(rogue, {"READY", "{\"v\":99,\"agent_id\":\"x\"}"}, nullptr, false);
  send_frames(rogue, {"RESULT", "{\"v\":1,\"job_id\":\"x\",\"outcome\":\"ok\",\"images\":[{}]}"}, nullptr, false);
  send_frames(rogue, {"READY", std::string(300 * 1024, '{')}, nullptr, false);
  ASSERT_TRUE(wait_until([&] { return rejected.load() >= 5; })) << rejected.load();
  // Bigger than ZMQ_MAXMSGSIZE: libzmq drops the connection before buffering it.
  zmq::socket_t huge(ctx, zmq::socket_type::dealer);
  huge.set(zmq::sockopt::linger, 0);
  huge.connect(fleet.endpoint());
  send_frames(huge, {"FRAME", std::string(40 * 1024 * 1024, 'x')}, nullptr, false);
  ASSERT_TRUE(wait_until([&] { return fleet.stats().closed_connections >= 1; })) << "no word about the huge frame";
  EXPECT_TRUE(logs.contains("dropped a malformed message")) << logs.all();
  EXPECT_TRUE(logs.contains("READY has protocol version 99, expected 1")) << logs.all();
  EXPECT_TRUE(logs.contains("over the size limit")) << logs.all();

  EXPECT_EQ(fleet.agents().size(), 0u) << "a malformed READY registered an agent";
  TestAgent good(agent_config(fleet.endpoint(), "good", {"erp"}), [](const Job&, JobControl&) { return ok_result(); });
  fleet.submit(job("after-garbage", "erp"));
  auto o = fleet.next_outcome(10s);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->agent_id, "good");
  EXPECT_GE(fleet.stats().rejected_messages, 5u);
}

// A bare ROUTER standing in for the orchestrator (it sends whatever a test wants, unchecked). While a test
// waits through it, it answers each HEARTBEAT as an orchestrator does, so the agent's quiet timer never
// decides a test: only what the test sends does.
struct RawOrchestrator {
  zmq::context_t ctx;
  zmq::socket_t router{ctx, zmq::socket_type::router};
  std::string endpoint;
  RawOrchestrator() {
    router.set(zmq::sockopt::linger, 0);
    router.bind("tcp://127.0.0.1:*");
    endpoint = router.get(zmq::sockopt::last_endpoint);
  }
  // Receives for up to timeout, answering heartbeats; the routing id of the first message of this type, or "".
  std::string wait_for(const std::string& type, std::chrono::milliseconds timeout = 10s) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, 50ms);
      while (auto frames = dockhand::protocol::recv_frames(router)) {
        if (frames->size() < 2) continue;
        if ((*frames)[1] == "HEARTBEAT")
          dockhand::protocol::send_frames(router, dockhand::protocol::encode(dockhand::protocol::Heartbeat{}), &frames->front());
        if ((*frames)[1] == type) return (*frames)[0];
      }
    }
    return "";
  }
};

TEST(Malformed, AnAgentDropsGarbageFromTheOrchestratorAndStillTakesJobs) {
  LogCapture logs;
  RawOrchestrator o;
  std::atomic<int> runs{0};
  TestAgent a(agent_config(o.endpoint, "a", {"erp"}), [&](const Job&, JobControl&) {
    ++runs;
    return ok_result();
  });
  std::string rid = o.wait_for("READY");
  ASSERT_FALSE(rid.empty());
  using dockhand::protocol::send_frames;
  send_frames(o.router, {"JOB", "{\"v\":1}"}, &rid, false);
  send_frames(o.router, {"JOB", "{\"v\":7,\"job_id\":\"a\",\"script\":\"s\"}"}, &rid, false);
  send_frames(o.router, {"\xde\xad", "\xbe\xef"}, &rid, false);
  send_frames(o.router, dockhand::protocol::encode(Job{"real", "erp-closeout", {}, 1000, false, 1}), &rid, false);
  EXPECT_FALSE(o.wait_for("RESULT").empty());
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(a.stats().rejected_messages, 3);
  EXPECT_TRUE(logs.contains("agent a: dropped a malformed message from the orchestrator")) << logs.all();
}

// A frame over the agent's size limit: libzmq drops the connection from the frame's size prefix, before
// buffering it. The agent logs why, with its limit, starts a fresh session (new connection, READY) at once
// instead of waiting for its quiet timer, and takes the next job. The orchestrator here answers heartbeats,
// so nothing but the huge frame can end the first connection.
TEST(Malformed, AnAgentSurvivesAHugeFrameFromTheOrchestrator) {
  LogCapture logs;
  // Made before the agent connects and sent without a copy (building 40 MB can take a second in a sandbox);
  // declared before the socket so that it outlives anything libzmq still holds of it.
  const std::string huge(40 * 1024 * 1024, 'j');
  RawOrchestrator o;
  std::atomic<int> runs{0};
  TestAgent a(agent_config(o.endpoint, "a", {"erp"}, 1000ms), [&](const Job&, JobControl&) {
    ++runs;
    return ok_result();
  });
  std::string first = o.wait_for("READY");
  ASSERT_FALSE(first.empty());
  ASSERT_FALSE(o.wait_for("HEARTBEAT").empty()) << "the agent heartbeats, and has heard from us";
  using dockhand::protocol::send_frames;
  o.router.send(zmq::buffer(first), zmq::send_flags::sndmore);
  o.router.send(zmq::str_buffer("JOB"), zmq::send_flags::sndmore);
  o.router.send(zmq::message_t(const_cast<char*>(huge.data()), huge.size(), nullptr), zmq::send_flags::none);
  std::string again = o.wait_for("READY", 30s);
  ASSERT_FALSE(again.empty()) << "the agent did not register again\n" << logs.all();
  EXPECT_NE(again, first) << "a fresh session is a new connection";
  EXPECT_EQ(a.stats().closed_connections, 1) << logs.all();
  EXPECT_TRUE(logs.contains("agent a: connection to " + o.endpoint + " closed by ZeroMQ")) << logs.all();
  EXPECT_TRUE(logs.contains("over this agent's limit of 33554432 bytes")) << logs.all();
  EXPECT_TRUE(logs.contains("reconnecting with a fresh READY")) << logs.all();
  EXPECT_FALSE(logs.contains("no word from the orchestrator")) << "the quiet timer ended the session\n" << logs.all();
  send_frames(o.router, dockhand::protocol::encode(Job{"after-huge", "erp-closeout", {}, 1000, false, 1}), &again,
              false);
  EXPECT_FALSE(o.wait_for("RESULT").empty());
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(a.stats().jobs_started, 1);
}
