// Offline verification of a DKG transcript: signatures, session id, deals, public keys and shares, lock.
#include "dkg/transcript.hpp"

#include <map>
#include <tuple>

#include "crypto/bls/hash_to_curve.hpp"
#include "crypto/bls/pairing.hpp"
#include "crypto/hash/random.hpp"
#include "dkg/deal.hpp"
#include "dkg/internal.hpp"
#include "dkg/poly.hpp"
#include "dkg/signer.hpp"

namespace phx::dkg {

using crypto::bls::Fr;
using crypto::bls::G1;
using crypto::bls::G2;
using internal::who;

namespace {

using Bad = std::unexpected<std::string>;
using Key = std::tuple<std::uint8_t, std::uint32_t, std::uint32_t>;

struct Entry {
  Decoded d;
  ssz::List<Root, kMaxOperators> ciphertext_roots;
};

}  // namespace

Result<TranscriptOutputs, std::string> verify_transcript(const Params& p, ByteSpan transcript) {
  if (auto v = validate(p); !v) return Bad("invalid parameters: " + v.error());
  auto t = ssz::deserialize<Transcript>(transcript);
  if (!t) return Bad("the transcript does not decode");
  if (std::string(t->protocol.begin(), t->protocol.end()) != kProtocolId) return Bad("another protocol");
  if (t->definition_hash != p.definition_hash) return Bad("another definition hash");
  std::vector<crypto::k1::PublicKey> ids;
  for (const auto& q : p.participants) ids.push_back(q.identity);
  const K1NodeVerifier verifier(std::move(ids));

  std::map<Key, Entry> entries;
  for (const auto& b : t->envelopes) {
    Entry e;
    auto d = decode_redacted_envelope(b, &e.ciphertext_roots);
    if (!d) return Bad(std::string("an envelope does not decode: ") + to_string(d.error()));
    const auto kind = static_cast<Kind>(d->envelope.kind);
    if (d->envelope.sender >= p.n()) return Bad("an envelope from an unknown sender");
    if (kind == Kind::kRequest || kind == Kind::kAbort || kind == Kind::kSign) return Bad("an unexpected message kind");
    const Root digest = signing_digest(d->envelope.session, kind, d->envelope.sender, d->payload_root);
    if (!verifier.verify(d->envelope.sender, digest, d->envelope.signature)) {
      return Bad("a bad signature on a " + std::string(to_string(kind)) + " message of " + who(d->envelope.sender));
    }
    const Key k = internal::key_of(slot_of(*d));
    e.d = std::move(*d);
    if (!entries.emplace(k, std::move(e)).second) return Bad("two messages for one slot");
  }
  auto get = [&](Kind k, std::uint32_t s, std::uint32_t part = 0) -> const Entry* {
    auto it = entries.find(Key{static_cast<std::uint8_t>(k), s, part});
    return it == entries.end() ? nullptr : &it->second;
  };

  // (1) R0 and the session.
  std::vector<Hello> hellos;
  const Root ph = params_hash(p);
  for (std::uint32_t i = 0; i < p.n(); ++i) {
    const Entry* e = get(Kind::kHello, i);
    if (e == nullptr) return Bad("the R0 of " + who(i) + " is missing");
    const auto& h = std::get<Hello>(e->d.payload);
    if (e->d.envelope.session != p.definition_hash || h.definition_hash != p.definition_hash || h.params_hash != ph ||
        h.preflight != 0 || h.features != 0 ||
        h.old_lock_hash != (p.reshare ? p.reshare->old_lock_hash : Root{}) ||
        p.participants[i].dealer != (h.commitments_hash != Root{}) || !decode_point(h.ephemeral_key)) {
      return Bad("the R0 of " + who(i) + " disagrees with the parameters");
    }
    hellos.push_back(h);
  }
  TranscriptOutputs out;
  out.session_id = session_id(p, hellos);
  if (out.session_id != t->session_id) return Bad("the session id does not recompute");
  for (const auto& [k, e] : entries) {
    if (std::get<0>(k) != static_cast<std::uint8_t>(Kind::kHello) && e.d.envelope.session != out.session_id) {
      return Bad("a message of another session");
    }
  }

  // (2)–(3) Deals.
  const std::size_t tt = p.threshold;
  const auto dealers = p.dealers();
  const auto receivers = p.receivers();
  const auto weights = dealer_weights(p);
  std::vector<G1> agg(std::size_t{p.validators} * tt, G1::identity());
  std::vector<Root> manifest_roots;
  std::uint8_t fresh[32];
  crypto::hash::random_bytes(MutByteSpan(fresh, sizeof fresh));
  BatchRng rng(ByteSpan(fresh, sizeof fresh), as_bytes("transcript"));
  for (std::uint32_t dp = 0; dp < dealers.size(); ++dp) {
    const std::uint32_t d = dealers[dp];
    const Entry* me = get(Kind::kDealManifest, d);
    if (me == nullptr) return Bad("the R1 manifest of " + who(d) + " is missing");
    const auto& m = std::get<DealManifest>(me->d.payload);
    if (auto f = check_manifest(p, hellos[d], m)) return Bad(who(d) + "'s manifest fails the " + std::string(to_string(f->check)) + " check");
    manifest_roots.push_back(me->d.payload_root);
    for (std::uint32_t c = 0; c < p.chunks(); ++c) {
      const Entry* ce = get(Kind::kDealChunk, d, c);
      if (ce == nullptr) return Bad("an R1 chunk of " + who(d) + " is missing");
      if (ce->d.payload_root != m.chunk_roots[c]) return Bad("an R1 chunk of " + who(d) + " is not its manifest's");
      DealChunk ch = std::get<DealChunk>(ce->d.payload);
      ch.ciphertexts.resize(ce->ciphertext_roots.size());  // redacted: only the count is checked
      auto checked = check_chunk_public(p, out.session_id, d, m, ch, rng);
      if (!checked) {
        return Bad(who(d) + "'s deal for validator " + std::to_string(checked.error().validator) + " fails the " +
                   to_string(checked.error().check) + " check");
      }
      const std::uint32_t first = c * p.chunk_validators;
      for (std::uint32_t i = 0; i < p.chunk_size(c); ++i) {
        for (std::size_t k = 0; k < tt; ++k) {
          const G1& pt = checked->commitments[i * tt + k];
          auto& a = agg[std::size_t{first + i} * tt + k];
          a = a.add_vartime(p.reshare ? pt.mul_vartime(weights[dp]) : pt);
        }
      }
    }
  }
  for (auto r : receivers) {
    const Entry* e = get(Kind::kVerdict, r);
    if (e == nullptr) return Bad("the R2 of " + who(r) + " is missing");
    const auto& v = std::get<Verdict>(e->d.payload);
    if (!v.complaints.empty() || !v.revealed_key.empty()) return Bad(who(r) + " complained in R2");
    if (std::vector<Root>(v.deal_roots.begin(), v.deal_roots.end()) != manifest_roots) {
      return Bad(who(r) + " received other R1 messages");
    }
  }

  // (3)–(4) Keys and public shares.
  out.pubshares.assign(p.validators, {});
  G1 pk_sum = G1::identity();
  for (std::uint32_t v = 0; v < p.validators; ++v) {
    const std::span<const G1> poly = std::span<const G1>(agg).subspan(std::size_t{v} * tt, tt);
    if (poly[0].is_identity()) return Bad("validator " + std::to_string(v) + "'s key is the identity");
    if (p.reshare && !(poly[0] == p.reshare->pubkeys[v].point())) {
      return Bad("validator " + std::to_string(v) + "'s reshared key differs from the old one");
    }
    out.pubkeys.push_back(crypto::bls::PublicKey::from_point(poly[0]));
    for (auto r : receivers) {
      const G1 ps = eval_in_exponent(poly, p.participants[r].share_x);
      if (ps.is_identity()) return Bad("a public share is the identity");
      out.pubshares[v].push_back(crypto::bls::PublicKey::from_point(ps));
      pk_sum = pk_sum.add_vartime(ps);
    }
  }

  // (5) Lock.
  G2 agg_sig = G2::identity();
  bool first_lock = true;
  for (auto r : receivers) {
    ByteArray<65> node_sig{};
    for (std::uint32_t c = 0; c < p.chunks(); ++c) {
      const Entry* e = get(Kind::kLock, r, c);
      if (e == nullptr) return Bad("an R4 chunk of " + who(r) + " is missing");
      const auto& lc = std::get<LockChunk>(e->d.payload);
      if (first_lock) {
        out.lock_hash = lc.lock_hash;
        first_lock = false;
      }
      if (lc.lock_hash != out.lock_hash) return Bad(who(r) + " signed another lock hash");
      if (c == 0) node_sig = lc.node_signature;
      if (lc.node_signature != node_sig) return Bad(who(r) + " sent two node signatures");
      if (lc.partials.size() != p.chunk_size(c)) return Bad(who(r) + " sent a wrong number of R4 partials");
      for (const auto& b : lc.partials) {
        auto s = crypto::bls::Signature::from_bytes(b);
        if (!s) return Bad(who(r) + " sent an R4 partial that is not a G2 point");
        agg_sig = agg_sig.add_vartime(s->point());
      }
    }
    if (!verifier.verify_recoverable(r, out.lock_hash, node_sig)) return Bad(who(r) + "'s node signature is invalid");
    out.node_signatures.push_back(node_sig);
  }
  const std::vector<G1> ps{pk_sum, G1::generator().neg()};
  const std::vector<G2> qs{crypto::bls::hash_to_g2(out.lock_hash), agg_sig};
  if (!crypto::bls::pairing_check(ps, qs)) return Bad("the aggregate of the R4 partials does not verify");
  out.signature_aggregate = agg_sig.to_compressed();

  // (6) Done, when present.
  std::size_t dones = 0;
  for (auto r : receivers) {
    const Entry* e = get(Kind::kDone, r);
    if (e == nullptr) continue;
    const auto& d = std::get<Done>(e->d.payload);
    const std::vector<Root> arts(d.artifacts.begin(), d.artifacts.end());
    if (d.lock_hash != out.lock_hash) return Bad(who(r) + " reported another lock hash in R5");
    if (dones == 0) out.artifacts = arts;
    if (arts != out.artifacts) return Bad(who(r) + " reported other artifacts in R5");
    ++dones;
  }
  if (dones != 0 && dones != receivers.size()) return Bad("R5 is incomplete");
  out.has_done = dones != 0;
  return out;
}

}  // namespace phx::dkg
