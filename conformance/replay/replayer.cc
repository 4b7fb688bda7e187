#include "conformance/replay/replayer.h"

#include <algorithm>
#include <memory>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "capture/pcap_writer.h"
#include "conformance/replay/app_calls.h"
#include "conformance/replay/compare.h"
#include "conformance/replay/rebase.h"
#include "stack/stack.h"
#include "stack/wire/arp.h"
#include "stack/wire/ethernet.h"

namespace taptcp::replay {
namespace {

// Timers that keep firing without the clock reaching the next event mean a bug, not a capture.
constexpr int kMaxTimerRounds = 1'000'000;

// Where relative time 0 (the capture's first frame) sits on the stack's timeline: far enough
// from kEpoch that calls made before the first frame still have a place.
constexpr Duration kBase = std::chrono::hours(1);

// A segment taptcp sent.
struct Sent {
  Duration t{0};
  std::vector<uint8_t> frame;
  std::optional<TcpPacket> tcp;
  std::string problem;
};

class Driver final : public Link {
 public:
  Driver(const Description& d, const Capture& c, const ReplayOptions& o)
      : d_(d), c_(c), o_(o), base_(kEpoch + kBase) {}

  absl::Status Run();
  std::vector<Row> Rows(std::vector<std::string>* notes) const;

  // taptcp's frames.
  void Transmit(std::span<const uint8_t> frame, Instant now) override;

 private:
  Instant At(Duration rel) const { return base_ + rel; }
  Duration Rel(Instant i) const { return i - base_; }
  absl::Status Setup(Instant start);
  absl::Status AdvanceTo(Instant t);
  void PlayPeerFrame(size_t index, Instant now);
  void FlushArpReplies(Instant now);
  Duration Tolerance() const {
    return std::chrono::milliseconds(o_.tolerance_ms.value_or(d_.tolerance_ms));
  }
  Duration End() const {
    return d_.end ? *d_.end : (c_.packets.empty() ? Duration{0} : c_.packets.back().t);
  }

  const Description& d_;
  const Capture& c_;
  const ReplayOptions& o_;
  Instant base_;
  Instant now_{};
  std::unique_ptr<Stack> stack_;
  std::unique_ptr<AppCalls> app_;
  std::unique_ptr<capture::PcapWriter> pcap_;
  Rebaser rebaser_;
  std::vector<std::vector<uint8_t>> arp_replies_;
  std::vector<Sent> sent_;
  std::vector<std::string> call_results_;  // per description call
  std::vector<std::string> rebase_notes_;  // per capture packet
};

absl::Status Driver::Setup(Instant start) {
  StackConfig config;
  config.mac = d_.dut_mac;
  config.addr = d_.dut_ip;
  config.prefix_len = 24;
  config.mtu = d_.mtu;
  stack_ = std::make_unique<Stack>(config, this, start, o_.seed);
  for (const auto& [name, value] : d_.sysctls) {
    if (absl::Status st = stack_->sysctl().Set(name, value); !st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(d_.path, ": sysctl ", name, " = ", value,
                                                     " is not taptcp's to take: ", st.message()));
    }
  }
  for (const std::string& a : o_.sysctls) {
    if (absl::Status st = stack_->sysctl().SetAssignment(a); !st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--sysctl ", a, ": ", st.message()));
    }
  }
  // The kernel had a permanent neighbour entry for the peer (record-linux.sh): so does taptcp.
  stack_->interface().arp().Learn(d_.peer_ip, d_.peer_mac, /*create=*/true, /*confirmed=*/true);
  app_ = std::make_unique<AppCalls>(stack_->sockets(), d_.dut_ip);
  if (!o_.pcap_out.empty()) {
    absl::StatusOr<std::unique_ptr<capture::PcapWriter>> w = capture::PcapWriter::Open(o_.pcap_out);
    if (!w.ok()) return w.status();
    pcap_ = std::move(*w);
    // Stamp frames with the reference capture's wall-clock times, so the two line up in Wireshark.
    const Duration first = c_.first_wall_time == Instant{} ? std::chrono::seconds(1000)
                                                           : c_.first_wall_time.time_since_epoch();
    pcap_->set_time_base(std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(first - kBase)));
  }
  // Linux's side is known in full before the replay: its ISNs and TSvals are what the peer's
  // segments were written against.
  for (const Packet& p : c_.packets) {
    if (p.origin == Origin::kDut && p.tcp) rebaser_.OnDut(Side::kLinux, *p.tcp, p.t);
  }
  return absl::OkStatus();
}

