#include "apps/http_app.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "apps/payload.h"
#include "stack/absl_sv.h"

namespace taptcp::apps::http {
namespace {

// tchar (RFC 9110 §5.6.2): the characters of a token (method, field name).
bool IsTchar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), IsTchar); }

// A field value may hold visible characters, obs-text, SP and HTAB; no other control character
// (RFC 9110 §5.5: CR, LF and NUL are invalid; we reject every CTL, as most servers do).
bool IsFieldValue(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const unsigned char u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7F);
  });
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(Sv(a), Sv(b));
}

// RFC 9112 §2.2: "SHOULD ignore at least one empty line (CRLF) received prior to the
// request-line". Two, LF or CRLF each.
size_t SkipLeadingEmptyLines(std::string_view in) {
  size_t pos = 0;
  for (int i = 0; i < 2; ++i) {
    if (pos < in.size() && in[pos] == '\n') {
      pos += 1;
    } else if (pos + 1 < in.size() && in[pos] == '\r' && in[pos + 1] == '\n') {
      pos += 2;
    }
  }
  return pos;
}

// Decimal digits only (no sign, no spaces), at most 18 of them so the value fits.
bool ParseDecimal(std::string_view s, uint64_t* v) {
  if (s.empty() || s.size() > 18) return false;
  uint64_t x = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    x = x * 10 + static_cast<uint64_t>(c - '0');
  }
  *v = x;
  return true;
}

std::string_view Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 431:
      return "Request Header Fields Too Large";
    case 501:
      return "Not Implemented";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

// The bodies of the error statuses: "404 Not Found\n" and so on.
std::string_view ErrorBody(int status) {
  switch (status) {
    case 400:
      return "400 Bad Request\n";
    case 404:
      return "404 Not Found\n";
    case 405:
      return "405 Method Not Allowed\n";
    case 431:
      return "431 Request Header Fields Too Large\n";
    case 501:
      return "501 Not Implemented\n";
    default:
      return "505 HTTP Version Not Supported\n";
  }
}

// keep_alive_10: an HTTP/1.0 client asked to keep the connection, so say we do (RFC 9112 §9.3).
Response MakeResponse(int status, uint64_t body_len, bool stream, std::string_view text,
                      bool send_body, bool close, bool keep_alive_10) {
  Response r;
  r.status = status;
  r.stream = stream;
  r.text = text;
  r.close = close;
  r.body_len = send_body ? body_len : 0;
  r.head = absl::StrCat(
      "HTTP/1.1 ", status, " ", Sv(Reason(status)),
      "\r\nServer: taptcp\r\nContent-Type: ", stream ? "application/octet-stream" : "text/plain",
      "\r\nContent-Length: ", body_len, "\r\n");
  if (status == 405) absl::StrAppend(&r.head, "Allow: GET, HEAD\r\n");
  if (close) {
    absl::StrAppend(&r.head, "Connection: close\r\n");
  } else if (keep_alive_10) {
    absl::StrAppend(&r.head, "Connection: keep-alive\r\n");
  }
  absl::StrAppend(&r.head, "\r\n");
  return r;
}

}  // namespace

size_t FindHeadEnd(std::string_view in, size_t* scanned) {
  size_t pos = std::max(*scanned, SkipLeadingEmptyLines(in));
  for (size_t nl; (nl = in.find('\n', pos)) != std::string_view::npos; pos = nl + 1) {
    // The line after this LF is empty when the next bytes are LF or CR LF.
    if (nl + 1 < in.size() && in[nl + 1] == '\n') return nl + 2;
    if (nl + 2 < in.size() && in[nl + 1] == '\r' && in[nl + 2] == '\n') return nl + 3;
    if (nl + 2 >= in.size()) {  // too few bytes after it to tell: look again next time
      *scanned = nl;
      return 0;
    }
  }
  *scanned = in.size();
  return 0;
}

