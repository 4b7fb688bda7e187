// `taptcp serve --app http`: a small HTTP/1.1 origin server (RFC 9110 semantics, RFC 9112 syntax)
// for experiments with curl or a browser.
//   GET /            200, a short text/plain greeting
//   GET /bytes/N     200, N bytes (0 <= N <= 1 GiB) of the stream in payload.h
//   HEAD             the same status and headers, no body
//   any other path 404; any other method 405 (Allow: GET, HEAD); a malformed request 400; a
//   request head over kMaxHeadBytes 431; Transfer-Encoding in a request 501; HTTP/2+ text 505.
// Connections persist as RFC 9112 §9.3 says: HTTP/1.1 until "Connection: close", HTTP/1.0 only
// with "Connection: keep-alive"; pipelined requests are answered in order. After an error or a
// "Connection: close" the server closes first, the lingering way (RFC 9112 §9.6): FIN, read and
// drop what still comes (a close with unread data would RST the answer away), close at EOF.
//
// Memory per connection is bounded whatever a client sends: at most one request head
// (kMaxHeadBytes) is buffered; request bodies are dropped as they stream in; response bodies are
// generated as they are sent; the socket is read only when there is room, so a client that
// pipelines faster than it reads meets TCP's closed window.
//
// The parser and the session know nothing of sockets (tests feed them bytes); TcpServerApp
// (tcp_apps.h) gives each connection a session.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace taptcp::apps::http {

inline constexpr size_t kMaxHeadBytes = 8192;         // request line + header fields
inline constexpr size_t kMaxHeaderFields = 100;       // more: 431
inline constexpr uint64_t kMaxBytesN = 1ull << 30;    // GET /bytes/N
inline constexpr uint64_t kMaxLingerBytes = 1 << 20;  // dropped after our FIN before we close
inline constexpr std::string_view kGreeting = "Hello from taptcp, a userspace TCP/IPv4 stack.\n";

struct Request {
  std::string method;
  std::string target;  // as sent
  std::string path;    // the target's path: no query, no scheme and authority
  int minor = 1;       // HTTP/1.minor
  bool keep_alive = true;
  uint64_t content_length = 0;
};

enum class ParseResult {
  kComplete,
  kBadRequest,      // 400
  kTooLarge,        // 431: too many header fields (FindHeadEnd's caller checks the size)
  kNotImplemented,  // 501: Transfer-Encoding (no chunked request bodies here)
  kBadVersion,      // 505: a major version other than 1
};

// Where the request head at the start of `in` ends (just past its empty line), or 0 if it has not
// ended yet. Up to two empty lines before the request line are skipped (RFC 9112 §2.2). A line
// ends with LF, optionally after CR. `*scanned` (0 for a new head) carries the search forward
// between calls, so a head that arrives a byte at a time costs linear time.
size_t FindHeadEnd(std::string_view in, size_t* scanned);

// Parses a complete head (as FindHeadEnd delimits it) into `req`.
ParseResult ParseRequest(std::string_view head, Request* req);

// A response's status line and header fields, and what its body is.
struct Response {
  int status = 200;
  std::string head;       // status line, header fields, empty line
  uint64_t body_len = 0;  // bytes of body that follow `head` on the wire
  bool stream = false;    // body: the payload.h stream; else a prefix of `text`
  std::string_view text;
  bool close = false;  // the last response on this connection
};

// The answer to a parsed request, and to one that failed to parse.
Response Route(const Request& req);
Response ErrorResponse(ParseResult why);

// One connection's HTTP, fed bytes and asked for bytes.
class Session {
 public:
  // How many bytes it takes now; 0 while answering with a full head buffered (back-pressure).
  size_t InputRoom() const;
  // Bytes from the peer, at most InputRoom().
  void OnInput(std::span<const uint8_t> data);
  // The peer's FIN: requests already complete are answered, then the session finishes.
  void OnEof();
  // Copies the next bytes to send into `out`; returns how many (0: nothing to send now).
  size_t FillOutput(std::span<uint8_t> out) const;
  // `n` bytes of the last FillOutput were sent.
  void OnSent(size_t n);
  // The last answer is out: the owner should shutdown(SHUT_WR), then call OnShutdownWrite.
  bool WantsShutdownWrite() const;
  void OnShutdownWrite();
  // The owner should close the socket now.
  bool Finished() const { return phase_ == Phase::kDone; }

  uint64_t requests() const { return requests_; }
  uint64_t body_bytes_sent() const { return body_sent_total_; }
  size_t buffered() const { return in_.size(); }  // never above kMaxHeadBytes

 private:
  enum class Phase { kRequests, kLingering, kDone };
  bool HasOutput() const { return head_sent_ < resp_.head.size() || body_sent_ < resp_.body_len; }
  void Process();  // parses and starts answers while nothing is being sent
  void Start(Response r);

  Phase phase_ = Phase::kRequests;
  std::string in_;        // unparsed bytes: at most kMaxHeadBytes
  size_t scanned_ = 0;    // FindHeadEnd's progress in in_
  uint64_t discard_ = 0;  // request body bytes still to drop
  Response resp_;         // the answer being sent
  size_t head_sent_ = 0;
  uint64_t body_sent_ = 0;
  bool eof_ = false;
  uint64_t lingered_ = 0;  // bytes dropped while lingering
  uint64_t requests_ = 0;
  uint64_t body_sent_total_ = 0;
};

}  // namespace taptcp::apps::http
