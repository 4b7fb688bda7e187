#include "stack/wire/tcp_options.h"

#include <algorithm>
#include <cstring>

#include "stack/wire/bytes.h"

namespace taptcp::wire {
namespace {

constexpr uint8_t kTcpOptLenFastOpenBase = 2;     // kind, length
constexpr uint8_t kTcpOptLenExpFastOpenBase = 4;  // kind, length, 16-bit magic

// RFC 7413 §4.1.1 and Linux tcp_parse_fastopen_option: `cookie` is the option's cookie bytes.
// Odd lengths are ignored outright; an empty cookie is a request; 4..16 is a cookie; any other
// even length marks the option invalid, which Linux records as cookie length -1 and which
// behaves like no option at all, so we clear it.
void ParseFastOpen(std::span<const uint8_t> cookie, bool experimental, TcpOptions* out) {
  if (cookie.size() % 2 != 0) return;
  if (cookie.empty() ||
      (cookie.size() >= kTcpFastOpenCookieMin && cookie.size() <= kTcpFastOpenCookieMax)) {
    FastOpenOption tfo;
    tfo.experimental = experimental;
    tfo.cookie_len = static_cast<uint8_t>(cookie.size());
    std::copy(cookie.begin(), cookie.end(), tfo.cookie.begin());
    out->fast_open = tfo;
  } else {
    out->fast_open.reset();
  }
}

bool FastOpenWritable(const FastOpenOption& tfo) {
  return tfo.cookie_len == 0 ||
         (tfo.cookie_len % 2 == 0 && tfo.cookie_len >= kTcpFastOpenCookieMin &&
          tfo.cookie_len <= kTcpFastOpenCookieMax);
}

size_t FastOpenSize(const FastOpenOption& tfo) {
  const size_t len =
      (tfo.experimental ? kTcpOptLenExpFastOpenBase : kTcpOptLenFastOpenBase) + tfo.cookie_len;
  return (len + 3) & ~size_t{3};
}

}  // namespace

bool operator==(const TcpOptions& a, const TcpOptions& b) {
  return a.mss == b.mss && a.window_scale == b.window_scale &&
         a.sack_permitted == b.sack_permitted && a.sack_count == b.sack_count &&
         std::equal(a.sack.begin(), a.sack.begin() + std::min<size_t>(a.sack_count, 4),
                    b.sack.begin()) &&
         a.timestamp == b.timestamp && a.fast_open == b.fast_open;
}

DropReason ParseTcpOptions(std::span<const uint8_t> bytes, TcpOptions* out) {
  *out = TcpOptions{};
  size_t i = 0;
  const size_t n = bytes.size();
  while (i < n) {
    const uint8_t kind = bytes[i];
    if (kind == kTcpOptEol) return DropReason::kNone;  // RFC 9293 §3.2: end of the list
    if (kind == kTcpOptNop) {
      ++i;
      continue;
    }
    // Every other option is kind, length, value (RFC 9293 §3.2 "case 2"). Linux
    // tcp_parse_options stops at a missing length byte, a length < 2 ("silly options") or one
    // running past the list ("don't parse partial options").
    if (n - i < 2) return DropReason::kTcpBadOption;
    const uint8_t len = bytes[i + 1];
    if (len < 2 || len > n - i) return DropReason::kTcpBadOption;
    const uint8_t* v = bytes.data() + i + 2;
    const size_t vlen = len - 2;
    // Known kinds with a wrong length fall through unrecorded, as in tcp_parse_options.
    switch (kind) {
      case kTcpOptMss:
        if (len == kTcpOptLenMss) out->mss = Load16(v);
        break;
      case kTcpOptWindowScale:
        if (len == kTcpOptLenWindowScale) out->window_scale = v[0];
        break;
      case kTcpOptSackPermitted:
        if (len == kTcpOptLenSackPermitted) out->sack_permitted = true;
        break;
      case kTcpOptTimestamp:
        if (len == kTcpOptLenTimestamp) out->timestamp = std::make_pair(Load32(v), Load32(v + 4));
        break;
      case kTcpOptSack:
        // RFC 2018 §3: 2 + 8n bytes. Linux takes at most 4 blocks (TCP_NUM_SACKS), which is all
        // that fits in 40 option bytes anyway.
        if (len >= kTcpOptLenSackBase + kTcpOptLenSackPerBlock &&
            (len - kTcpOptLenSackBase) % kTcpOptLenSackPerBlock == 0) {
          const size_t count = std::min<size_t>(vlen / kTcpOptLenSackPerBlock, kTcpMaxSackBlocks);
          out->sack_count = static_cast<uint8_t>(count);
          for (size_t b = 0; b < count; ++b) {
            out->sack[b].left = Load32(v + b * 8);
            out->sack[b].right = Load32(v + b * 8 + 4);
          }
        }
        break;
      case kTcpOptFastOpen:
        ParseFastOpen({v, vlen}, /*experimental=*/false, out);
        break;
      case kTcpOptExperimental:
        // RFC 6994: experiments are told apart by the 16-bit ExID; 0xF989 is Fast Open's.
        if (vlen >= 2 && Load16(v) == kTcpFastOpenMagic) {
          ParseFastOpen({v + 2, vlen - 2}, /*experimental=*/true, out);
        }
        break;
      default:
        break;  // unknown kinds (and MD5, kind 19) are skipped by their length
    }
    i += len;
  }
  return DropReason::kNone;
}

size_t TcpOptionsSize(const TcpOptions& options) {
  size_t size = 0;
  if (options.mss) size += 4;
  if (options.timestamp) {
    size += 12;  // SACK-permitted, when present, rides in the timestamps' two NOP bytes
  } else if (options.sack_permitted) {
    size += 4;
  }
  if (options.window_scale) size += 4;
  if (options.sack_count > 0) size += 4 + size_t{8} * options.sack_count;
  if (options.fast_open) size += FastOpenSize(*options.fast_open);
  return size;
}

size_t WriteTcpOptions(std::span<uint8_t> out, const TcpOptions& options) {
  const size_t size = TcpOptionsSize(options);
  if (size == 0 || size > kTcpMaxOptionsSize || out.size() < size) return 0;
  if (options.sack_count > kTcpMaxSackBlocks) return 0;
  if (options.fast_open && !FastOpenWritable(*options.fast_open)) return 0;
  // The layout of Linux tcp_options_write: each option starts on a 32-bit boundary, with NOPs
  // in front rather than behind, so the fields after kind/length are aligned.
  uint8_t* p = out.data();
  if (options.mss) {
    p[0] = kTcpOptMss;
    p[1] = kTcpOptLenMss;
    Store16(p + 2, *options.mss);
    p += 4;
  }
  if (options.timestamp) {
    if (options.sack_permitted) {
      p[0] = kTcpOptSackPermitted;
      p[1] = kTcpOptLenSackPermitted;
    } else {
      p[0] = kTcpOptNop;
      p[1] = kTcpOptNop;
    }
    p[2] = kTcpOptTimestamp;
    p[3] = kTcpOptLenTimestamp;
    Store32(p + 4, options.timestamp->first);
    Store32(p + 8, options.timestamp->second);
    p += 12;
  } else if (options.sack_permitted) {
    p[0] = kTcpOptNop;
    p[1] = kTcpOptNop;
    p[2] = kTcpOptSackPermitted;
    p[3] = kTcpOptLenSackPermitted;
    p += 4;
  }
  if (options.window_scale) {
    p[0] = kTcpOptNop;
    p[1] = kTcpOptWindowScale;
    p[2] = kTcpOptLenWindowScale;
    p[3] = *options.window_scale;
    p += 4;
  }
  if (options.sack_count > 0) {
    p[0] = kTcpOptNop;
    p[1] = kTcpOptNop;
    p[2] = kTcpOptSack;
    p[3] = static_cast<uint8_t>(kTcpOptLenSackBase + kTcpOptLenSackPerBlock * options.sack_count);
    p += 4;
    for (size_t b = 0; b < options.sack_count; ++b) {
      Store32(p, options.sack[b].left);
      Store32(p + 4, options.sack[b].right);
      p += 8;
    }
  }
  if (options.fast_open) {
    const FastOpenOption& tfo = *options.fast_open;
    size_t len;
    if (tfo.experimental) {
      len = kTcpOptLenExpFastOpenBase + tfo.cookie_len;
      p[0] = kTcpOptExperimental;
      p[1] = static_cast<uint8_t>(len);
      Store16(p + 2, kTcpFastOpenMagic);
      std::memcpy(p + 4, tfo.cookie.data(), tfo.cookie_len);
    } else {
      len = kTcpOptLenFastOpenBase + tfo.cookie_len;
      p[0] = kTcpOptFastOpen;
      p[1] = static_cast<uint8_t>(len);
      std::memcpy(p + 2, tfo.cookie.data(), tfo.cookie_len);
    }
    // Cookie lengths are even, so the option ends either aligned or 2 bytes short: two NOPs.
    if (len % 4 == 2) {
      p[len] = kTcpOptNop;
      p[len + 1] = kTcpOptNop;
    }
    p += FastOpenSize(tfo);
  }
  return size;
}

}  // namespace taptcp::wire
