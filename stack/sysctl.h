// Every knob under its Linux name (net.ipv4.tcp_syncookies, net.core.somaxconn, ...), with Linux's
// default and range, so an experiment moves between the kernel and taptcp unchanged.
//
// Code reads the typed fields (`sysctl.tcp_syncookies`); the command line and scripts go through
// Set("net.ipv4.tcp_syncookies", "2"), which checks the value and names the knob and its range on
// error, as `sysctl -w` would refuse it.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace taptcp {

// The size Linux derives several defaults from (the established hash, sized from memory at boot).
// 65536 buckets is what a machine with a few GiB gets; tcp_max_tw_buckets and tcp_max_orphans are
// half of it and tcp_max_syn_backlog is max(128, size/128), as in tcp_init() / tcp_sk_init().
inline constexpr int kEhashEntries = 65536;

struct Sysctl {
  // net.core
  int somaxconn = 4096;
  // net.ipv4 (IP and ICMP)
  int ip_default_ttl = 64;
  std::array<int, 2> ip_local_port_range = {32768, 60999};
  int icmp_echo_ignore_all = 0;
  int icmp_echo_ignore_broadcasts = 1;
  // net.ipv4.neigh.default (ARP)
  int neigh_base_reachable_time_ms = 30000;
  int neigh_retrans_time_ms = 1000;
  int neigh_mcast_solicit = 3;
  int neigh_ucast_solicit = 3;
  int neigh_delay_first_probe_time = 5;
  int neigh_unres_qlen_bytes = 212992;
  int neigh_gc_stale_time = 60;
  int neigh_gc_thresh3 = 1024;
  // net.ipv4.tcp_*: opening
  int tcp_syn_retries = 6;
  int tcp_synack_retries = 5;
  int tcp_syn_linear_timeouts = 4;
  int tcp_syncookies = 1;
  int tcp_max_syn_backlog = kEhashEntries / 128 > 128 ? kEhashEntries / 128 : 128;
  int tcp_abort_on_overflow = 0;
  int tcp_fastopen = 1;
  int tcp_timestamps = 1;
  int tcp_sack = 1;
  // The smallest MSS a peer may make us use (Linux 5.2+, after the SACK Panic fixes): a tiny
  // advertised MSS would otherwise multiply segments and per-segment cost.
  int tcp_min_snd_mss = 48;
  int tcp_window_scaling = 1;
  std::array<int, 3> tcp_rmem = {4096, 131072, 6291456};
  int tcp_moderate_rcvbuf = 1;  // receive-buffer autotuning (DRS) up to tcp_rmem[2]
  std::array<int, 3> tcp_wmem = {4096, 16384, 4194304};
  std::string tcp_congestion_control = "cubic";
  // data and liveness
  int tcp_retries1 = 3;
  int tcp_retries2 = 15;
  int tcp_keepalive_time = 7200;
  int tcp_keepalive_intvl = 75;
  int tcp_keepalive_probes = 9;
  int tcp_challenge_ack_limit = 2147483647;
  int tcp_invalid_ratelimit = 500;
  // closing
  int tcp_fin_timeout = 60;
  int tcp_orphan_retries = 0;
  int tcp_max_orphans = kEhashEntries / 2;
  int tcp_max_tw_buckets = kEhashEntries / 2;
  int tcp_tw_reuse = 2;
  int tcp_tw_reuse_delay = 1000;
  int tcp_rfc1337 = 0;

  // Sets a knob by its name ("net.ipv4.tcp_syncookies" or "net/ipv4/tcp_syncookies"); vector knobs
  // take space- or tab-separated values ("32768 60999"). Errors name the knob and the valid range.
  absl::Status Set(std::string_view name, std::string_view value);
  // Parses "name=value" as `sysctl -w` and `--sysctl` take it.
  absl::Status SetAssignment(std::string_view assignment);
  absl::StatusOr<std::string> Get(std::string_view name) const;
  // Every knob's full name, in a stable order (for `--help` and `sysctl -a` style listings).
  static std::vector<std::string> Names();
  // "net.ipv4.tcp_syncookies = 1" lines, like `sysctl -a`.
  std::string Format() const;
};

}  // namespace taptcp