void Driver::Transmit(std::span<const uint8_t> frame, Instant now) {
  if (pcap_) pcap_->Transmit(frame, now);
  wire::EthernetView eth;
  wire::ArpView arp;
  if (wire::EthernetView::Parse(frame, &eth) == wire::DropReason::kNone &&
      eth.ethertype() == wire::kArp &&
      wire::ArpView::Parse(eth.payload(), &arp) == wire::DropReason::kNone) {
    // The peer answers for its own address (RFC 826), after the stack returns: the Link must not
    // call back into the stack.
    if (arp.op() == wire::kArpOpRequest && arp.target_ip() == d_.peer_ip) {
      std::vector<uint8_t> reply(wire::kMinEthernetFrame, 0);
      const size_t n = wire::WriteEthernetHeader(reply, arp.sender_mac(), d_.peer_mac, wire::kArp);
      wire::WriteArp(std::span<uint8_t>(reply).subspan(n), wire::kArpOpReply, d_.peer_mac,
                     d_.peer_ip, arp.sender_mac(), arp.sender_ip());
      arp_replies_.push_back(std::move(reply));
    }
    return;
  }
  Sent s;
  s.t = Rel(now);
  s.frame.assign(frame.begin(), frame.end());
  // taptcp's own frames are held to their checksums: a wrong one is a bug.
  s.tcp = DecodeTcpFrame(frame, /*verify_checksum=*/true, &s.problem);
  if (s.tcp) rebaser_.OnDut(Side::kTaptcp, *s.tcp, s.t);
  sent_.push_back(std::move(s));
}

void Driver::FlushArpReplies(Instant now) {
  for (int guard = 0; guard < 16 && !arp_replies_.empty(); ++guard) {
    std::vector<std::vector<uint8_t>> replies;
    replies.swap(arp_replies_);
    for (const std::vector<uint8_t>& r : replies) {
      if (pcap_) pcap_->Record(r, now);
      stack_->Input(r, now);
    }
  }
  arp_replies_.clear();
}

absl::Status Driver::AdvanceTo(Instant t) {
  for (int round = 0;; ++round) {
    const std::optional<Instant> next = stack_->NextDeadline();
    if (!next || *next > t) break;
    if (round == kMaxTimerRounds) {
      return absl::InternalError(absl::StrCat(d_.path, ": the stack's timers did not settle by ",
                                              ToSeconds(Rel(t)), " s"));
    }
    now_ = std::max(now_, *next);
    stack_->Advance(now_);
    FlushArpReplies(now_);
  }
  now_ = std::max(now_, t);
  stack_->Advance(now_);
  FlushArpReplies(now_);
  return absl::OkStatus();
}

void Driver::PlayPeerFrame(size_t index, Instant now) {
  const Packet& p = c_.packets[index];
  std::vector<uint8_t> frame = p.frame;
  if (p.tcp) {
    rebaser_.OnPeer(*p.tcp);
    rebase_notes_[index] = rebaser_.RebasePeerFrame(frame, *p.tcp, p.t);
  }
  if (pcap_) pcap_->Record(frame, now);
  stack_->Input(frame, now);
  FlushArpReplies(now);
}

