// The input format of tcp_stack_fuzz, shared by the target, its custom mutator and
// fuzz_corpus_tool (which writes inputs from captures and prints them for triage).
//
// An input is a sequence of ops. Each op is a fixed 16-byte record, followed by a variable part
// whose length the record itself says (so a decoder never needs anything else):
//
//   byte  field       meaning
//   0     op          low nibble: kind (0-9 segment, 10-12 app call, 13-14 wait, 15 raw frame);
//                     high nibble: target, one of 16 4-tuples (see kClientTarget below)
//   1     delay       virtual time that passes before the op, in units of `control` bits 5-6
//   2     control     bits 0-1 seq base, bits 2-3 ack base (see SeqBase, AckBase), bit 4 break the
//                     TCP checksum (a raw frame: keep its checksums as they are, else they are
//                     repaired), bits 5-6 delay unit (1 ms, 10 ms, 1 s, 1 min), bit 7 payload
//                     bytes come from the input (else a pattern derived from each byte's sequence
//                     number, so every copy of a byte is the same and echoed data can be checked)
//   3     flags       TCP flags (segment); for an app call, the call (AppCall below)
//   4-5   seq_delta   int16, little-endian: added to the seq base
//   6-7   ack_delta   int16: added to the ack base
//   8-9   window      uint16: the raw window field
//   10-11 len         uint16: payload length (clipped to what fits a 1500-byte MTU with the
//                     options); for a raw frame, the frame's length; for an app call, its argument
//   12    options     bit 0 MSS, bit 1 window scale, bit 2 SACK-permitted, bit 3 timestamps,
//                     bits 4-5 number of SACK blocks (0-3), bit 6 raw option bytes follow
//   13    mss         the MSS option's value: 0 -> 1460, 1..63 -> itself (tiny), else x8
//   14    wscale      low nibble: the window scale option's shift (15 > 14 is legal input);
//                     bit 4: TSecr = 0 instead of the host's last TSval
//   15    ts_delta    int8: TSval = the peer's clock (ms, starting near 2^32 so it wraps) + 64 x
//   this
//
// Variable part, in this order: [raw options: 1 length byte (mod 41) + that many bytes]
// [SACK blocks: 4 bytes each, int16 start and uint16 length, relative to the segment's ack]
// [payload: len bytes, only if control bit 7 or for a raw frame]. A truncated tail is clipped.
// Options go in a fixed order (MSS, SACK-permitted, timestamps, window scale, SACK, raw), NOP
// padded, cut at 40 bytes.
//
// Relative sequence numbers are what let a mutated input stay inside the live window: the harness
// tracks, per 4-tuple, what the host last acknowledged, the highest sequence number it sent, its
// last TSval, and where the peer's own sequence space stands.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace taptcp::fuzz {

inline constexpr size_t kRecordSize = 16;

// The 16 targets. The peer is 192.0.2.10, the host 192.0.2.20. Targets 0-7 are peer ports
// 40000-40007 to the host's echo listener (port 7), 8-13 peer ports 40008-40013 to its discard
// listener (port 9), 14 the host's own active open (its ephemeral port to the peer's port 80,
// the client socket), 15 peer port 40015 to port 22, where nothing listens (RSTs).
inline constexpr size_t kTargets = 16;
inline constexpr uint8_t kClientTarget = 14;
inline constexpr uint16_t kEchoPort = 7, kDiscardPort = 9, kClosedPort = 22, kClientPeerPort = 80;
// The host's port of a target (0 for the client: its ephemeral port is only known at run time).
constexpr uint16_t HostPortOf(uint8_t target) {
  return target < 8 ? kEchoPort : target < 14 ? kDiscardPort : target == 14 ? 0 : kClosedPort;
}
// The peer's port of a target.
constexpr uint16_t PeerPortOf(uint8_t target) {
  return target == kClientTarget ? kClientPeerPort : static_cast<uint16_t>(40000 + target);
}

enum class OpKind : uint8_t { kSegment, kApp, kWait, kRawFrame };

