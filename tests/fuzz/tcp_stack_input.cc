#include "tests/fuzz/tcp_stack_input.h"

#include <algorithm>
#include <cstdio>

namespace taptcp::fuzz {
namespace {

uint16_t Load16Le(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
void Put16Le(std::vector<uint8_t>* out, uint16_t v) {
  out->push_back(static_cast<uint8_t>(v));
  out->push_back(static_cast<uint8_t>(v >> 8));
}

OpKind KindOfNibble(uint8_t k) {
  if (k <= 9) return OpKind::kSegment;
  if (k <= 12) return OpKind::kApp;
  if (k <= 14) return OpKind::kWait;
  return OpKind::kRawFrame;
}

uint8_t NibbleOfKind(OpKind k) {
  switch (k) {
    case OpKind::kSegment:
      return 0;
    case OpKind::kApp:
      return 10;
    case OpKind::kWait:
      return 13;
    case OpKind::kRawFrame:
      return 15;
  }
  return 0;
}

std::string FlagsText(uint8_t f) {
  static constexpr char kNames[] = "FSRPAUEC";  // FIN SYN RST PSH ACK URG ECE CWR, bit 0 first
  std::string s;
  for (int i = 0; i < 8; ++i) {
    if (f & (1 << i)) s += kNames[i];
  }
  return s.empty() ? "-" : s;
}

const char* AppCallName(AppCall c) {
  switch (c) {
    case AppCall::kSend:
      return "send";
    case AppCall::kShutdownWr:
      return "shutdown(WR)";
    case AppCall::kClose:
      return "close";
    case AppCall::kAbort:
      return "abort";
    case AppCall::kPauseRead:
      return "pause-read";
    case AppCall::kShutdownRd:
      return "shutdown(RD)";
    case AppCall::kRcvBuf:
      return "SO_RCVBUF";
    case AppCall::kNoDelay:
      return "TCP_NODELAY";
    case AppCall::kKeepalive:
      return "SO_KEEPALIVE";
    case AppCall::kReconnect:
      return "reconnect";
    case AppCall::kRelisten:
      return "relisten";
    case AppCall::kSndBuf:
      return "SO_SNDBUF";
    case AppCall::kCount:
      break;
  }
  return "?";
}

}  // namespace

uint16_t MssValue(uint8_t mss) {
  if (mss == 0) return 1460;
  if (mss < 64) return mss;
  return static_cast<uint16_t>(mss * 8);
}

int64_t DelayMs(const Op& op) {
  static constexpr int64_t kUnitMs[] = {1, 10, 1000, 60000};
  return op.delay * kUnitMs[op.delay_unit & 3];
}

bool NextOp(std::span<const uint8_t>& in, Op* op) {
  if (in.size() < kRecordSize) return false;
  const uint8_t* r = in.data();
  *op = Op{};
  op->kind = KindOfNibble(r[0] & 15);
  op->target = static_cast<uint8_t>(r[0] >> 4);
  op->delay = r[1];
  op->seq_base = static_cast<SeqBase>(r[2] & 3);
  op->ack_base = static_cast<AckBase>((r[2] >> 2) & 3);
  op->bad_checksum = (r[2] & 16) != 0;
  op->delay_unit = static_cast<uint8_t>((r[2] >> 5) & 3);
  op->raw_payload = (r[2] & 128) != 0;
  op->flags = r[3];
  op->seq_delta = static_cast<int16_t>(Load16Le(r + 4));
  op->ack_delta = static_cast<int16_t>(Load16Le(r + 6));
  op->window = Load16Le(r + 8);
  op->len = Load16Le(r + 10);
  op->options = r[12];
  op->mss = r[13];
  op->wscale = r[14];
  op->ts_delta = static_cast<int8_t>(r[15]);
  in = in.subspan(kRecordSize);
  auto take = [&in](size_t n) {
    n = std::min(n, in.size());
    const std::span<const uint8_t> s = in.first(n);
    in = in.subspan(n);
    return s;
  };
  if (op->kind == OpKind::kSegment) {
    if ((op->options & kOptRaw) && !in.empty()) {
      const size_t n = in[0] % 41;
      in = in.subspan(1);
      op->raw_options = take(n);
    }
    const size_t sacks = (op->options >> kOptSackShift) & 3;
    for (size_t i = 0; i < sacks; ++i) {
      const std::span<const uint8_t> b = take(4);
      if (b.size() < 4) break;
      op->sacks[i] = {static_cast<int16_t>(Load16Le(b.data())), Load16Le(b.data() + 2)};
      op->sack_count = i + 1;
    }
    if (op->raw_payload) {
      op->payload = take(op->len);
      op->len = static_cast<uint16_t>(op->payload.size());
    }
  } else if (op->kind == OpKind::kRawFrame) {
    op->payload = take(op->len);
    op->len = static_cast<uint16_t>(op->payload.size());
  }
  return true;
}

void AppendOp(const Op& op, std::vector<uint8_t>* out) {
  const bool segment = op.kind == OpKind::kSegment;
  const bool raw_options = segment && !op.raw_options.empty();
  const size_t sacks = segment ? std::min<size_t>(op.sack_count, 3) : 0;
  const bool raw_payload = segment && op.raw_payload;
  uint8_t options = op.options & ~(kOptRaw | (3 << kOptSackShift));
  if (raw_options) options |= kOptRaw;
  options |= static_cast<uint8_t>(sacks << kOptSackShift);
  uint16_t len = op.len;
  if (raw_payload || op.kind == OpKind::kRawFrame) len = static_cast<uint16_t>(op.payload.size());
  out->push_back(static_cast<uint8_t>((op.target << 4) | NibbleOfKind(op.kind)));
  out->push_back(op.delay);
  out->push_back(static_cast<uint8_t>(
      static_cast<uint8_t>(op.seq_base) | (static_cast<uint8_t>(op.ack_base) << 2) |
      (op.bad_checksum ? 16 : 0) | ((op.delay_unit & 3) << 5) | (raw_payload ? 128 : 0)));
  out->push_back(op.flags);
  Put16Le(out, static_cast<uint16_t>(op.seq_delta));
  Put16Le(out, static_cast<uint16_t>(op.ack_delta));
  Put16Le(out, op.window);
  Put16Le(out, len);
  out->push_back(options);
  out->push_back(op.mss);
  out->push_back(op.wscale);
  out->push_back(static_cast<uint8_t>(op.ts_delta));
  if (raw_options) {
    const size_t n = std::min<size_t>(op.raw_options.size(), 40);
    out->push_back(static_cast<uint8_t>(n));
    out->insert(out->end(), op.raw_options.begin(), op.raw_options.begin() + n);
  }
  for (size_t i = 0; i < sacks; ++i) {
    Put16Le(out, static_cast<uint16_t>(op.sacks[i].start));
    Put16Le(out, op.sacks[i].length);
  }
  if (raw_payload || op.kind == OpKind::kRawFrame) {
    out->insert(out->end(), op.payload.begin(), op.payload.end());
  }
}

std::vector<size_t> OpOffsets(std::span<const uint8_t> input) {
  std::vector<size_t> offsets;
  std::span<const uint8_t> in = input;
  Op op;
  while (true) {
    const size_t at = input.size() - in.size();
    if (!NextOp(in, &op)) break;
    offsets.push_back(at);
  }
  return offsets;
}

std::string Describe(const Op& op) {
  static constexpr const char* kSeqBase[] = {"abs", "hostack", "peernext", "hostack64"};
  static constexpr const char* kAckBase[] = {"abs", "hostmax", "peerlast", "hostmax64"};
  char buf[256];
  std::string s;
  std::snprintf(buf, sizeof buf, "+%lldms t%u ", static_cast<long long>(DelayMs(op)), op.target);
  s += buf;
  switch (op.kind) {
    case OpKind::kWait:
      return s + "wait (to the next timer)";
    case OpKind::kRawFrame:
      std::snprintf(buf, sizeof buf, "raw frame, %zu bytes", op.payload.size());
      return s + buf;
    case OpKind::kApp:
      std::snprintf(buf, sizeof buf, "app %s (%u)", AppCallName(op.app_call()), op.len);
      return s + buf;
    case OpKind::kSegment:
      break;
  }
  std::snprintf(buf, sizeof buf, "seg [%s] seq=%s%+d ack=%s%+d win=%u len=%u%s",
                FlagsText(op.flags).c_str(), kSeqBase[static_cast<int>(op.seq_base)], op.seq_delta,
                kAckBase[static_cast<int>(op.ack_base)], op.ack_delta, op.window, op.len,
                op.raw_payload ? " (raw)" : "");
  s += buf;
  if (op.options & kOptMss) s += " mss=" + std::to_string(MssValue(op.mss));
  if (op.options & kOptSackPermitted) s += " sackOK";
  if (op.options & kOptTimestamp) {
    s += " ts(" + std::to_string(op.ts_delta * 64) + "ms" + ((op.wscale & 16) ? ", ecr=0)" : ")");
  }
  if (op.options & kOptWscale) s += " ws=" + std::to_string(op.wscale & 15);
  for (size_t i = 0; i < op.sack_count; ++i) {
    std::snprintf(buf, sizeof buf, " sack[ack%+d,+%u]", op.sacks[i].start, op.sacks[i].length);
    s += buf;
  }
  if (!op.raw_options.empty()) s += " rawopts=" + std::to_string(op.raw_options.size());
  if (op.bad_checksum) s += " BADSUM";
  return s;
}

}  // namespace taptcp::fuzz
