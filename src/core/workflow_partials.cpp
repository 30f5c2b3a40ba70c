// The duty workflow's back half: slashing checks, signing, partials, aggregation, submission to the BN.
#include "core/workflow_detail.hpp"

namespace phx::core {

using namespace detail;

namespace {

/// True for duties whose aggregates go to the beacon node (the others are only inputs of later duties).
bool submitted(DutyType t) {
  switch (t) {
    case DutyType::kRandao:
    case DutyType::kPrepareAggregator:
    case DutyType::kPrepareSyncContribution:
      return false;
    default:
      return true;
  }
}

/// Counts a job on the BLS worker thread for its lifetime (test drivers of virtual time wait for none).
struct InFlight {
  std::size_t& n;
  explicit InFlight(std::size_t& c) : n(c) { ++n; }
  ~InFlight() { --n; }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
};

}  // namespace

void Workflow::sign_items(const Duty& duty, std::vector<SignItem> items) {
  DutyState* st = state(duty);
  if (st == nullptr || items.empty()) return;
  // Slashing protection first, on the io thread: nothing it refuses is ever signed.
  std::vector<SignItem> allowed;
  allowed.reserve(items.size());
  for (auto& item : items) {
    if (withheld(item.pubkey)) continue;  // doppelganger watch: not signed at all
    // A key still being decrypted at start-up: fail before the guard records anything.
    if (ports_.signer != nullptr && !ports_.signer->ready(item.pubkey)) {
      ++metrics_.keys_not_loaded;
      st->tracked = true;
      fail_duty(duty, Reason::kKeyNotLoaded, "key share not loaded yet (keystores still being decrypted)");
      continue;
    }
    auto guard = ports_.guard.check_and_record(item.pubkey, item.message);
    if (!guard) {
      ++metrics_.slashing_refusals;
      st->tracked = true;
      fail_duty(duty, Reason::kSlashingRefused, "slashing protection refused a signature: " + error_text(guard.error()));
      continue;
    }
    st->signing.insert(item.pubkey);
    allowed.push_back(std::move(item));
  }
  if (allowed.empty()) return;
  if (!options_.bls_off_thread) {
    on_signed(duty, allowed, ports_.signer->sign_batch(duty, allowed));
    return;
  }
  tasks_.spawn(sign_off_thread(duty, std::move(allowed)));
}

Task<std::vector<Result<ParSignedData>>> Workflow::run_signer(Duty duty, const std::vector<SignItem>& items) {
  co_return ports_.signer->sign_batch(duty, items);  // on the worker thread: the signer touches only its keys
}

Task<void> Workflow::sign_off_thread(Duty duty, std::vector<SignItem> items) {
  InFlight in_flight(in_flight_);
  auto work = run_signer(duty, items);
  auto results = co_await asio::co_spawn(worker(), std::move(work), asio::use_awaitable);
  on_signed(duty, items, results);
}

void Workflow::on_signed(const Duty& duty, const std::vector<SignItem>& items,
                         const std::vector<Result<ParSignedData>>& results) {
  std::vector<std::pair<PubKey, ParSignedData>> partials;
  for (std::size_t i = 0; i < items.size() && i < results.size(); ++i) {
    if (!results[i]) {
      if (results[i].error() == make_error_code(CoreError::kKeyNotLoaded)) {
        ++metrics_.keys_not_loaded;
        fail_duty(duty, Reason::kKeyNotLoaded, "key share not loaded yet (keystores still being decrypted)");
        continue;
      }
      ++metrics_.signer_errors;
      fail_duty(duty, Reason::kSignerError, "signer: " + error_text(results[i].error()));
      continue;
    }
    partials.emplace_back(items[i].pubkey, results[i].value());
  }
  if (auto it = duties_.find(duty); it != duties_.end())
    for (const auto& item : items) it->second->signing.erase(item.pubkey);
  if (!partials.empty()) (void)own_partials(duty, partials);
}

Result<void> Workflow::own_partials(const Duty& duty, const std::vector<std::pair<PubKey, ParSignedData>>& partials) {
  DutyState* st = state(duty);
  if (st == nullptr) return fail(CoreError::kExpired);
  Result<void> first_error{};
  auto note = [&](std::error_code ec) {
    if (first_error) first_error = std::unexpected(ec);
  };
  std::vector<std::pair<PubKey, ParSignedData>> accepted;
  for (const auto& [pk, p] : partials) {
    if (keys_.find(pk) == nullptr) {
      note(make_error_code(CoreError::kUnknownPubkey));
      continue;
    }
    if (duty_type_of(p.data.message) != duty.type) {
      note(make_error_code(CoreError::kWrongDataType));
      continue;
    }
    if (p.share_idx != options_.share_idx) {
      note(make_error_code(CoreError::kUnknownShare));
      continue;
    }
    const Root root = signing_root(config_, p.data.message);
    auto own = st->own_roots.find(pk);
    if (own != st->own_roots.end()) {
      if (own->second != root) note(make_error_code(CoreError::kConflict));
      continue;  // identical: already handled
    }
    if (withheld(pk)) {  // doppelganger watch: a VC's partial (or an exit's) is not released
      note(make_error_code(CoreError::kWithheld));
      continue;
    }
    auto guard = ports_.guard.check_and_record(pk, p.data.message);
    if (!guard) {
      ++metrics_.slashing_refusals;
      note(guard.error());
      st->tracked = true;
      fail_duty(duty, Reason::kSlashingRefused, "slashing protection refused a signature: " + error_text(guard.error()));
      continue;
    }
    st->own_roots[pk] = root;
    if (duty.type == DutyType::kExit || duty.type == DutyType::kBuilderRegistration) {
      // Not scheduled from duties: the validators this node signs for complete the duty.
      st->tracked = true;
      st->triggered = true;
      if (!st->expected.contains(pk)) {
        st->expected.insert(pk);
        track(duty, Step::kDecided);
      }
    }
    auto stored = parsigdb_.store(duty, pk, p);
    if (!stored) {
      note(stored.error());
      log::warn("workflow: own partial of {} refused by ParSigDB: {}", to_string(duty), error_text(stored.error()));
      continue;
    }
    tracker_.on_partial(duty, options_.share_idx);
    if (stored->ready) queue_threshold(std::move(*stored->ready));
    accepted.emplace_back(pk, p);
  }
  if (!accepted.empty()) {
    if (!st->first_own_partial) st->first_own_partial = ports_.clock.now();
    metrics_.own_partials += accepted.size();
    auto r = ports_.parsigex.broadcast(duty, accepted);
    if (!r) log::warn("workflow: broadcast of {} partials failed: {}", to_string(duty), error_text(r.error()));
  }
  return first_error;
}

bool Workflow::withheld(const PubKey& pubkey) {
  if (ports_.gate == nullptr || ports_.gate->may_sign(pubkey)) return false;
  ++metrics_.doppelganger_withheld;
  return true;
}

void Workflow::on_received(const Duty& duty, const PubKey& pubkey, const ParSignedData& partial) {
  // Bound what a peer can make this node hold: no own share index, nothing more than an epoch ahead.
  const Slot now = scheduler_.clock().slot_at(ports_.clock.now());
  if (partial.share_idx == options_.share_idx || duty.slot.value > now.value + config_.slots_per_epoch) {
    ++metrics_.partials_rejected;
    return;
  }
  auto stored = parsigdb_.store(duty, pubkey, partial);
  if (!stored) {
    if (stored.error() == make_error_code(CoreError::kEquivocation)) {
      ++metrics_.equivocations;
      tracker_.on_blame(duty, partial.share_idx);
    } else {
      ++metrics_.partials_rejected;
    }
    log::debug("workflow: partial of {} from share {} refused: {}", to_string(duty), partial.share_idx.value,
               error_text(stored.error()));
    return;
  }
  if (state(duty) == nullptr) return;  // expired meanwhile (cannot happen after a successful store)
  ++metrics_.partials_received;
  tracker_.on_partial(duty, partial.share_idx);
  if (stored->ready) queue_threshold(std::move(*stored->ready));
}

void Workflow::queue_threshold(ThresholdSet set) {
  DutyState* st = state(set.duty);
  if (st == nullptr) return;
  const Duty duty = set.duty;
  st->pending.insert_or_assign(set.pubkey, std::move(set));
  if (st->aggregation_posted) return;
  st->aggregation_posted = true;
  // Batch every set that becomes ready in this turn of the io loop (typically a whole duty).
  std::weak_ptr<bool> alive = alive_;
  asio::post(ex_, [this, alive, duty] {
    if (!alive.expired()) aggregate_pending(duty);
  });
}

void Workflow::aggregate_pending(const Duty& duty) {
  auto it = duties_.find(duty);
  if (it == duties_.end()) return;
  DutyState& st = *it->second;
  st.aggregation_posted = false;
  std::vector<ThresholdSet> sets;
  sets.reserve(st.pending.size());
  for (auto& [pk, s] : st.pending) sets.push_back(std::move(s));
  st.pending.clear();
  if (sets.empty()) return;
  track(duty, Step::kPartialsIn);
  std::set<ShareIdx> suspects = suspects_at(duty.slot);
  if (options_.bls_off_thread) {
    tasks_.spawn(aggregate_off_thread(duty, std::move(sets), std::move(suspects)));
    return;
  }
  on_aggregated(duty, sigagg_.aggregate(sets, suspects));
}

std::set<ShareIdx> Workflow::suspects_at(Slot slot) const {
  // A share blamed for a bad partial in the last two epochs: its partials are verified before use.
  std::set<ShareIdx> out;
  const std::uint64_t window = 2 * config_.slots_per_epoch;
  for (const auto& [share, at] : blamed_at_)
    if (at.value + window >= slot.value) out.insert(share);
  return out;
}

Task<std::vector<AggregateOutcome>> Workflow::run_sigagg(std::vector<ThresholdSet> sets, std::set<ShareIdx> suspects) {
  co_return sigagg_.aggregate(sets, suspects);  // on the worker thread: touches only sigagg_ (one worker: serialised)
}

asio::thread_pool::executor_type Workflow::worker() {
  if (!pool_) pool_ = std::make_unique<asio::thread_pool>(1);
  return pool_->get_executor();
}

Task<void> Workflow::aggregate_off_thread(Duty duty, std::vector<ThresholdSet> sets, std::set<ShareIdx> suspects) {
  InFlight in_flight(in_flight_);
  auto work = run_sigagg(std::move(sets), std::move(suspects));
  auto outcomes = co_await asio::co_spawn(worker(), std::move(work), asio::use_awaitable);
  on_aggregated(duty, outcomes);
}

void Workflow::on_aggregated(const Duty& duty, const std::vector<AggregateOutcome>& outcomes) {
  auto it = duties_.find(duty);
  if (it == duties_.end()) return;  // expired while aggregating
  DutyState& st = *it->second;
  std::vector<Submission> subs;
  std::vector<PubKey> stored_now;
  for (const auto& out : outcomes) {
    for (const ShareIdx s : out.blamed) {
      parsigdb_.exclude(duty, out.pubkey, s);
      tracker_.on_blame(duty, s);
      ++metrics_.blamed_partials;
      Slot& at = blamed_at_[s];
      at = std::max(at, duty.slot);
    }
    if (!out.aggregate) continue;  // not enough good partials yet: ParSigDB emits again on the next one
    auto stored = aggsigdb_.store(duty, out.pubkey, *out.aggregate);
    if (!stored) {
      log::error("workflow: aggregate of {} for a validator refused: {}", to_string(duty),
                 error_text(stored.error()));
      continue;
    }
    parsigdb_.mark_aggregated(duty, out.pubkey);
    if (!*stored || st.aggregated.contains(out.pubkey)) continue;
    st.aggregated.insert(out.pubkey);
    ++metrics_.aggregates;
    if (submitted(duty.type)) {
      // A duty this node did not start (it joined late, or skips the type) still completes here from the
      // decision and the peers' partials: its definitions come from the scheduler.
      if (st.defs.empty()) st.defs = scheduler_.definitions(duty);
      DutyDefinition def;
      if (auto d = st.defs.find(out.pubkey); d != st.defs.end()) {
        def = d->second;
      } else if (duty.type == DutyType::kAttester) {
        // Without the validator's committee assignment the attestation cannot be built; the peers submit it.
        log::debug("workflow: {}: no committee assignment here for a validator, left to the peers",
                   to_string(duty));
        continue;
      } else if (const ValidatorRef* v = scheduler_.validator(out.pubkey)) {
        def.pubkey = out.pubkey;
        def.validator_index = v->index;
      } else {
        def.pubkey = out.pubkey;
      }
      subs.push_back(Submission{out.pubkey, std::move(def), *out.aggregate});
    } else {
      stored_now.push_back(out.pubkey);
    }
  }
  if (!st.expected.empty() &&
      std::all_of(st.expected.begin(), st.expected.end(), [&](const PubKey& pk) { return st.aggregated.contains(pk); }))
    track(duty, Step::kAggregated);
  changed_.notify_all();
  if (preparation_ && preparation_->scope() == BnPreparation::Scope::kEverything &&
      duty.type == DutyType::kPrepareAggregator && !stored_now.empty()) {
    // The slot's aggregators are known now: subscribe them before the attestations go out (1/3 of the slot).
    if (st.defs.empty()) st.defs = scheduler_.definitions(duty);
    std::vector<DutyDefinition> aggregators;
    for (const PubKey& pk : stored_now) {
      auto def = st.defs.find(pk);
      auto proof = aggsigdb_.get(duty, pk);
      if (def != st.defs.end() && proof && is_aggregator(def->second.committee_length, proof->signature.to_bytes()))
        aggregators.push_back(def->second);
    }
    if (!aggregators.empty()) tasks_.spawn(preparation_->on_aggregators(duty.slot, std::move(aggregators)));
  }
  if (!stored_now.empty()) mark_done(duty, stored_now);
  if (!subs.empty()) tasks_.spawn(submit(duty, std::move(subs)));
}

Task<void> Workflow::submit(Duty duty, std::vector<Submission> subs) {
  if (duty.type == DutyType::kProposer) {
    // Peers' partials can complete the aggregate before this node's own QBFT instance decides; a full block
    // is published with the contents (blobs) decided here, so wait for the decision (or the deadline).
    std::function<Result<bool>()> q = [this, duty]() -> Result<bool> {
      auto it = duties_.find(duty);
      if (it == duties_.end()) return fail(CoreError::kExpired);
      if (!it->second->decided) return fail(CoreError::kNotFound);
      return true;
    };
    auto decided = co_await wait_until(changed_, deadliner_, stopping_, duty, std::move(q));
    if (!decided) {
      fail_duty(duty, Reason::kSubmitNotDecided, "submit: not decided here: " + error_text(decided.error()));
      co_return;
    }
  }
  std::vector<PubKey> pubkeys;
  pubkeys.reserve(subs.size());
  for (const auto& s : subs) pubkeys.push_back(s.pubkey);
  tracker_.on_event(duty, Event::kSubmit);
  auto r = co_await ports_.beacon_node.submit(duty, std::move(subs));
  if (!r) {
    ++metrics_.beacon_errors;
    fail_duty(duty, Reason::kSubmitBnError, "submit: " + error_text(r.error()));
    co_return;
  }
  metrics_.submissions += pubkeys.size();
  mark_done(duty, pubkeys);
}

void Workflow::mark_done(const Duty& duty, const std::vector<PubKey>& pubkeys) {
  auto it = duties_.find(duty);
  if (it == duties_.end()) return;
  for (const auto& pk : pubkeys) it->second->done.insert(pk);
  check_complete(duty);
}

void Workflow::check_complete(const Duty& duty) {
  auto it = duties_.find(duty);
  if (it == duties_.end()) return;
  DutyState& st = *it->second;
  if (!st.tracked || st.reported || st.expected.empty()) return;
  if (needs_consensus(duty.type) && !st.decided) return;
  for (const auto& pk : st.expected)
    if (!st.done.contains(pk)) return;
  tracker_.on_step(duty, Step::kBroadcast);
  finish(st, tracker_.on_expired(duty));
}

}  // namespace phx::core