ParseResult ParseRequest(std::string_view head, Request* req) {
  *req = Request{};
  size_t pos = SkipLeadingEmptyLines(head);
  // The lines, each without its LF or CR LF; a CR anywhere else is invalid (RFC 9112 §2.2).
  auto next_line = [&](std::string_view* line) {
    const size_t nl = head.find('\n', pos);
    if (nl == std::string_view::npos) return false;
    *line = head.substr(pos, nl - pos);
    if (!line->empty() && line->back() == '\r') line->remove_suffix(1);
    pos = nl + 1;
    return line->find('\r') == std::string_view::npos;
  };
  std::string_view line;
  if (!next_line(&line)) return ParseResult::kBadRequest;
  // request-line = method SP request-target SP HTTP-version (RFC 9112 §3), single spaces.
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return ParseResult::kBadRequest;
  }
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method) || target.empty() ||
      !std::all_of(target.begin(), target.end(), [](char c) { return c > 0x20 && c < 0x7F; })) {
    return ParseResult::kBadRequest;
  }
  // HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 9112 §2.3).
  if (version.size() != 8 || !version.starts_with("HTTP/") || version[6] != '.' ||
      !absl::ascii_isdigit(static_cast<unsigned char>(version[5])) ||
      !absl::ascii_isdigit(static_cast<unsigned char>(version[7]))) {
    return ParseResult::kBadRequest;
  }
  const int major = version[5] - '0';
  req->minor = version[7] - '0';
  req->method = std::string(method);
  req->target = std::string(target);

  int hosts = 0;
  bool transfer_encoding = false, content_length = false;
  bool conn_close = false, conn_keep_alive = false;
  size_t fields = 0;
  while (true) {
    if (!next_line(&line)) return ParseResult::kBadRequest;
    if (line.empty()) break;
    // obs-fold (a line starting with SP or HTAB) is rejected (RFC 9112 §5.2).
    if (line[0] == ' ' || line[0] == '\t') return ParseResult::kBadRequest;
    if (++fields > kMaxHeaderFields) return ParseResult::kTooLarge;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return ParseResult::kBadRequest;
    // No whitespace between the name and the colon (RFC 9112 §5.1: MUST reject with 400).
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = TrimOws(line.substr(colon + 1));
    if (!IsToken(name) || !IsFieldValue(value)) return ParseResult::kBadRequest;
    if (EqualsIgnoreCase(name, "host")) {
      ++hosts;
    } else if (EqualsIgnoreCase(name, "content-length")) {
      // One decimal value; repeats must agree (RFC 9110 §8.6; lists are refused).
      uint64_t n = 0;
      if (!ParseDecimal(value, &n) || (content_length && n != req->content_length)) {
        return ParseResult::kBadRequest;
      }
      content_length = true;
      req->content_length = n;
    } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
      transfer_encoding = true;
    } else if (EqualsIgnoreCase(name, "connection")) {
      for (std::string_view rest = value; !rest.empty();) {
        const size_t comma = rest.find(',');
        const std::string_view option = TrimOws(rest.substr(0, comma));
        conn_close |= EqualsIgnoreCase(option, "close");
        conn_keep_alive |= EqualsIgnoreCase(option, "keep-alive");
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
    }
  }
  if (major != 1) return ParseResult::kBadVersion;
  // RFC 9112 §6.1: a transfer coding the server does not understand: 501 (and the message's
  // length is then unknown, so the connection closes).
  if (transfer_encoding) return ParseResult::kNotImplemented;
  // RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, or with more than one.
  if (hosts > 1 || (req->minor >= 1 && hosts == 0)) return ParseResult::kBadRequest;
  req->keep_alive = req->minor >= 1 ? !conn_close : conn_keep_alive && !conn_close;

  // The path: origin-form up to its query; absolute-form without scheme and authority
  // (RFC 9112 §3.2.2); "*" and a CONNECT's authority-form as they are. Anything else is 400.
  std::string_view path = target;
  if (target[0] != '/') {
    size_t scheme_end = std::string_view::npos;
    if (absl::StartsWithIgnoreCase(Sv(target), "http://")) scheme_end = 7;
    if (absl::StartsWithIgnoreCase(Sv(target), "https://")) scheme_end = 8;
    if (scheme_end != std::string_view::npos) {
      const size_t slash = target.find('/', scheme_end);
      path = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    } else if (target != "*" && method != "CONNECT") {
      return ParseResult::kBadRequest;
    }
  }
  req->path = std::string(path.substr(0, path.find('?')));
  return ParseResult::kComplete;
}

Response Route(const Request& req) {
  const bool close = !req.keep_alive;
  const bool ka10 = req.minor == 0 && req.keep_alive;
  const bool get = req.method == "GET";
  if (!get && req.method != "HEAD") {
    const std::string_view body = ErrorBody(405);
    return MakeResponse(405, body.size(), false, body, true, close, ka10);
  }
  if (req.path == "/") {
    return MakeResponse(200, kGreeting.size(), false, kGreeting, get, close, ka10);
  }
  uint64_t n = 0;
  const std::string_view path = req.path;
  if (path.starts_with("/bytes/") && path.size() <= 7 + 10 && ParseDecimal(path.substr(7), &n) &&
      n <= kMaxBytesN) {
    return MakeResponse(200, n, true, {}, get, close, ka10);
  }
  const std::string_view body = ErrorBody(404);
  return MakeResponse(404, body.size(), false, body, get, close, ka10);
}

