// The gtest fixture of the serve tests: a fresh ServeEnv (folder, config, Maildir, orders) and a reset
// simulator per test. Apart from serve_harness.h, which the benches use without gtest.
#pragma once

#include "serve_harness.h"

#include <gtest/gtest.h>

#include <memory>

namespace dockhand::serve_testing {

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sim.reset();
    env = std::make_unique<ServeEnv>(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  spapi::testing::SimAdmin sim;
  std::unique_ptr<ServeEnv> env;
};

}  // namespace dockhand::serve_testing