// Where a segment's sequence number starts from.
enum class SeqBase : uint8_t {
  kAbsolute = 0,   // seq = seq_delta << 16 (an ISN anywhere in the space, wrap included)
  kHostAck = 1,    // the ACK number the host last sent on this 4-tuple (its RCV.NXT)
  kPeerNext = 2,   // the end of the highest segment the peer sent on this 4-tuple
  kHostAck64 = 3,  // kHostAck + 64 x delta: beyond the window, old duplicates
};
// Where a segment's acknowledgment number starts from.
enum class AckBase : uint8_t {
  kAbsolute = 0,   // ack = ack_delta << 16
  kHostMax = 1,    // the end of the highest segment the host sent (acknowledges everything)
  kPeerLast = 2,   // the ACK the peer last sent on this 4-tuple (delta 0: a duplicate ACK)
  kHostMax64 = 3,  // kHostMax + 64 x delta
};

// What an app op does to the socket of its target (the accepted socket, or the client's).
enum class AppCall : uint8_t {
  kSend,        // send `len` bytes (a pattern)
  kShutdownWr,  // shutdown(SHUT_WR)
  kClose,       // close()
  kAbort,       // SO_LINGER {1, 0} then close(): RST
  kPauseRead,   // toggle: the app stops (or resumes) reading, so the receive window closes
  kShutdownRd,  // shutdown(SHUT_RD)
  kRcvBuf,      // SO_RCVBUF = len
  kNoDelay,     // toggle TCP_NODELAY
  kKeepalive,   // SO_KEEPALIVE on, TCP_KEEPIDLE = 1 + len % 120 s, TCP_KEEPINTVL 1 s
  kReconnect,   // the client: close() its socket, open a new one to the peer's port 80
  kRelisten,    // close() the target's listening socket and listen again (resets its queue)
  kSndBuf,      // SO_SNDBUF = len
  kCount,
};

struct SackSpec {
  int16_t start = 0;  // relative to the segment's ack
  uint16_t length = 0;
};

// One decoded op. Spans point into the input.
struct Op {
  OpKind kind = OpKind::kSegment;
  uint8_t target = 0;
  uint8_t delay = 0;
  uint8_t delay_unit = 0;  // 0 ms, 1 10 ms, 2 s, 3 min
  SeqBase seq_base = SeqBase::kAbsolute;
  AckBase ack_base = AckBase::kAbsolute;
  bool bad_checksum = false;
  bool raw_payload = false;
  uint8_t flags = 0;  // TCP flags, or the AppCall
  int16_t seq_delta = 0;
  int16_t ack_delta = 0;
  uint16_t window = 0;
  uint16_t len = 0;
  uint8_t options = 0;
  uint8_t mss = 0;
  uint8_t wscale = 0;
  int8_t ts_delta = 0;
  std::span<const uint8_t> raw_options;
  std::array<SackSpec, 3> sacks{};
  size_t sack_count = 0;
  std::span<const uint8_t> payload;  // the raw payload or frame; empty for a pattern

  AppCall app_call() const {
    return static_cast<AppCall>(flags % static_cast<int>(AppCall::kCount));
  }
};

// Option bits (byte 12).
inline constexpr uint8_t kOptMss = 1, kOptWscale = 2, kOptSackPermitted = 4, kOptTimestamp = 8,
                         kOptRaw = 64;
inline constexpr int kOptSackShift = 4;

// The MSS value byte 13 stands for.
uint16_t MssValue(uint8_t mss);
// The virtual time an op waits before it runs, in milliseconds.
int64_t DelayMs(const Op& op);

// Decodes the next op and advances `in` past it; false when fewer than kRecordSize bytes remain.
bool NextOp(std::span<const uint8_t>& in, Op* op);
// Appends the encoding of `op` (NextOp's inverse; the kind's canonical nibble is used).
void AppendOp(const Op& op, std::vector<uint8_t>* out);
// Where each op in `input` starts (record boundaries), for the custom mutator.
std::vector<size_t> OpOffsets(std::span<const uint8_t> input);
// One line per op, for triage: "+12ms seg t3 S. seq=peer+0 ack=host+0 win=65535 mss=1460 len=0".
std::string Describe(const Op& op);

}  // namespace taptcp::fuzz
