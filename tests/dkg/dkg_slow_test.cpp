// Long DKG simulations (CTest label `slow`, run on demand): larger V over a lossy network, with a crash and
// resume in the middle; the same checks as the fast simulations (identical outputs, shares recombine,
// transcript verifies).
#include <gtest/gtest.h>

#include "dkg/ceremony_sim_test.hpp"

using namespace phx;
using namespace phx::dkg;
using namespace phx::dkg::test;

TEST(DkgSlow, FourNodesThousandValidatorsLossyNetwork) {
  NetConfig net;
  net.drop = 0.05;
  net.duplicate = 0.05;
  net.max_delay_ns = 200'000'000;
  Sim sim(dkg_params(4, 3, 1000, 250, 3), 3, net);
  sim.start_all();
  sim.run();
  expect_success(sim);
}

TEST(DkgSlow, SevenNodesWithACrashAndResumeInR1) {
  NetConfig net;
  net.drop = 0.05;
  net.max_delay_ns = 100'000'000;
  Sim sim(dkg_params(7, 5, 200, 64, 2), 2, net);
  bool crashed = false;
  sim.set_observer([&](std::uint32_t node) {
    if (node == 4 && !crashed && sim.node(4).ceremony && sim.node(4).ceremony->round() == Round::kDeal) {
      crashed = true;
      sim.crash(4);
      sim.restart_at(sim.now() + 30 * kSecond, 4, true);
    }
  });
  sim.start_all();
  sim.run();
  EXPECT_TRUE(crashed);
  expect_success(sim);
}