absl::Status Driver::Run() {
  // Events in time order; at equal times a call goes first (the recorder stamps a call before
  // making it, and a frame when it is written).
  struct Event {
    Duration t;
    bool is_call;
    size_t index;
  };
  std::vector<Event> events;
  for (size_t i = 0; i < d_.calls.size(); ++i) events.push_back({d_.calls[i].t, true, i});
  for (size_t i = 0; i < c_.packets.size(); ++i) {
    if (c_.packets[i].origin == Origin::kPeer) events.push_back({c_.packets[i].t, false, i});
  }
  std::stable_sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.t < b.t || (a.t == b.t && a.is_call && !b.is_call);
  });
  Duration first{0};
  if (!events.empty()) first = std::min(first, events.front().t);
  now_ = At(first - std::chrono::milliseconds(1));
  if (absl::Status st = Setup(now_); !st.ok()) return st;
  call_results_.assign(d_.calls.size(), "");
  rebase_notes_.assign(c_.packets.size(), "");
  for (const Event& e : events) {
    if (absl::Status st = AdvanceTo(At(e.t)); !st.ok()) return st;
    if (e.is_call) {
      call_results_[e.index] = app_->Run(d_.calls[e.index]);
      FlushArpReplies(now_);
    } else {
      PlayPeerFrame(e.index, now_);
    }
  }
  // Until the recording's end, and a tolerance beyond it for a segment taptcp sends a little
  // later than Linux did.
  return AdvanceTo(At(std::max(End(), first) + Tolerance()));
}