Response ErrorResponse(ParseResult why) {
  int status = 400;
  if (why == ParseResult::kTooLarge) status = 431;
  if (why == ParseResult::kNotImplemented) status = 501;
  if (why == ParseResult::kBadVersion) status = 505;
  const std::string_view body = ErrorBody(status);
  return MakeResponse(status, body.size(), false, body, true, /*close=*/true, false);
}

size_t Session::InputRoom() const {
  switch (phase_) {
    case Phase::kDone:
      return 0;
    case Phase::kLingering:
      return static_cast<size_t>(kMaxLingerBytes - lingered_);
    case Phase::kRequests:
      break;
  }
  if (resp_.close && HasOutput()) return 0;  // the last answer: nothing after it is read
  if (discard_ > 0 && in_.empty())
    return static_cast<size_t>(std::min<uint64_t>(discard_, 1 << 16));
  return kMaxHeadBytes - std::min(in_.size(), kMaxHeadBytes);
}

void Session::OnInput(std::span<const uint8_t> data) {
  if (phase_ == Phase::kLingering) {
    lingered_ += data.size();
    if (lingered_ >= kMaxLingerBytes) phase_ = Phase::kDone;  // enough: close (RST if more)
    return;
  }
  if (phase_ != Phase::kRequests) return;
  if (discard_ > 0 && in_.empty()) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(discard_, data.size()));
    discard_ -= n;
    data = data.subspan(n);
  }
  in_.append(reinterpret_cast<const char*>(data.data()), data.size());
  Process();
}

void Session::OnEof() {
  eof_ = true;
  if (phase_ == Phase::kLingering) {
    phase_ = Phase::kDone;
    return;
  }
  Process();
}

void Session::Start(Response r) {
  ++requests_;
  resp_ = std::move(r);
  head_sent_ = 0;
  body_sent_ = 0;
}

void Session::Process() {
  while (phase_ == Phase::kRequests && !HasOutput()) {
    if (resp_.close) {
      // The last answer is out. A peer that already sent its FIN has nothing left to send us:
      // close (a FIN). Otherwise shut our side first and linger (WantsShutdownWrite).
      if (eof_) phase_ = Phase::kDone;
      return;
    }
    if (discard_ > 0) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(discard_, in_.size()));
      in_.erase(0, n);
      discard_ -= n;
      if (discard_ > 0) break;
    }
    const size_t end = FindHeadEnd(in_, &scanned_);
    if (end == 0 || end > kMaxHeadBytes) {
      if (end > kMaxHeadBytes || in_.size() >= kMaxHeadBytes) {
        Start(ErrorResponse(ParseResult::kTooLarge));
        in_.clear();
        continue;
      }
      // Incomplete. At EOF there is nothing more to answer (an unfinished request is dropped).
      if (eof_) phase_ = Phase::kDone;
      break;
    }
    Request req;
    const ParseResult r = ParseRequest(std::string_view(in_).substr(0, end), &req);
    in_.erase(0, end);
    scanned_ = 0;
    if (r == ParseResult::kComplete) {
      discard_ = req.content_length;
      Start(Route(req));
    } else {
      in_.clear();
      Start(ErrorResponse(r));
    }
  }
}

size_t Session::FillOutput(std::span<uint8_t> out) const {
  size_t n = 0;
  if (head_sent_ < resp_.head.size()) {
    n = std::min(out.size(), resp_.head.size() - head_sent_);
    std::copy_n(resp_.head.data() + head_sent_, n, out.begin());
  }
  const size_t body =
      static_cast<size_t>(std::min<uint64_t>(out.size() - n, resp_.body_len - body_sent_));
  if (body == 0) return n;
  if (resp_.stream) {
    FillPayload(body_sent_, out.subspan(n, body));
  } else {
    std::copy_n(resp_.text.data() + body_sent_, body, out.begin() + n);
  }
  return n + body;
}

void Session::OnSent(size_t n) {
  const size_t head = std::min(n, resp_.head.size() - head_sent_);
  head_sent_ += head;
  body_sent_ += n - head;
  body_sent_total_ += n - head;
  if (!HasOutput()) Process();
}

bool Session::WantsShutdownWrite() const {
  return phase_ == Phase::kRequests && resp_.close && !HasOutput() && !eof_;
}

void Session::OnShutdownWrite() {
  phase_ = Phase::kLingering;
  in_.clear();
  discard_ = 0;
}

}  // namespace taptcp::apps::http
