// Evidence: encoding, and the offline re-derivation of each provable failure from signed messages.
#include "dkg/evidence.hpp"

#include <optional>

#include "crypto/hash/random.hpp"
#include "dkg/deal.hpp"

namespace phx::dkg {

Bytes make_evidence(FailureCode code, std::uint32_t culprit, std::uint32_t validator, DealCheck check,
                    const std::vector<Bytes>& envelopes) {
  Evidence e;
  e.code = static_cast<std::uint8_t>(code);
  e.culprit = culprit;
  e.validator = validator;
  e.check = static_cast<std::uint8_t>(check);
  for (const auto& b : envelopes) {
    if (e.envelopes.size() == kMaxEvidenceEnvelopes) break;
    e.envelopes.push_back(EnvelopeBytes(b));
  }
  return ssz::serialize(e);
}

namespace {

using Bad = std::unexpected<std::string>;

struct Checked {
  std::vector<Decoded> all;
  std::vector<bool> sig_ok;
};

bool signature_ok(const NodeVerifier& v, const Decoded& d) {
  const Root digest =
      signing_digest(d.envelope.session, static_cast<Kind>(d.envelope.kind), d.envelope.sender, d.payload_root);
  return v.verify(d.envelope.sender, digest, d.envelope.signature);
}

std::string who(std::uint32_t i) { return "participant " + std::to_string(i); }

Failure base(FailureCode code, std::uint32_t culprit, std::string cause) {
  Failure f;
  f.code = code;
  f.operators = {culprit};
  f.cause = std::move(cause);
  f.next_action = next_action(code);
  return f;
}

const Hello* hello_of(const Decoded& d) { return std::get_if<Hello>(&d.payload); }

// One validly signed Hello per participant (session field = definition hash), or an error.
Result<std::vector<Hello>, std::string> hello_set(const Params& p, const Checked& c) {
  std::vector<std::optional<Hello>> hs(p.n());
  for (std::size_t i = 0; i < c.all.size(); ++i) {
    const auto* h = hello_of(c.all[i]);
    if (h == nullptr || !c.sig_ok[i] || c.all[i].envelope.session != p.definition_hash) continue;
    const auto s = c.all[i].envelope.sender;
    if (hs[s] && !(*hs[s] == *h)) return Bad("two different R0 messages of " + who(s));
    hs[s] = *h;
  }
  std::vector<Hello> out;
  for (std::uint32_t i = 0; i < p.n(); ++i) {
    if (!hs[i]) return Bad("the R0 of " + who(i) + " is missing");
    out.push_back(*hs[i]);
  }
  return out;
}

// The single validly signed envelope of `kind` from `sender` in the session (nullptr if none).
const Decoded* find(const Checked& c, Kind kind, std::uint32_t sender, const Root& session) {
  for (std::size_t i = 0; i < c.all.size(); ++i) {
    const auto& d = c.all[i];
    if (d.envelope.kind == static_cast<std::uint8_t>(kind) && d.envelope.sender == sender && c.sig_ok[i] &&
        d.envelope.session == session) {
      return &d;
    }
  }
  return nullptr;
}

Result<Failure, std::string> deal_evidence(const Params& p, const Checked& c, const Evidence& e) {
  auto hs = hello_set(p, c);
  if (!hs) return Bad(hs.error());
  const Root session = session_id(p, *hs);
  const bool false_complaint = e.code == static_cast<std::uint8_t>(FailureCode::kFalseComplaint);
  const Decoded* verdict = nullptr;
  std::uint32_t dealer = e.culprit;
  if (false_complaint) {
    verdict = find(c, Kind::kVerdict, e.culprit, session);
    if (verdict == nullptr) return Bad("the complainer's R2 is missing");
    const auto& v = std::get<Verdict>(verdict->payload);
    if (v.complaints.empty()) return Bad("the R2 holds no complaint");
    dealer = v.complaints.front().dealer;
  }
  if (dealer >= p.n() || !p.participants[dealer].dealer) return Bad("the accused is not a dealer");
  const Decoded* md = find(c, Kind::kDealManifest, dealer, session);
  if (md == nullptr) return Bad("the dealer's manifest is missing");
  const auto& m = std::get<DealManifest>(md->payload);
  const Decoded* cd = find(c, Kind::kDealChunk, dealer, session);
  if (!false_complaint && verdict == nullptr) {
    for (std::uint32_t r = 0; r < p.n(); ++r) {
      const Decoded* vd = find(c, Kind::kVerdict, r, session);
      if (vd != nullptr && !std::get<Verdict>(vd->payload).complaints.empty()) verdict = vd;
    }
  }
  if (auto f = check_manifest(p, (*hs)[dealer], m)) {
    if (false_complaint) return Bad("the deal is bad: the complaint was right");
    Failure out = base(FailureCode::kBadDeal, dealer,
                       who(dealer) + "'s R1 manifest fails the " + to_string(f->check) + " check");
    out.check = f->check;
    return out;
  }
  if (cd == nullptr) return Bad("the dealer's chunk is missing");
  const auto& chunk = std::get<DealChunk>(cd->payload);
  if (chunk.chunk >= m.chunk_roots.size() || m.chunk_roots[chunk.chunk] != cd->payload_root) {
    return Bad("the chunk is not the manifest's (that is equivocation evidence)");
  }
  if (verdict == nullptr) {
    std::uint8_t fresh[32];
    crypto::hash::random_bytes(MutByteSpan(fresh, sizeof fresh));
    BatchRng rng(ByteSpan(fresh, sizeof fresh), as_bytes("evidence"));
    auto r = check_chunk_public(p, session, dealer, m, chunk, rng);
    if (r) return Bad("the chunk passes every public check");
    Failure out = base(FailureCode::kBadDeal, dealer,
                       who(dealer) + "'s deal for validator " + std::to_string(r.error().validator) + " fails the " +
                           to_string(r.error().check) + " check");
    out.check = r.error().check;
    out.validator = r.error().validator;
    return out;
  }
  const auto& v = std::get<Verdict>(verdict->payload);
  const std::uint32_t complainer = verdict->envelope.sender;
  bool about = false;
  for (const auto& cp : v.complaints) {
    about = about || (cp.dealer == dealer && cp.validator / p.chunk_validators == chunk.chunk);
  }
  if (!about) return Bad("the complaint is not about this chunk");
  const Adjudication a = adjudicate(p, *hs, session, dealer, complainer, m, chunk, v.revealed_key);
  if (a.outcome == Adjudication::Outcome::kInvalid) return Bad(a.why);
  if (a.outcome == Adjudication::Outcome::kDealerGuilty) {
    if (false_complaint) return Bad("the deal is bad: the complaint was right");
    Failure out = base(FailureCode::kBadDeal, dealer,
                       who(dealer) + "'s share of validator " + std::to_string(a.fault.validator) + " for " +
                           who(complainer) + " fails the " + to_string(a.fault.check) + " check");
    out.operators.push_back(complainer);
    out.check = a.fault.check;
    out.validator = a.fault.validator;
    return out;
  }
  if (!false_complaint) return Bad("the complaint is false, the deal is good");
  Failure out = base(FailureCode::kFalseComplaint, complainer,
                     who(complainer) + " complained about " + who(dealer) + ", but " + a.why);
  out.operators.push_back(dealer);
  return out;
}

Result<Failure, std::string> equivocation_evidence(const Params& p, const Checked& c, const Evidence& e) {
  // Two validly signed Hellos with the same nonce and different contents need no session.
  std::vector<const Decoded*> mine;
  for (std::size_t i = 0; i < c.all.size(); ++i) {
    if (c.all[i].envelope.sender == e.culprit && c.sig_ok[i]) mine.push_back(&c.all[i]);
  }
  for (std::size_t a = 0; a < mine.size(); ++a) {
    for (std::size_t b = a + 1; b < mine.size(); ++b) {
      const auto* ha = hello_of(*mine[a]);
      const auto* hb = hello_of(*mine[b]);
      if (ha != nullptr && hb != nullptr && mine[a]->payload_root != mine[b]->payload_root &&
          mine[a]->envelope.session == mine[b]->envelope.session) {
        return base(FailureCode::kEquivocation, e.culprit, who(e.culprit) + " signed two different R0 messages");
      }
    }
  }
  auto hs = hello_set(p, c);
  if (!hs) return Bad(hs.error());
  const Root session = session_id(p, *hs);
  for (std::size_t a = 0; a < mine.size(); ++a) {
    for (std::size_t b = 0; b < mine.size(); ++b) {
      const auto& x = *mine[a];
      const auto& y = *mine[b];
      if (a == b || x.envelope.session != session || y.envelope.session != session) continue;
      if (x.envelope.kind == static_cast<std::uint8_t>(Kind::kHello)) continue;
      const MessageSlot sx = slot_of(x), sy = slot_of(y);
      if (a < b && sx == sy && x.payload_root != y.payload_root) {
        return base(FailureCode::kEquivocation, e.culprit,
                    who(e.culprit) + " signed two different " + to_string(static_cast<Kind>(sx.kind)) +
                        " messages (part " + std::to_string(sx.part) + ")");
      }
      const auto* m = std::get_if<DealManifest>(&x.payload);
      const auto* ch = std::get_if<DealChunk>(&y.payload);
      if (m != nullptr && ch != nullptr && ch->chunk < m->chunk_roots.size() &&
          m->chunk_roots[ch->chunk] != y.payload_root) {
        return base(FailureCode::kEquivocation, e.culprit,
                    who(e.culprit) + " signed an R1 chunk that its manifest does not list (chunk " +
                        std::to_string(ch->chunk) + ")");
      }
    }
  }
  return Bad("no two conflicting signed messages of the culprit");
}

}  // namespace

Result<Failure, std::string> verify_evidence(const Params& p, const NodeVerifier& verifier, ByteSpan evidence) {
  auto e = ssz::deserialize<Evidence>(evidence);
  if (!e) return Bad("evidence does not decode");
  if (!known_code(e->code)) return Bad("unknown failure code");
  if (e->culprit >= p.n()) return Bad("culprit out of range");
  Checked c;
  for (const auto& b : e->envelopes) {
    auto d = decode_envelope(b);
    if (!d) return Bad(std::string("an envelope does not decode: ") + to_string(d.error()));
    if (d->envelope.sender >= p.n()) return Bad("an envelope names an unknown sender");
    c.sig_ok.push_back(signature_ok(verifier, *d));
    c.all.push_back(std::move(*d));
  }
  const auto code = static_cast<FailureCode>(e->code);
  switch (code) {
    case FailureCode::kPreflight:
    case FailureCode::kDefinition: {
      for (std::size_t i = 0; i < c.all.size(); ++i) {
        const auto* h = hello_of(c.all[i]);
        if (h == nullptr || !c.sig_ok[i] || c.all[i].envelope.sender != e->culprit) continue;
        if (code == FailureCode::kPreflight && c.all[i].envelope.session == p.definition_hash && h->preflight != 0) {
          const std::string detail(h->preflight_detail.begin(), h->preflight_detail.end());
          return base(code, e->culprit, who(e->culprit) + " cannot start: " + detail);
        }
        if (code == FailureCode::kDefinition &&
            (h->definition_hash != p.definition_hash || c.all[i].envelope.session != p.definition_hash)) {
          return base(code, e->culprit, who(e->culprit) + " has definition hash " + to_hex(h->definition_hash));
        }
        if (code == FailureCode::kDefinition && h->params_hash != params_hash(p)) {
          return base(code, e->culprit, who(e->culprit) + " has other ceremony parameters");
        }
        if (code == FailureCode::kDefinition &&
            (h->features != 0 || h->old_lock_hash != (p.reshare ? p.reshare->old_lock_hash : Root{}))) {
          return base(code, e->culprit, who(e->culprit) + " has other features or another old lock");
        }
      }
      return Bad("no signed R0 of the culprit shows it");
    }
    case FailureCode::kPeerRestartedWithoutJournal: {
      std::vector<const Hello*> hs;
      for (std::size_t i = 0; i < c.all.size(); ++i) {
        const auto* h = hello_of(c.all[i]);
        if (h != nullptr && c.sig_ok[i] && c.all[i].envelope.sender == e->culprit &&
            c.all[i].envelope.session == p.definition_hash) {
          hs.push_back(h);
        }
      }
      for (std::size_t a = 0; a < hs.size(); ++a) {
        for (std::size_t b = a + 1; b < hs.size(); ++b) {
          if (hs[a]->nonce != hs[b]->nonce) {
            return base(code, e->culprit, who(e->culprit) + " rejoined with a new session nonce (lost its journal)");
          }
        }
      }
      return Bad("no two R0 messages of the culprit with different nonces");
    }
    case FailureCode::kEquivocation: return equivocation_evidence(p, c, *e);
    case FailureCode::kBadDeal:
    case FailureCode::kFalseComplaint: return deal_evidence(p, c, *e);
    case FailureCode::kBadPartial:
    case FailureCode::kLockMismatch: {
      for (std::size_t i = 0; i < c.all.size(); ++i) {
        if (c.all[i].envelope.sender == e->culprit && c.sig_ok[i] &&
            c.all[i].envelope.kind != static_cast<std::uint8_t>(Kind::kHello)) {
          Failure f = base(code, e->culprit,
                           who(e->culprit) + "'s signed " + to_string(static_cast<Kind>(c.all[i].envelope.kind)) +
                               " message (check it against the transcript)");
          f.validator = e->validator;
          return f;
        }
      }
      return Bad("no signed message of the culprit");
    }
    case FailureCode::kVersion:
    case FailureCode::kConnectTimeout:
    case FailureCode::kRoundTimeout:
    case FailureCode::kWrite: return Bad("this failure is not proven by evidence");
  }
  return Bad("unknown failure code");
}

}  // namespace phx::dkg
