// The duty workflow's lifecycle and front half: scheduling, triggering, fetching, consensus, the VC API.
#include "core/workflow_detail.hpp"

namespace phx::core {

using namespace detail;

namespace {

DeadlinePolicy policy_of(const eth::ChainConfig& config, const WorkflowOptions& o) {
  DeadlinePolicy p;
  p.margin = o.deadline_margin > Duration{0} ? o.deadline_margin
                                             : Duration(std::chrono::seconds(config.seconds_per_slot)) / 3;
  return p;
}

/// AggregateAndProof of the same fork layout as `att`.
template <std::size_t I = 0>
eth::VersionedAggregateAndProof make_aggregate_and_proof(const eth::VersionedAttestation& att,
                                                               ValidatorIndex index,
                                                               const eth::BLSSignature& proof) {
  if constexpr (I == eth::kForkCount) {
    PHX_ASSERT(false);
    return {};
  } else {
    if (att.value.index() != I) return make_aggregate_and_proof<I + 1>(att, index, proof);
    using T = std::variant_alternative_t<I, eth::VersionedAggregateAndProof::Variant>;
    T out{};
    out.aggregator_index = index;
    out.aggregate = std::get<I>(att.value);
    out.selection_proof = proof;
    return eth::VersionedAggregateAndProof{
        eth::VersionedAggregateAndProof::Variant(std::in_place_index<I>, std::move(out))};
  }
}

}  // namespace

Workflow::Workflow(runtime::Executor ex, const eth::ChainConfig& config, const KeyBook& keys, WorkflowPorts ports,
                   WorkflowOptions options)
    : ex_(ex),
      config_(config),
      keys_(keys),
      ports_(ports),
      options_(std::move(options)),
      deadliner_(config_, ports_.clock, policy_of(config_, options_)),
      scheduler_(config_, keys_, ports_.beacon_node,
                 SchedulerOptions{options_.mode == SigningMode::kEmbedded && options_.builder, options_.builder}),
      fetcher_(config_, ports_.beacon_node,
               FetcherWaits{
                   [this](Duty d, PubKey p) { return await_aggregate_signature(d, p); },
                   [this](Duty d, PubKey p) { return aggsigdb_.get(d, p); },
                   [this](Slot s, eth::CommitteeIndex c) { return await_attestation_data(s, c); },
                   [this](Slot s) { return await_sync_block_root(s); },
               },
               FetcherOptions{options_.graffiti, options_.builder}),
      dutydb_(deadliner_),
      parsigdb_(config_, keys_, deadliner_),
      sigagg_(keys_, crypto::threshold::default_lagrange_cache(), std::max(1u, options_.sigagg_threads)),
      aggsigdb_(deadliner_),
      tracker_(TrackerOptions{keys_.share_count(), keys_.threshold(), options_.share_idx,
                              options_.mode == SigningMode::kValidatorClient, &ports_.clock,
                              [this](Slot s) { return deadliner_.slot_start(s); }}),
      changed_(ex),
      tasks_(ex),
      alive_(std::make_shared<bool>(true)) {
  PHX_ASSERT(options_.share_idx.value >= 1 && options_.share_idx.value <= keys_.share_count());
  PHX_ASSERT(options_.mode != SigningMode::kEmbedded || ports_.signer != nullptr);
  // Embedded: the node is the VC and tells the BN everything a VC would. VC mode: the VC subscribes itself; the
  // node sends only the lock's fee recipients (as Charon does), so a misconfigured VC cannot redirect fees.
  preparation_ = std::make_unique<BnPreparation>(
      scheduler_, ports_.beacon_node, options_.fee_recipients, options_.fee_recipient,
      options_.mode == SigningMode::kEmbedded ? BnPreparation::Scope::kEverything
                                              : BnPreparation::Scope::kProposersOnly);
  std::weak_ptr<bool> alive = alive_;
  ports_.consensus.subscribe_decided([this, alive](const Duty& duty, const UnsignedDataSet& set) {
    if (alive.expired()) return;
    // Decisions may arrive from inside propose(): handle them on a fresh stack.
    asio::post(ex_, [this, alive, duty, set] {
      if (!alive.expired()) on_decided(duty, set);
    });
  });
  ports_.consensus.subscribe_misbehaviour([this, alive](const Duty& duty, ShareIdx share) {
    if (alive.expired()) return;
    ++metrics_.consensus_equivocations;
    tracker_.on_blame(duty, share);
    log::warn("workflow: share {} sent conflicting consensus messages for {} (blamed)", share.value,
              to_string(duty));
  });
  ports_.parsigex.subscribe_received([this, alive](const Duty& duty, const PubKey& pubkey, const ParSignedData& p) {
    if (!alive.expired()) on_received(duty, pubkey, p);
  });
}

Workflow::~Workflow() {
  alive_.reset();
  tasks_.stop();
}

void Workflow::start() {
  if (started_) return;
  started_ = true;
  tasks_.spawn(run_scheduler());
}

Task<void> Workflow::stop() {
  stopping_ = true;
  tasks_.stop();
  changed_.notify_all();
  co_await tasks_.join();
  if (pool_) pool_->join();
}

void Workflow::subscribe_results(ResultFn fn) {
  subscribers_.push_back(std::move(fn));
}

void Workflow::subscribe_duties(DutiesFn fn) {
  duty_subscribers_.push_back(std::move(fn));
}

void Workflow::publish_duties(Epoch epoch) {
  const EpochDuties* d = scheduler_.duties(epoch);
  if (d == nullptr) return;
  for (const auto& fn : duty_subscribers_) fn(epoch, *d);
}

// ------------------------------------------------------------------------------------------------ timing

Task<void> Workflow::sleep_until(TimePoint t) {
  if (options_.sleep_until) {
    co_await options_.sleep_until(t);
    co_return;
  }
  asio::steady_timer timer(ex_);
  for (;;) {
    const TimePoint now = ports_.clock.now();
    if (now >= t) co_return;
    timer.expires_after(std::chrono::duration_cast<asio::steady_timer::duration>(t - now));
    co_await timer.async_wait(asio::use_awaitable);
  }
}

Task<void> Workflow::resolve_epoch_task(Epoch epoch, bool ahead, std::optional<Root> proposer_root) {
  auto r = co_await scheduler_.resolve_epoch(epoch, ahead, proposer_root);
  resolving_.erase(epoch);
  if (!r) {
    ++metrics_.beacon_errors;
    log::warn("workflow: duties of epoch {} not resolved: {}", epoch.value, error_text(r.error()));
    co_return;
  }
  publish_duties(epoch);
  // Embedded mode: tell the BN what a validator client would (subscriptions, fee recipients), off this path.
  if (preparation_) tasks_.spawn(preparation_->on_epoch_resolved(epoch));
  trigger_started_slot();
}

Task<void> Workflow::refresh_proposers_task(Epoch epoch, Root expected_root) {
  auto r = co_await scheduler_.refresh_proposers(epoch, expected_root);
  refreshing_.erase(epoch);
  if (!r) {
    ++metrics_.beacon_errors;
    log::warn("workflow: proposers of epoch {} not refreshed: {}", epoch.value, error_text(r.error()));
    co_return;
  }
  publish_duties(epoch);
  trigger_started_slot();
}

void Workflow::trigger_started_slot() {
  if (!started_ || stopping_) return;
  const SlotClock& sc = scheduler_.clock();
  const TimePoint now = ports_.clock.now();
  const Slot slot = sc.slot_at(now);
  if (now < sc.slot_start(slot) || now >= sc.tick_time(slot, SlotTick::kOneThird)) return;
  for (const Duty& d : scheduler_.duties_at(slot, SlotTick::kStart))
    if ((d.type == DutyType::kProposer || d.type == DutyType::kBuilderProposer || d.type == DutyType::kRandao) &&
        !options_.skip_duties.contains(d.type))
      trigger(d);
}

void Workflow::on_head(const HeadEvent& head) {
  if (!started_ || stopping_) return;
  ++metrics_.head_events;
  const SlotClock& sc = scheduler_.clock();
  const TimePoint now = ports_.clock.now();
  const Slot slot = sc.slot_at(now);
  const Epoch current = sc.epoch_of(slot);
  // A head more than a slot ahead of this node's clock (a faulty or lying BN: a node's clock skew stays well
  // under a slot) would make it resolve duties of epochs that have no chain yet: ignored and counted.
  if (head.slot.value > slot.value + 1) {
    ++metrics_.future_heads;
    log::debug("workflow: head event for slot {} ignored: the clock is at slot {}", head.slot.value, slot.value);
    return;
  }
  const HeadPlan plan = scheduler_.on_head(head);
  for (const auto& [epoch, root] : plan.resolve) {
    if (resolving_.contains(epoch) || epoch.value + 1 < current.value) continue;
    resolving_.insert(epoch);
    ++metrics_.duty_refreshes;
    tasks_.spawn(resolve_epoch_task(epoch, epoch > current, root));
  }
  for (const auto& [epoch, root] : plan.proposers) {
    if (refreshing_.contains(epoch) || resolving_.contains(epoch)) continue;
    refreshing_.insert(epoch);
    ++metrics_.duty_refreshes;
    tasks_.spawn(refresh_proposers_task(epoch, root));
  }
  // Early fetch on head: the block of the current slot is here, so attesting need not wait for 1/3 of it.
  if (head.slot == slot && now >= sc.slot_start(slot) && now < sc.tick_time(slot, SlotTick::kOneThird)) {
    for (const Duty& d : scheduler_.duties_at(slot, SlotTick::kOneThird)) {
      if (options_.skip_duties.contains(d.type)) continue;
      auto it = duties_.find(d);
      if (it != duties_.end() && it->second->triggered) continue;
      ++metrics_.early_triggers;
      trigger(d);
    }
  }
}

Task<void> Workflow::run_scheduler() {
  const SlotClock& sc = scheduler_.clock();
  auto [slot, tick] = sc.next_tick(ports_.clock.now());
  // Resolve the first tick's epoch right away (before genesis, typically) rather than at the tick, so that the
  // first slot's duties do not start behind the duty lookups; a failure is retried at the tick.
  if (const Epoch first = sc.epoch_of(slot); !scheduler_.resolved(first) && !resolving_.contains(first)) {
    resolving_.insert(first);
    co_await resolve_epoch_task(first);
  }
  for (;;) {
    co_await sleep_until(sc.tick_time(slot, tick));
    if (ports_.clock.now() - sc.tick_time(slot, tick) > sc.slot_duration()) {
      // Far behind (suspended process, clock jump): skip to the present; those duties have expired anyway.
      std::tie(slot, tick) = sc.next_tick(ports_.clock.now());
      // Never spin without yielding (a clock that keeps jumping must not starve the io thread).
      co_await asio::post(ex_, asio::use_awaitable);
      continue;
    }
    const Epoch epoch = sc.epoch_of(slot);
    if (!scheduler_.resolved(epoch) && !resolving_.contains(epoch)) {
      resolving_.insert(epoch);
      co_await resolve_epoch_task(epoch);
    }
    if (tick == SlotTick::kStart && scheduler_.proposers_provisional(epoch)) {
      // Proposer duties asked for during the previous epoch may have changed (RANDAO): ask again now.
      if (auto r = co_await scheduler_.refresh_proposers(epoch); !r) {
        ++metrics_.beacon_errors;
        log::warn("workflow: proposers of epoch {} not refreshed: {}", epoch.value, error_text(r.error()));
      }
    }
    const Epoch next{epoch.value + 1};
    if (scheduler_.resolved(epoch) && !scheduler_.resolved(next) && !resolving_.contains(next)) {
      resolving_.insert(next);
      tasks_.spawn(resolve_epoch_task(next, true));
    }
    if (tick == SlotTick::kStart && epoch.value > 1) {
      scheduler_.forget_before(Epoch{epoch.value - 1});
      if (preparation_) preparation_->forget_before(Epoch{epoch.value - 1});
    }
    expire_duties();
    changed_.notify_all();  // waiters re-check their deadline at least once per tick
    for (const Duty& d : scheduler_.duties_at(slot, tick))
      if (!options_.skip_duties.contains(d.type)) trigger(d);
    if (tick == SlotTick::kTwoThirds) {
      slot = Slot{slot.value + 1};
      tick = SlotTick::kStart;
    } else {
      tick = static_cast<SlotTick>(static_cast<std::uint8_t>(tick) + 1);
    }
  }
}

void Workflow::expire_duties() {
  const auto expired = deadliner_.on_tick();
  // Decided before any state is dropped: an aggregation duty and its selection duty expire together.
  std::set<Duty> without_selections;
  if (options_.mode == SigningMode::kValidatorClient) {
    for (const Duty& d : expired)
      if (no_vc_selections(d)) without_selections.insert(d);
  }
  for (const Duty& d : expired) {
    auto it = duties_.find(d);
    DutyReport report = tracker_.on_expired(d);  // also drops what the tracker held for untracked duties
    if (it != duties_.end()) {
      DutyState& st = *it->second;
      if (!report.success && without_selections.contains(d)) {
        report.reason = "expired: the validator client sent no selection proofs through the DVT selection "
                        "endpoints (it cannot aggregate in a distributed validator)";
        report.expected = true;
        report.code = Reason::kVcWithoutDvtSelections;
      }
      if (st.tracked && !st.reported) finish(st, std::move(report));
      duties_.erase(it);
    }
    dutydb_.evict(d);
    parsigdb_.evict(d);
    aggsigdb_.evict(d);
  }
  if (!expired.empty()) changed_.notify_all();
}

Workflow::DutyState* Workflow::state(const Duty& duty) {
  auto it = duties_.find(duty);
  if (it != duties_.end()) return it->second.get();
  if (!deadliner_.add(duty)) return nullptr;
  auto st = std::make_unique<DutyState>();
  st->duty = duty;
  return duties_.emplace(duty, std::move(st)).first->second.get();
}

// ------------------------------------------------------------------------------------------------ duties

void Workflow::trigger(const Duty& duty) {
  // Aggregation duties need the selection proofs of their slot: when this node started after that point
  // (late start), the duty is not this node's to track.
  if (duty.type == DutyType::kAggregator || duty.type == DutyType::kSyncContribution) {
    auto it = duties_.find(*selection_duty_of(duty));
    if (it == duties_.end() || !it->second->triggered) return;
  }
  DutyState* st = state(duty);
  if (st == nullptr || st->triggered) return;
  st->triggered = true;
  st->defs = scheduler_.definitions(duty);
  if (st->defs.empty()) return;
  st->tracked = true;
  track(duty, Step::kScheduled);
  if (needs_consensus(duty.type)) {
    tasks_.spawn(run_fetch(duty, st->defs));
    return;
  }
  // Signed without consensus: the scheduled set is what completes the duty.
  for (const auto& [pk, def] : st->defs) st->expected.insert(pk);
  track(duty, Step::kDecided);
  if (options_.mode == SigningMode::kEmbedded) sign_without_consensus(duty);
  check_complete(duty);
}

Task<void> Workflow::run_fetch(Duty duty, std::map<PubKey, DutyDefinition> defs) {
  tracker_.on_event(duty, Event::kFetchStart);
  auto set = co_await fetcher_.fetch(duty, defs);
  // A failed fetch is retried until the duty's slot ends: the BN may not have the data yet (a sync contribution
  // or aggregate asked for before the slot's messages reached it answers 404) or may have timed out once. The
  // wait doubles from 1/12 of a slot (capped at 1/4): a BN that keeps failing is not hammered (a block
  // production that fails ten times a slot costs the BN a full block build each time).
  const SlotClock& sc = scheduler_.clock();
  const TimePoint give_up = sc.slot_start(Slot{duty.slot.value + 1});
  Duration backoff = sc.slot_duration() / 12;
  while (!set && !deadliner_.expired(duty) && duties_.contains(duty) && ports_.clock.now() + backoff < give_up) {
    ++metrics_.fetch_retries;
    log::debug("workflow: fetch of {} failed ({}), retrying in {} ms", to_string(duty), error_text(set.error()),
               std::chrono::duration_cast<std::chrono::milliseconds>(backoff).count());
    const TimePoint again = ports_.clock.now() + backoff;
    co_await sleep_until(again);
    if (deadliner_.expired(duty) || !duties_.contains(duty)) break;
    tracker_.on_event(duty, Event::kFetchRetry);
    set = co_await fetcher_.fetch(duty, defs);
    backoff = std::min<Duration>(backoff * 2, sc.slot_duration() / 4);
  }
  if (!set) {
    if (!deadliner_.expired(duty)) ++metrics_.beacon_errors;
    fail_duty(duty, deadliner_.expired(duty) ? Reason::kFetchTimeout : Reason::kFetchBnError,
              "fetch: " + error_text(set.error()));
    co_return;
  }
  auto it = duties_.find(duty);
  if (set->empty()) {
    // Nothing to do this slot (e.g. no aggregator): not a duty of this node after all.
    if (it != duties_.end() && !it->second->reported) it->second->tracked = false;
    co_return;
  }
  Duty actual = duty;
  const DutyType type = duty_type_of(set->begin()->second);
  if (type != duty.type) {
    // The BN answered a builder request with a full block (or the reverse): the proposal is of that type.
    for (const auto& [pk, u] : *set) {
      if (duty_type_of(u) != type) {
        fail_duty(duty, Reason::kFetchInconsistent, "fetch: beacon node returned blocks of both kinds");
        co_return;
      }
    }
    if (it != duties_.end() && !it->second->reported) it->second->tracked = false;
    actual = Duty{duty.slot, type};
    DutyState* other = state(actual);
    if (other == nullptr) co_return;
    other->triggered = true;
    other->tracked = true;
    other->defs = defs;
    track(actual, Step::kScheduled);
  }
  DutyState* st = state(actual);
  if (st == nullptr) co_return;
  track(actual, Step::kFetched);
  st->proposed_at = ports_.clock.now();
  tracker_.on_event(actual, Event::kConsensusStart);
  auto r = ports_.consensus.propose(actual, *set);
  if (!r) fail_duty(actual, Reason::kConsensusError, "consensus: " + error_text(r.error()));
}

void Workflow::sign_without_consensus(const Duty& duty) {
  DutyState* st = state(duty);
  if (st == nullptr) return;
  std::vector<SignItem> items;
  for (const auto& pk : st->expected) {
    if (st->own_roots.contains(pk) || st->signing.contains(pk)) continue;
    SignedMessage msg;
    switch (duty.type) {
      case DutyType::kRandao:
        msg = RandaoMessage{config_.epoch_at(duty.slot)};
        break;
      case DutyType::kPrepareAggregator:
        msg = SelectionProofMessage{duty.slot};
        break;
      case DutyType::kPrepareSyncContribution:
        msg = eth::altair::SyncAggregatorSelectionData{duty.slot, duty.subcommittee};
        break;
      case DutyType::kBuilderRegistration: {
        eth::phase0::ValidatorRegistrationV1 reg{};
        reg.fee_recipient = options_.fee_recipients.contains(pk) ? options_.fee_recipients.at(pk) : options_.fee_recipient;
        reg.gas_limit = options_.gas_limit;
        reg.timestamp = config_.genesis_time;  // fixed, so that every operator signs the same message
        reg.pubkey = pk;
        msg = reg;
        break;
      }
      default:
        return;
    }
    items.push_back(SignItem{pk, std::move(msg)});
  }
  sign_items(duty, std::move(items));
}

void Workflow::on_decided(const Duty& duty, const UnsignedDataSet& set) {
  DutyState* st = state(duty);
  if (st == nullptr || st->decided || set.empty()) return;
  auto r = dutydb_.store(duty, set);
  if (!r) {
    st->tracked = true;
    fail_duty(duty, Reason::kDutyDbError, "dutydb: " + error_text(r.error()));
    return;
  }
  st->decided = true;
  st->tracked = true;
  st->triggered = true;
  if (st->defs.empty()) st->defs = scheduler_.definitions(duty);
  for (const auto& [pk, u] : set) st->expected.insert(pk);
  if (duty.type == DutyType::kSyncMessage) {
    if (const auto* s = std::get_if<SyncBlockRootData>(&set.begin()->second)) st->sync_root = s->beacon_block_root;
  }
  if (st->proposed_at) {
    st->consensus = ports_.clock.now() - *st->proposed_at;
    ++metrics_.consensus_count;
    metrics_.consensus_duration_sum += *st->consensus;
  }
  track(duty, Step::kDecided);
  changed_.notify_all();
  if (options_.mode == SigningMode::kEmbedded) sign_decided(duty, set);
  check_complete(duty);
}

void Workflow::sign_decided(const Duty& duty, const UnsignedDataSet& set) {
  DutyState* st = state(duty);
  if (st == nullptr) return;
  std::vector<SignItem> items;
  for (const auto& [pk, u] : set) {
    if (st->own_roots.contains(pk) || st->signing.contains(pk)) continue;
    const ValidatorRef* v = scheduler_.validator(pk);
    SignedMessage msg;
    std::string missing;
    std::visit(
        [&](const auto& d) {
          using T = std::decay_t<decltype(d)>;
          if constexpr (std::is_same_v<T, AttesterData>) {
            msg = d.data;
          } else if constexpr (std::is_same_v<T, ProposalData>) {
            msg = block_of(d.block);
          } else if constexpr (std::is_same_v<T, BlindedProposalData>) {
            msg = d.block;
          } else if constexpr (std::is_same_v<T, SyncBlockRootData>) {
            msg = SyncMessage{duty.slot, d.beacon_block_root};
          } else if constexpr (std::is_same_v<T, AggregatedAttestationData>) {
            auto proof = aggsigdb_.get(Duty{duty.slot, DutyType::kPrepareAggregator}, pk);
            if (!proof || v == nullptr) {
              missing = "no aggregated selection proof or validator index";
              return;
            }
            msg = make_aggregate_and_proof(d.attestation, v->index, proof->signature.to_bytes());
          } else if constexpr (std::is_same_v<T, SyncContributionData>) {
            auto proof = aggsigdb_.get(Duty{duty.slot, DutyType::kPrepareSyncContribution, duty.subcommittee}, pk);
            if (!proof || v == nullptr) {
              missing = "no aggregated sync selection proof or validator index";
              return;
            }
            eth::altair::ContributionAndProof cap{};
            cap.aggregator_index = v->index;
            cap.contribution = d.contribution;
            cap.selection_proof = proof->signature.to_bytes();
            msg = cap;
          }
        },
        u);
    if (!missing.empty()) {
      ++metrics_.signer_errors;
      fail_duty(duty, Reason::kMissingSelectionProof, "sign: " + missing);
      continue;
    }
    items.push_back(SignItem{pk, std::move(msg)});
  }
  sign_items(duty, std::move(items));
}

// ------------------------------------------------------------------------------------------------ VC API

Task<Result<eth::phase0::AttestationData>> Workflow::await_attestation_data(Slot slot,
                                                                            eth::CommitteeIndex committee_index) {
  const Duty duty{slot, DutyType::kAttester};
  note_vc_request(duty);
  std::function<Result<eth::phase0::AttestationData>()> q = [this, slot, committee_index] {
    return dutydb_.attestation_data(slot, committee_index);
  };
  co_return co_await wait_until(changed_, deadliner_, stopping_, duty, std::move(q));
}

Result<void> Workflow::submit_randao(Slot slot, const PubKey& pubkey, const ParSignedData& partial) {
  const Duty duty{slot, DutyType::kRandao};
  DutyState* st = state(duty);
  if (st == nullptr) return fail(CoreError::kExpired);
  if (!st->triggered) trigger(duty);
  std::vector<std::pair<PubKey, ParSignedData>> one{{pubkey, partial}};
  auto r = own_partials(duty, one);
  trigger(Duty{slot, options_.builder ? DutyType::kBuilderProposer : DutyType::kProposer});
  return r;
}

Task<Result<UnsignedData>> Workflow::await_block(Slot slot) {
  const Duty duty{slot, DutyType::kProposer};
  note_vc_request(options_.builder ? Duty{slot, DutyType::kBuilderProposer} : duty);
  std::function<Result<UnsignedData>()> q = [this, slot]() -> Result<UnsignedData> {
    if (auto b = dutydb_.block(slot)) return UnsignedData{ProposalData{std::move(*b)}};
    if (auto b = dutydb_.blinded_block(slot)) return UnsignedData{BlindedProposalData{std::move(*b)}};
    return fail(CoreError::kNotFound);
  };
  co_return co_await wait_until(changed_, deadliner_, stopping_, duty, std::move(q));
}

bool Workflow::no_vc_selections(const Duty& duty) const {
  const auto prep = selection_duty_of(duty);
  if (!prep) return false;
  auto it = duties_.find(*prep);
  return it != duties_.end() && it->second->triggered && it->second->own_roots.empty();
}

bool Workflow::vc_sent_selections(const Duty& aggregation) const {
  // Only with the VC's partial selection proofs can the cluster's combined proof select an aggregator and the
  // aggregation duty be decided; a VC without the DVT selection endpoints (Lodestar 1.5.1) would otherwise
  // wait here until the deadline and, serial per slot, miss its next duties.
  if (options_.mode != SigningMode::kValidatorClient) return true;
  auto it = duties_.find(*selection_duty_of(aggregation));
  if (it != duties_.end() && !it->second->own_roots.empty()) return true;
  log::info("workflow: {} asked for by the validator client without its selection proofs: refused at once",
            to_string(aggregation));
  return false;
}

Task<Result<eth::VersionedAttestation>> Workflow::await_aggregate_attestation(
    Slot slot, Root attestation_data_root, std::optional<eth::CommitteeIndex> committee_index) {
  const Duty duty{slot, DutyType::kAggregator};
  note_vc_request(duty);
  if (!vc_sent_selections(Duty{slot, DutyType::kAggregator})) co_return fail(CoreError::kNoSelectionProof);
  std::function<Result<eth::VersionedAttestation>()> q = [this, slot, attestation_data_root, committee_index] {
    return dutydb_.aggregate_attestation(slot, attestation_data_root, committee_index);
  };
  co_return co_await wait_until(changed_, deadliner_, stopping_, duty, std::move(q));
}

Task<Result<eth::altair::SyncCommitteeContribution>> Workflow::await_sync_contribution(Slot slot,
                                                                                      std::uint64_t subcommittee_index,
                                                                                      Root beacon_block_root) {
  if (subcommittee_index >= kSyncSubcommitteeCount) co_return fail(CoreError::kNotFound);
  const Duty duty{slot, DutyType::kSyncContribution, subcommittee_index};
  note_vc_request(duty);
  if (!vc_sent_selections(duty)) co_return fail(CoreError::kNoSelectionProof);
  std::function<Result<eth::altair::SyncCommitteeContribution>()> q = [this, slot, subcommittee_index,
                                                                        beacon_block_root] {
    return dutydb_.sync_contribution(slot, subcommittee_index, beacon_block_root);
  };
  co_return co_await wait_until(changed_, deadliner_, stopping_, duty, std::move(q));
}

Task<Result<Root>> Workflow::await_sync_block_root(Slot slot) {
  const Duty duty{slot, DutyType::kSyncMessage};
  note_vc_request(duty);
  std::function<Result<Root>()> q = [this, duty]() -> Result<Root> {
    auto it = duties_.find(duty);
    if (it == duties_.end() || !it->second->sync_root) return fail(CoreError::kNotFound);
    return *it->second->sync_root;
  };
  co_return co_await wait_until(changed_, deadliner_, stopping_, duty, std::move(q));
}

Result<void> Workflow::submit_own_partials(const Duty& duty,
                                           const std::vector<std::pair<PubKey, ParSignedData>>& partials) {
  return own_partials(duty, partials);
}

Task<Result<SignedData>> Workflow::await_aggregate_signature(Duty duty, PubKey pubkey) {
  std::function<Result<SignedData>()> q = [this, duty, pubkey] { return aggsigdb_.get(duty, pubkey); };
  co_return co_await wait_until(changed_, deadliner_, stopping_, duty, std::move(q));
}

Result<void> Workflow::request_exit(const PubKey& pubkey, Epoch epoch) {
  if (options_.mode != SigningMode::kEmbedded) return fail(CoreError::kWrongDataType);
  const ValidatorRef* v = scheduler_.validator(pubkey);
  if (v == nullptr) return fail(CoreError::kUnknownPubkey);
  const Duty duty{scheduler_.clock().epoch_start(epoch), DutyType::kExit};
  DutyState* st = state(duty);
  if (st == nullptr) return fail(CoreError::kExpired);
  if (st->own_roots.contains(pubkey)) return {};
  DutyDefinition def;
  def.pubkey = pubkey;
  def.validator_index = v->index;
  st->defs[pubkey] = def;
  ExitMessage msg;
  msg.exit.epoch = epoch;
  msg.exit.validator_index = v->index;
  msg.current_epoch = epoch;  // the same on every operator (the domain depends on it before deneb)
  if (withheld(pubkey)) return fail(CoreError::kWithheld);
  if (auto guard = ports_.guard.check_and_record(pubkey, SignedMessage{msg}); !guard) {
    ++metrics_.slashing_refusals;
    return std::unexpected(guard.error());
  }
  auto p = ports_.signer->sign(duty, pubkey, SignedMessage{msg});
  if (!p) {
    ++metrics_.signer_errors;
    return std::unexpected(p.error());
  }
  std::vector<std::pair<PubKey, ParSignedData>> one{{pubkey, std::move(*p)}};
  return own_partials(duty, one);
}

}  // namespace phx::core
