#include "stack/net/arp_cache.h"

namespace taptcp::net {

std::string_view NeighStateName(NeighState s) {
  switch (s) {
    case NeighState::kIncomplete:
      return "INCOMPLETE";
    case NeighState::kReachable:
      return "REACHABLE";
    case NeighState::kStale:
      return "STALE";
    case NeighState::kDelay:
      return "DELAY";
    case NeighState::kProbe:
      return "PROBE";
  }
  return "?";
}

struct ArpCache::Entry final : timers::TimerHandler {
  Entry(ArpCache* c, wire::Ipv4Address a) : cache(c), ip(a), timer(this) {}
  void OnTimer(timers::Timer&, Instant) override { cache->OnEntryTimer(*this); }

  ArpCache* cache;
  wire::Ipv4Address ip;
  wire::MacAddress mac{};
  NeighState state = NeighState::kIncomplete;
  int probes = 0;       // requests sent in this resolution or probe round
  Instant last_used{};  // for STALE garbage collection
  timers::Timer timer;
  std::deque<std::vector<uint8_t>> queue;  // packets waiting for INCOMPLETE to resolve
  size_t queue_bytes = 0;
};

ArpCache::ArpCache(NetContext& ctx, Output& out) : ctx_(ctx), out_(out) {}
ArpCache::~ArpCache() = default;

ArpCache::Entry* ArpCache::Create(wire::Ipv4Address ip) {
  if (entries_.size() >= static_cast<size_t>(ctx_.sysctl.neigh_gc_thresh3)) {
    // Table full (neigh_forced_gc): forget the least recently used entry that is not resolving.
    Entry* victim = nullptr;
    for (auto& [addr, e] : entries_) {
      if (e->state == NeighState::kIncomplete) continue;
      if (victim == nullptr || e->last_used < victim->last_used) victim = e.get();
    }
    if (victim == nullptr) {
      ctx_.mib.Inc(Counter::kTaptcpArpTableFull);
      return nullptr;
    }
    Erase(victim->ip);
  }
  auto [it, inserted] = entries_.emplace(ip, std::make_unique<Entry>(this, ip));
  it->second->last_used = ctx_.now();
  return it->second.get();
}

void ArpCache::Erase(wire::Ipv4Address ip) {
  auto it = entries_.find(ip);
  if (it == entries_.end()) return;
  queued_bytes_ -= it->second->queue_bytes;
  entries_.erase(it);  // the Timer's destructor unlinks it from the wheel
}

void ArpCache::SetState(Entry& e, NeighState s) {
  e.state = s;
  ctx_.Emit(TraceKind::kArp, NeighStateName(s), e.ip);
  const Sysctl& sc = ctx_.sysctl;
  switch (s) {
    case NeighState::kIncomplete:
      ctx_.wheel.ArmAfter(e.timer, milliseconds(sc.neigh_retrans_time_ms));
      break;
    case NeighState::kReachable:
      ctx_.wheel.ArmAfter(e.timer, milliseconds(sc.neigh_base_reachable_time_ms));
      break;
    case NeighState::kStale:
      ctx_.wheel.ArmAfter(e.timer, seconds(sc.neigh_gc_stale_time));
      break;
    case NeighState::kDelay:
      ctx_.wheel.ArmAfter(e.timer, seconds(sc.neigh_delay_first_probe_time));
      break;
    case NeighState::kProbe:
      ctx_.wheel.ArmAfter(e.timer, milliseconds(sc.neigh_retrans_time_ms));
      break;
  }
}

std::optional<wire::MacAddress> ArpCache::ResolveKnown(wire::Ipv4Address next_hop) {
  auto it = entries_.find(next_hop);
  Entry* e = it == entries_.end() ? nullptr : it->second.get();
  if (e == nullptr || e->state == NeighState::kIncomplete) return std::nullopt;
  e->last_used = ctx_.now();
  // A STALE entry is still good to send with; using it starts re-validation (neigh_event_send:
  // STALE -> DELAY, and PROBE when no confirmation comes).
  if (e->state == NeighState::kStale) SetState(*e, NeighState::kDelay);
  return e->mac;
}

std::optional<wire::MacAddress> ArpCache::Resolve(wire::Ipv4Address next_hop,
                                                  std::span<const uint8_t> ip_packet) {
  if (std::optional<wire::MacAddress> mac = ResolveKnown(next_hop)) return mac;
  auto it = entries_.find(next_hop);
  Entry* e = it == entries_.end() ? nullptr : it->second.get();
  if (e == nullptr) {
    e = Create(next_hop);
    if (e == nullptr) {
      ctx_.mib.Inc(Counter::kTaptcpArpUnresolvedDiscards);
      return std::nullopt;
    }
    e->probes = 1;
    SetState(*e, NeighState::kIncomplete);
    ctx_.mib.Inc(Counter::kTaptcpArpOutRequests);
    out_.SendArpRequest(next_hop, std::nullopt);
  }
  // Queue, dropping the oldest packets past unres_qlen_bytes (__neigh_event_send does the same).
  const size_t limit = static_cast<size_t>(ctx_.sysctl.neigh_unres_qlen_bytes);
  if (ip_packet.size() > limit) {
    ctx_.mib.Inc(Counter::kTaptcpArpUnresolvedDiscards);
    return std::nullopt;
  }
  while (!e->queue.empty() && e->queue_bytes + ip_packet.size() > limit) {
    e->queue_bytes -= e->queue.front().size();
    queued_bytes_ -= e->queue.front().size();
    e->queue.pop_front();
    ctx_.mib.Inc(Counter::kTaptcpArpUnresolvedDiscards);
  }
  e->queue.emplace_back(ip_packet.begin(), ip_packet.end());
  e->queue_bytes += ip_packet.size();
  queued_bytes_ += ip_packet.size();
  return std::nullopt;
}

void ArpCache::Learn(wire::Ipv4Address ip, wire::MacAddress mac, bool create, bool confirmed) {
  auto it = entries_.find(ip);
  Entry* e = it == entries_.end() ? nullptr : it->second.get();
  if (e == nullptr) {
    if (!create) return;  // arp_accept=0: unsolicited replies make no entries
    e = Create(ip);
    if (e == nullptr) return;
  }
  const bool changed = e->state == NeighState::kIncomplete || e->mac != mac;
  e->mac = mac;
  if (confirmed) {
    SetState(*e, NeighState::kReachable);
  } else if (changed) {
    // A request tells us the sender's address but does not prove two-way reachability.
    SetState(*e, NeighState::kStale);
  }
  Flush(*e);
}

void ArpCache::Flush(Entry& e) {
  // Take the queue first: sending may re-enter Resolve for the same address.
  std::deque<std::vector<uint8_t>> queue;
  queue.swap(e.queue);
  queued_bytes_ -= e.queue_bytes;
  e.queue_bytes = 0;
  const wire::MacAddress mac = e.mac;
  for (const auto& packet : queue) out_.SendQueued(mac, packet);
}

void ArpCache::OnEntryTimer(Entry& e) {
  ctx_.Emit(TraceKind::kTimer, "arp", e.ip);
  switch (e.state) {
    case NeighState::kIncomplete:
      if (e.probes < ctx_.sysctl.neigh_mcast_solicit) {
        e.probes++;
        ctx_.wheel.ArmAfter(e.timer, milliseconds(ctx_.sysctl.neigh_retrans_time_ms));
        ctx_.mib.Inc(Counter::kTaptcpArpOutRequests);
        out_.SendArpRequest(e.ip, std::nullopt);
        return;
      }
      // Resolution failed (NUD_FAILED): what waited is discarded; the next packet starts over.
      ctx_.mib.Inc(Counter::kTaptcpArpResolveFailed);
      ctx_.mib.Inc(Counter::kTaptcpArpUnresolvedDiscards, e.queue.size());
      ctx_.Emit(TraceKind::kArp, "FAILED", e.ip);
      Erase(e.ip);
      return;
    case NeighState::kReachable:
      SetState(e, NeighState::kStale);
      return;
    case NeighState::kDelay:
      // No confirmation arrived while we kept sending: ask the neighbour directly.
      e.probes = 0;
      [[fallthrough]];
    case NeighState::kProbe:
      if (e.probes < ctx_.sysctl.neigh_ucast_solicit) {
        e.probes++;
        SetState(e, NeighState::kProbe);
        ctx_.mib.Inc(Counter::kTaptcpArpOutRequests);
        out_.SendArpRequest(e.ip, e.mac);
        return;
      }
      ctx_.mib.Inc(Counter::kTaptcpArpResolveFailed);
      ctx_.Emit(TraceKind::kArp, "FAILED", e.ip);
      Erase(e.ip);
      return;
    case NeighState::kStale:
      if (ctx_.now() - e.last_used >= seconds(ctx_.sysctl.neigh_gc_stale_time)) {
        Erase(e.ip);
      } else {
        ctx_.wheel.Arm(e.timer, e.last_used + seconds(ctx_.sysctl.neigh_gc_stale_time));
      }
      return;
  }
}

std::optional<ArpCache::EntryInfo> ArpCache::Lookup(wire::Ipv4Address ip) const {
  auto it = entries_.find(ip);
  if (it == entries_.end()) return std::nullopt;
  const Entry& e = *it->second;
  return EntryInfo{e.ip, e.mac, e.state, e.queue.size()};
}

std::vector<ArpCache::EntryInfo> ArpCache::Entries() const {
  std::vector<EntryInfo> out;
  for (const auto& [ip, e] : entries_) out.push_back({e->ip, e->mac, e->state, e->queue.size()});
  return out;
}

}  // namespace taptcp::net
