// The neighbour table: IPv4 address -> MAC, learned with ARP (RFC 826), with Linux's neighbour
// states reduced to what a single-link host needs (net/core/neighbour.c, net/ipv4/arp.c):
//
//   INCOMPLETE  a request is out; outbound packets wait in a bounded queue (unres_qlen_bytes).
//               Re-asked every retrans_time_ms, mcast_solicit times; then the entry fails and
//               its queue is discarded (counted in TaptcpArpUnresolvedDiscards).
//   REACHABLE   confirmed by a reply, for base_reachable_time_ms.
//   STALE       still usable; unused for gc_stale_time seconds, it is forgotten. Its first use
//               starts re-validation:
//   DELAY       usable; waits delay_first_probe_time for a confirmation, then
//   PROBE       usable; asks the cached MAC by unicast, ucast_solicit times retrans_time_ms apart;
//               a reply makes it REACHABLE, silence forgets it.
//
// The table holds at most gc_thresh3 entries (Linux's hard limit); when full, the oldest
// non-pending entry is evicted, or the new packet is dropped if every entry is still resolving.
// Together with the per-entry byte limit this bounds memory whatever the wire sends.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "stack/net/context.h"
#include "stack/wire/addresses.h"
#include "stack/wire/arp.h"
#include "timers/wheel.h"

namespace taptcp::net {

enum class NeighState : uint8_t { kIncomplete, kReachable, kStale, kDelay, kProbe };
std::string_view NeighStateName(NeighState s);  // as `ip neigh` prints: INCOMPLETE, REACHABLE...

class ArpCache {
 public:
  // How the table reaches the wire; implemented by the Interface.
  class Output {
   public:
    // Broadcast, or unicast to `to` when re-validating a known neighbour (PROBE).
    virtual void SendArpRequest(wire::Ipv4Address target, std::optional<wire::MacAddress> to) = 0;
    // Sends a queued IPv4 packet now that its next hop's MAC is known.
    virtual void SendQueued(wire::MacAddress dst, std::span<const uint8_t> ip_packet) = 0;

   protected:
    ~Output() = default;
  };

  struct EntryInfo {
    wire::Ipv4Address ip;
    wire::MacAddress mac;
    NeighState state;
    size_t queued_packets;
  };

  ArpCache(NetContext& ctx, Output& out);
  ~ArpCache();
  ArpCache(const ArpCache&) = delete;
  ArpCache& operator=(const ArpCache&) = delete;

  // The MAC for `next_hop` if known. Otherwise the packet is queued (bounded) and a request goes
  // out if none is pending; returns nullopt.
  std::optional<wire::MacAddress> Resolve(wire::Ipv4Address next_hop,
                                          std::span<const uint8_t> ip_packet);
  // The MAC for `next_hop` if an entry can be used now (as Resolve), else nullopt; queues nothing.
  std::optional<wire::MacAddress> ResolveKnown(wire::Ipv4Address next_hop);

  // A reply to one of our requests, or a request from a neighbour (which teaches us its address,
  // as Linux's arp_process does, because it is about to talk to us). `create` says whether an
  // unknown sender may get a new entry.
  void Learn(wire::Ipv4Address ip, wire::MacAddress mac, bool create, bool confirmed);

  std::optional<EntryInfo> Lookup(wire::Ipv4Address ip) const;
  std::vector<EntryInfo> Entries() const;
  size_t size() const { return entries_.size(); }
  size_t queued_bytes() const { return queued_bytes_; }

 private:
  struct Entry;
  Entry* Create(wire::Ipv4Address ip);
  void OnEntryTimer(Entry& e);
  void SetState(Entry& e, NeighState s);
  void Flush(Entry& e);
  void Discard(Entry& e);
  void Erase(wire::Ipv4Address ip);

  NetContext& ctx_;
  Output& out_;
  absl::flat_hash_map<wire::Ipv4Address, std::unique_ptr<Entry>> entries_;
  size_t queued_bytes_ = 0;
};

}  // namespace taptcp::net
