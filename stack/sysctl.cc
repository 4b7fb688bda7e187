#include "stack/sysctl.h"

#include <climits>
#include <variant>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "stack/absl_sv.h"

namespace taptcp {
namespace {

struct IntKnob {
  int Sysctl::*field;
  int min;
  int max;
};
struct PairKnob {  // two ints, first <= second (ip_local_port_range)
  std::array<int, 2> Sysctl::*field;
  int min;
  int max;
};
struct TripleKnob {  // min default max (tcp_rmem, tcp_wmem)
  std::array<int, 3> Sysctl::*field;
  int min;
  int max;
};
struct ChoiceKnob {
  std::string Sysctl::*field;
  std::array<absl::string_view, 2> choices;
};

struct Knob {
  absl::string_view name;
  std::variant<IntKnob, PairKnob, TripleKnob, ChoiceKnob> kind;
};

// Ranges follow the kernel's proc handlers (extra1/extra2 in net/ipv4/sysctl_net_ipv4.c and
// net/core/sysctl_net_core.c); where Linux has none, the type's range.
const Knob kKnobs[] = {
    {"net.core.somaxconn", IntKnob{&Sysctl::somaxconn, 0, INT_MAX}},
    {"net.ipv4.ip_default_ttl", IntKnob{&Sysctl::ip_default_ttl, 1, 255}},
    {"net.ipv4.ip_local_port_range", PairKnob{&Sysctl::ip_local_port_range, 1, 65535}},
    {"net.ipv4.icmp_echo_ignore_all", IntKnob{&Sysctl::icmp_echo_ignore_all, 0, 1}},
    {"net.ipv4.icmp_echo_ignore_broadcasts", IntKnob{&Sysctl::icmp_echo_ignore_broadcasts, 0, 1}},
    {"net.ipv4.neigh.default.base_reachable_time_ms",
     IntKnob{&Sysctl::neigh_base_reachable_time_ms, 1, INT_MAX}},
    {"net.ipv4.neigh.default.retrans_time_ms", IntKnob{&Sysctl::neigh_retrans_time_ms, 1, INT_MAX}},
    {"net.ipv4.neigh.default.mcast_solicit", IntKnob{&Sysctl::neigh_mcast_solicit, 0, 255}},
    {"net.ipv4.neigh.default.ucast_solicit", IntKnob{&Sysctl::neigh_ucast_solicit, 0, 255}},
    {"net.ipv4.neigh.default.delay_first_probe_time",
     IntKnob{&Sysctl::neigh_delay_first_probe_time, 1, INT_MAX}},
    {"net.ipv4.neigh.default.unres_qlen_bytes",
     IntKnob{&Sysctl::neigh_unres_qlen_bytes, 0, INT_MAX}},
    {"net.ipv4.neigh.default.gc_stale_time", IntKnob{&Sysctl::neigh_gc_stale_time, 1, INT_MAX}},
    {"net.ipv4.neigh.default.gc_thresh3", IntKnob{&Sysctl::neigh_gc_thresh3, 1, INT_MAX}},
    {"net.ipv4.tcp_syn_retries", IntKnob{&Sysctl::tcp_syn_retries, 1, 127}},
    {"net.ipv4.tcp_synack_retries", IntKnob{&Sysctl::tcp_synack_retries, 0, 255}},
    {"net.ipv4.tcp_syn_linear_timeouts", IntKnob{&Sysctl::tcp_syn_linear_timeouts, 0, 127}},
    {"net.ipv4.tcp_syncookies", IntKnob{&Sysctl::tcp_syncookies, 0, 2}},
    {"net.ipv4.tcp_max_syn_backlog", IntKnob{&Sysctl::tcp_max_syn_backlog, 0, INT_MAX}},
    {"net.ipv4.tcp_abort_on_overflow", IntKnob{&Sysctl::tcp_abort_on_overflow, 0, 1}},
    {"net.ipv4.tcp_fastopen", IntKnob{&Sysctl::tcp_fastopen, 0, INT_MAX}},
    {"net.ipv4.tcp_timestamps", IntKnob{&Sysctl::tcp_timestamps, 0, 2}},
    {"net.ipv4.tcp_sack", IntKnob{&Sysctl::tcp_sack, 0, 1}},
    {"net.ipv4.tcp_min_snd_mss", IntKnob{&Sysctl::tcp_min_snd_mss, 48, 767}},
    {"net.ipv4.tcp_window_scaling", IntKnob{&Sysctl::tcp_window_scaling, 0, 1}},
    {"net.ipv4.tcp_rmem", TripleKnob{&Sysctl::tcp_rmem, 1, INT_MAX}},
    {"net.ipv4.tcp_moderate_rcvbuf", IntKnob{&Sysctl::tcp_moderate_rcvbuf, 0, 1}},
    {"net.ipv4.tcp_wmem", TripleKnob{&Sysctl::tcp_wmem, 1, INT_MAX}},
    {"net.ipv4.tcp_congestion_control",
     ChoiceKnob{&Sysctl::tcp_congestion_control, {"reno", "cubic"}}},
    {"net.ipv4.tcp_retries1", IntKnob{&Sysctl::tcp_retries1, 0, 255}},
    {"net.ipv4.tcp_retries2", IntKnob{&Sysctl::tcp_retries2, 0, 255}},
    {"net.ipv4.tcp_keepalive_time", IntKnob{&Sysctl::tcp_keepalive_time, 1, 32767}},
    {"net.ipv4.tcp_keepalive_intvl", IntKnob{&Sysctl::tcp_keepalive_intvl, 1, 32767}},
    {"net.ipv4.tcp_keepalive_probes", IntKnob{&Sysctl::tcp_keepalive_probes, 1, 127}},
    {"net.ipv4.tcp_challenge_ack_limit", IntKnob{&Sysctl::tcp_challenge_ack_limit, 0, INT_MAX}},
    {"net.ipv4.tcp_invalid_ratelimit", IntKnob{&Sysctl::tcp_invalid_ratelimit, 0, INT_MAX}},
    {"net.ipv4.tcp_fin_timeout", IntKnob{&Sysctl::tcp_fin_timeout, 0, INT_MAX / 1000}},
    {"net.ipv4.tcp_orphan_retries", IntKnob{&Sysctl::tcp_orphan_retries, 0, 255}},
    {"net.ipv4.tcp_max_orphans", IntKnob{&Sysctl::tcp_max_orphans, 0, INT_MAX}},
    {"net.ipv4.tcp_max_tw_buckets", IntKnob{&Sysctl::tcp_max_tw_buckets, 0, INT_MAX}},
    {"net.ipv4.tcp_tw_reuse", IntKnob{&Sysctl::tcp_tw_reuse, 0, 2}},
    {"net.ipv4.tcp_tw_reuse_delay", IntKnob{&Sysctl::tcp_tw_reuse_delay, 1, INT_MAX}},
    {"net.ipv4.tcp_rfc1337", IntKnob{&Sysctl::tcp_rfc1337, 0, 1}},
};

const Knob* FindKnob(absl::string_view name) {
  std::string dotted = absl::StrReplaceAll(name, {{"/", "."}});
  for (const Knob& k : kKnobs) {
    if (k.name == dotted) return &k;
  }
  return nullptr;
}

absl::Status UnknownKnob(absl::string_view name) {
  // tcp_tw_recycle was removed from Linux 4.12 because it broke clients behind NAT (per-host
  // timestamp checks reject hosts sharing one address); the seed notes still recommend it.
  if (absl::EndsWith(name, "tcp_tw_recycle")) {
    return absl::NotFoundError(absl::StrCat(
        "unknown sysctl '", name,
        "': removed in Linux 4.12 because it broke clients behind NAT; see tcp_tw_reuse"));
  }
  return absl::NotFoundError(absl::StrCat("unknown sysctl '", name,
                                          "' (taptcp knows: ", kKnobs[0].name, ", ...; ",
                                          "list them with `taptcp sysctl -a`)"));
}

absl::Status ParseInts(absl::string_view name, absl::string_view value, size_t count, int min,
                       int max, int* out) {
  std::vector<absl::string_view> parts =
      absl::StrSplit(value, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  auto range = [&] {
    return absl::StrCat(count == 1 ? "an integer" : absl::StrCat(count, " integers"), " in [", min,
                        ", ", max, "]");
  };
  if (parts.size() != count) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad value '", value, "' for ", name, ": expected ", range()));
  }
  for (size_t i = 0; i < count; ++i) {
    int v;
    if (!absl::SimpleAtoi(parts[i], &v) || v < min || v > max) {
      return absl::OutOfRangeError(
          absl::StrCat("bad value '", value, "' for ", name, ": expected ", range()));
    }
    out[i] = v;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status Sysctl::Set(std::string_view name_in, std::string_view value_in) {
  const absl::string_view name = Sv(name_in);
  absl::string_view value = Sv(value_in);
  const Knob* knob = FindKnob(name);
  if (knob == nullptr) return UnknownKnob(name);
  value = absl::StripAsciiWhitespace(value);
  if (auto* k = std::get_if<IntKnob>(&knob->kind)) {
    return ParseInts(knob->name, value, 1, k->min, k->max, &(this->*(k->field)));
  }
  if (auto* k = std::get_if<PairKnob>(&knob->kind)) {
    std::array<int, 2> v;
    if (absl::Status s = ParseInts(knob->name, value, 2, k->min, k->max, v.data()); !s.ok()) {
      return s;
    }
    if (v[0] > v[1]) {
      return absl::OutOfRangeError(absl::StrCat("bad value '", value, "' for ", knob->name,
                                                ": the first number must not exceed the second"));
    }
    this->*(k->field) = v;
    return absl::OkStatus();
  }
  if (auto* k = std::get_if<TripleKnob>(&knob->kind)) {
    std::array<int, 3> v;
    if (absl::Status s = ParseInts(knob->name, value, 3, k->min, k->max, v.data()); !s.ok()) {
      return s;
    }
    if (v[0] > v[1] || v[1] > v[2]) {
      return absl::OutOfRangeError(absl::StrCat("bad value '", value, "' for ", knob->name,
                                                ": expected min <= default <= max"));
    }
    this->*(k->field) = v;
    return absl::OkStatus();
  }
  const auto& k = std::get<ChoiceKnob>(knob->kind);
  for (absl::string_view c : k.choices) {
    if (c == value) {
      this->*(k.field) = std::string(c);
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("bad value '", value, "' for ", knob->name,
                                                 ": expected one of ",
                                                 absl::StrJoin(k.choices, ", ")));
}

absl::Status Sysctl::SetAssignment(std::string_view assignment_in) {
  const absl::string_view assignment = Sv(assignment_in);
  size_t eq = assignment.find('=');
  if (eq == std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad sysctl '", assignment, "': expected name=value"));
  }
  const absl::string_view name = absl::StripAsciiWhitespace(assignment.substr(0, eq));
  const absl::string_view value = assignment.substr(eq + 1);
  return Set(std::string_view(name.data(), name.size()),
             std::string_view(value.data(), value.size()));
}

absl::StatusOr<std::string> Sysctl::Get(std::string_view name_in) const {
  const absl::string_view name = Sv(name_in);
  const Knob* knob = FindKnob(name);
  if (knob == nullptr) return UnknownKnob(name);
  if (auto* k = std::get_if<IntKnob>(&knob->kind)) return absl::StrCat(this->*(k->field));
  if (auto* k = std::get_if<PairKnob>(&knob->kind)) {
    return absl::StrJoin(this->*(k->field), "\t");
  }
  if (auto* k = std::get_if<TripleKnob>(&knob->kind)) {
    return absl::StrJoin(this->*(k->field), "\t");
  }
  return this->*(std::get<ChoiceKnob>(knob->kind).field);
}

std::vector<std::string> Sysctl::Names() {
  std::vector<std::string> names;
  for (const Knob& k : kKnobs) names.emplace_back(k.name);
  return names;
}

std::string Sysctl::Format() const {
  std::string out;
  for (const Knob& k : kKnobs) {
    absl::StrAppend(&out, k.name, " = ", *Get(std::string_view(k.name.data(), k.name.size())),
                    "\n");
  }
  return out;
}

}  // namespace taptcp
