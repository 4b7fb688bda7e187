#include "conformance/pkt/seq_map.h"

#include "absl/strings/str_cat.h"
#include "conformance/pkt/tcp_options.h"

namespace taptcp::pkt {

absl::Status SeqMap::MapInbound(TcpPacket* p, bool ts_ecr_scaled) const {
  const bool syn = p->syn();
  p->seq += RemoteOffset(syn);
  const uint32_t ack_offset = LocalOffset(syn);
  if (p->has_ack()) p->ack += ack_offset;
  OffsetSackBlocks(&p->options, ack_offset);
  // TS ecr only means something on a segment with an ACK (RFC 7323 §3.2).
  const std::optional<TimestampRef> ts = FindTimestamp(p->options);
  if (!p->has_ack() || !ts) return absl::OkStatus();
  uint32_t live_ecr;
  if (auto it = ts_val_map_.find(ts->ecr); it != ts_val_map_.end()) {
    live_ecr = it->second;  // echoes an exact outbound TS val
  } else if (ts_ecr_scaled && found_first_ts_) {
    live_ecr = ts->ecr - first_script_ts_val_ + first_actual_ts_val_;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "unable to infer live TS ecr for script TS ecr ", ts->ecr,
        "; no matching or preceding outbound TS val (an outbound line must show TS val ", ts->ecr,
        " first, or run with --tcp_ts_ecr_scaled)"));
  }
  SetTimestamp(&p->options, ts->val, live_ecr);
  return absl::OkStatus();
}

TcpPacket SeqMap::ToScriptSpace(TcpPacket p) const {
  const bool syn = p.syn();
  p.seq -= LocalOffset(syn);
  const uint32_t ack_offset = RemoteOffset(syn);
  if (p.has_ack()) p.ack -= ack_offset;
  OffsetSackBlocks(&p.options, 0u - ack_offset);
  return p;
}

void SeqMap::MapOutbound(TcpPacket* p, const std::optional<uint32_t>& script_ts_val) {
  *p = ToScriptSpace(std::move(*p));
  const std::optional<TimestampRef> ts = FindTimestamp(p->options);
  if (!ts || !script_ts_val) return;
  ts_val_map_[*script_ts_val] = ts->val;
  if (!found_first_ts_) {
    found_first_ts_ = true;
    first_script_ts_val_ = *script_ts_val;
    first_actual_ts_val_ = ts->val;
  }
  SetTimestamp(&p->options, first_script_ts_val_ + (ts->val - first_actual_ts_val_), ts->ecr);
}

}  // namespace taptcp::pkt