std::vector<Row> Driver::Rows(std::vector<std::string>* notes) const {
  const CompareOptions copts{Tolerance(), d_.compare_window};
  const Duration end = End();
  std::vector<Row> rows;
  // Linux's segments, and the peer's as played.
  std::vector<RelPacket> linux_p;
  std::vector<int> linux_number;
  int skipped_other = 0;
  for (size_t i = 0; i < c_.packets.size(); ++i) {
    const Packet& p = c_.packets[i];
    if (!p.tcp) {
      if (!p.problem.empty()) {
        notes->push_back(absl::StrCat("frame ", p.number, " is a malformed TCP segment (",
                                      p.problem, "); not compared"));
      } else {
        ++skipped_other;
      }
      continue;
    }
    if (p.origin == Origin::kDut) {
      linux_p.push_back(RelativeDut(*p.tcp, Side::kLinux, p.t, rebaser_));
      linux_number.push_back(p.number);
    } else if (p.origin == Origin::kPeer) {
      Row r;
      r.kind = Row::Kind::kPeer;
      r.number = p.number;
      r.linux_t = p.t;
      r.linux_text = absl::StrCat("peer> ", Describe(RelativePeer(*p.tcp, p.t, rebaser_), true));
      r.verdict = Row::Verdict::kPlayed;
      r.detail = rebase_notes_[i];
      rows.push_back(std::move(r));
    } else {
      ++skipped_other;
    }
  }
  if (skipped_other > 0) {
    notes->push_back(absl::StrCat(skipped_other, " frame", skipped_other == 1 ? "" : "s",
                                  " of the capture (ARP, non-TCP, or neither DUT's nor peer's) "
                                  "played or skipped, not compared"));
  }
  // taptcp's segments, up to the end plus the tolerance (Run stopped there).
  std::vector<RelPacket> taptcp_p;
  for (const Sent& s : sent_) {
    if (s.tcp && s.tcp->src == d_.dut_ip) {
      taptcp_p.push_back(RelativeDut(*s.tcp, Side::kTaptcp, s.t, rebaser_));
    } else if (!s.problem.empty()) {
      Row r;
      r.taptcp_t = s.t;
      r.taptcp_text = "(malformed TCP segment)";
      r.verdict = Row::Verdict::kExtra;
      r.detail = absl::StrCat("taptcp sent a segment that does not parse: ", s.problem);
      rows.push_back(std::move(r));
    }
  }
  std::set<int> explained;
  for (const Pairing& pr : Align(linux_p, taptcp_p, copts)) {
    Row r;
    if (pr.linux_index >= 0) {
      const RelPacket& l = linux_p[pr.linux_index];
      r.number = linux_number[pr.linux_index];
      r.linux_t = l.t;
      r.linux_text = Describe(l, false);
    }
    if (pr.taptcp_index >= 0) {
      const RelPacket& t = taptcp_p[pr.taptcp_index];
      // Linux's recording stopped at `end`: what taptcp sent later has nothing to compare with.
      if (pr.linux_index < 0 && t.t > end) continue;
      r.taptcp_t = t.t;
      r.taptcp_text = Describe(t, false);
    }
    std::vector<std::string> diffs;
    if (pr.linux_index >= 0 && pr.taptcp_index >= 0) {
      diffs = Differences(linux_p[pr.linux_index], taptcp_p[pr.taptcp_index], copts);
    }
    const auto deviation = r.number > 0 ? d_.deviations.find(r.number) : d_.deviations.end();
    if (deviation != d_.deviations.end()) explained.insert(r.number);
    if (pr.linux_index >= 0 && pr.taptcp_index >= 0 && diffs.empty()) {
      r.verdict = Row::Verdict::kOk;
      if (deviation != d_.deviations.end()) {
        notes->push_back(absl::StrCat("packet ", r.number,
                                      " is listed as a deviation but taptcp "
                                      "now matches Linux there; the entry can go"));
      }
    } else if (deviation != d_.deviations.end()) {
      r.verdict = Row::Verdict::kDeviation;
      r.detail = absl::StrCat(deviation->second, " [",
                              pr.taptcp_index < 0 ? "missing" : absl::StrJoin(diffs, "; "), "]");
    } else if (pr.taptcp_index < 0) {
      r.verdict = Row::Verdict::kMissing;
    } else if (pr.linux_index < 0) {
      r.verdict = Row::Verdict::kExtra;
    } else {
      r.verdict = Row::Verdict::kDiffers;
      r.detail = absl::StrJoin(diffs, "; ");
    }
    rows.push_back(std::move(r));
  }
  for (const auto& [number, why] : d_.deviations) {
    if (!explained.contains(number)) {
      notes->push_back(
          absl::StrCat("deviation for packet ", number, " names no segment the DUT sent: ", why));
    }
  }
  // The application's calls.
  for (size_t i = 0; i < d_.calls.size(); ++i) {
    const AppCall& c = d_.calls[i];
    Row r;
    r.kind = Row::Kind::kApp;
    r.linux_t = c.t;
    r.linux_text =
        absl::StrCat("app> ", AppCalls::Text(c), " = ", c.result.empty() ? "?" : c.result);
    r.taptcp_text = absl::StrCat("= ", call_results_[i]);
    const bool same = c.result.empty() || AppCalls::SameResult(c.result, call_results_[i]);
    r.verdict = same ? Row::Verdict::kOk : Row::Verdict::kDiffers;
    if (!same) r.detail = absl::StrCat("result ", c.result, " vs ", call_results_[i]);
    rows.push_back(std::move(r));
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return a.SortTime() < b.SortTime(); });
  return rows;
}

}  // namespace

absl::StatusOr<ReplayOutcome> Replay(const Description& d, const Capture& c,
                                     const ReplayOptions& o) {
  Driver driver(d, c, o);
  if (absl::Status st = driver.Run(); !st.ok()) return st;
  ReplayOutcome out;
  out.description = d;
  out.rows = driver.Rows(&out.notes);
  out.summary = Summarize(out.rows);
  return out;
}

absl::StatusOr<ReplayOutcome> ReplayCapture(const std::string& pcap_path, const ReplayOptions& o) {
  // The capture first: it is what the user named.
  absl::StatusOr<CaptureFrames> frames = ReadCaptureFrames(pcap_path);
  if (!frames.ok()) return frames.status();
  absl::StatusOr<Description> d = LoadDescription(DescriptionPathFor(pcap_path));
  if (!d.ok()) return d.status();
  Capture c = ClassifyFrames(std::move(frames->frames), *d);
  c.first_wall_time = frames->first_wall_time;
  return Replay(*d, c, o);
}

}  // namespace taptcp::replay
