// Fuzz target for the QBFT driver's handling of peer frames (dv/qbft_driver.hpp, QbftDriver::deliver) together
// with the app's calls: the input is a sequence of commands that deliver frames from peers, propose, expire
// and let (manual) time pass; a round timer whose deadline has already passed on the manual clock when it is
// armed fires at the next poll. Signatures are accepted unchecked so forged messages reach
// the buffering, replay and engine paths. The driver must never crash or assert, its memory must stay within
// the bound its options imply, and every frame it sends must decode. No sockets: create_with_transport.
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "base/clock.hpp"
#include "consensus/qbft/instance.hpp"
#include "consensus/qbft/message.hpp"
#include "dv/qbft_driver.hpp"

namespace {

namespace qbft = phx::consensus::qbft;

/// Test double: every signature is "valid". Only for fuzzing the logic behind signature checks.
class AcceptAllVerifierForFuzzing final : public qbft::Verifier {
 public:
  bool verify(phx::OperatorIdx, const phx::Root&, const qbft::Signature&) const override { return true; }
};

/// Test double: a constant signature.
class ZeroSignerForFuzzing final : public qbft::Signer {
 public:
  qbft::Signature sign(const phx::Root&) const override { return qbft::Signature{}; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto verifier = std::make_shared<AcceptAllVerifierForFuzzing>();
  static const auto signer = std::make_shared<ZeroSignerForFuzzing>();
  static const phx::Bytes kIds[3] = {{'f', 'u', 'z', 'z'}, {'a'}, {'b'}};

  boost::asio::io_context ioc;
  phx::ManualClock clock(phx::TimePoint{} + std::chrono::hours(1));
  phx::dv::QbftDriverOptions o;
  o.max_instances = 2;
  o.max_value_bytes = 256;
  o.buffer_per_peer = 4;
  o.buffer_bytes_per_peer = 4096;
  o.max_buffered_instances = 2;
  o.expired_memory = 2;
  o.clock = &clock;
  // Every frame the driver sends must be well formed (it goes to honest peers).
  auto send = [](phx::OperatorIdx to, phx::ByteSpan frame) -> phx::Result<void> {
    if (to.value == 0 || to.value >= 4) std::abort();
    auto f = phx::dv::decode_qbft_frame(frame);
    if (!f || !qbft::decode(f->message)) std::abort();
    return {};
  };
  auto driver = phx::dv::QbftDriver::create_with_transport(ioc.get_executor(), phx::OperatorIdx{0}, 4, signer,
                                                           verifier, o, send);
  if (!driver) std::abort();
  auto& d = **driver;
  std::size_t decisions = 0;
  d.on_decided([&](phx::ByteSpan, phx::ByteSpan, qbft::Round, phx::Duration) { ++decisions; });

  qbft::Config cfg;
  cfg.instance_id = phx::Bytes(qbft::kMaxInstanceIdBytes, 0);
  cfg.max_value_bytes = o.max_value_bytes;
  const std::size_t bound = o.max_instances * qbft::Instance::memory_bound(cfg) +
                            o.max_buffered_instances * 4 * o.buffer_bytes_per_peer;

  std::size_t pos = 0;
  while (pos < size) {
    const std::uint8_t op = data[pos++];
    switch (op & 3) {
      case 0: {  // frame from peer 1..3: u16 length + bytes
        if (pos + 2 > size) return 0;
        std::size_t len = (std::size_t{data[pos]} << 8) | data[pos + 1];
        pos += 2;
        if (len > size - pos) len = size - pos;
        d.deliver(phx::OperatorIdx{1u + (op >> 2) % 3u}, phx::ByteSpan(data + pos, len));
        pos += len;
        break;
      }
      case 1: {  // propose one of three ids, with a value derived from the op byte
        const phx::Bytes value{static_cast<std::uint8_t>(op >> 4), 'v'};
        (void)d.propose(kIds[(op >> 2) % 3], value, phx::TimePoint{} + std::chrono::hours(1));
        break;
      }
      case 2:  // expire
        d.expire(kIds[(op >> 2) % 3]);
        break;
      case 3:  // time passes: (op >> 2) × 250 ms, then run whatever handlers are due
        clock.advance(std::chrono::milliseconds(250) * (op >> 2));
        ioc.poll();
        break;
    }
    if (d.memory_bytes() > bound) std::abort();
  }
  d.stop();
  ioc.poll();
  return 0;
}
