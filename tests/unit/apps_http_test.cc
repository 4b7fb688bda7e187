// The HTTP/1.1 responder of `serve --app http` on bytes alone: the request parser against
// RFC 9112's rules, the routes, and the session's keep-alive, pipelining, lingering close and
// memory bound. (The same session over TCP is in apps_server_test.cc.)
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "apps/http_app.h"
#include "apps/payload.h"

namespace taptcp::apps::http {
namespace {

ParseResult Parse(std::string_view head, Request* req = nullptr) {
  Request r;
  size_t scanned = 0;
  const size_t end = FindHeadEnd(head, &scanned);
  EXPECT_EQ(end, head.size()) << "not one complete head: " << head;
  return ParseRequest(head.substr(0, end), req != nullptr ? req : &r);
}

// Feeds `input` (in chunks of at most `chunk`, never more than InputRoom) and collects every
// byte the session sends, as a socket with an endless send buffer would; EOF after the input
// when `eof`. `shut` tells whether the session asked for shutdown(SHUT_WR).
struct Driven {
  std::string out;
  bool shut = false;
  size_t max_room_taken = 0;  // the most input taken while no output was produced
};
Driven Drive(Session& s, std::string_view input, bool eof, size_t chunk = 1 << 20) {
  Driven d;
  uint8_t buf[4096];
  size_t at = 0;
  bool eof_given = false;
  for (int rounds = 0; rounds < 1000000 && !s.Finished(); ++rounds) {
    bool progress = false;
    const size_t room = s.InputRoom();
    if (at < input.size() && room > 0) {
      const size_t n = std::min({room, chunk, input.size() - at});
      s.OnInput(std::span(reinterpret_cast<const uint8_t*>(input.data() + at), n));
      at += n;
      progress = true;
    } else if (at == input.size() && eof && !eof_given) {
      s.OnEof();
      eof_given = true;
      progress = true;
    }
    for (size_t n; (n = s.FillOutput(buf)) > 0;) {
      d.out.append(reinterpret_cast<const char*>(buf), n);
      s.OnSent(n);
      progress = true;
    }
    if (s.WantsShutdownWrite()) {
      s.OnShutdownWrite();
      d.shut = true;
      progress = true;
    }
    if (!progress) break;
  }
  return d;
}

std::string Greeting(bool close = false) {
  return std::string("HTTP/1.1 200 OK\r\nServer: taptcp\r\nContent-Type: text/plain\r\n") +
         "Content-Length: " + std::to_string(kGreeting.size()) + "\r\n" +
         (close ? "Connection: close\r\n" : "") + "\r\n" + std::string(kGreeting);
}

int Status(std::string_view response) {
  if (!response.starts_with("HTTP/1.1 ") || response.size() < 12) return -1;
  return std::stoi(std::string(response.substr(9, 3)));
}

TEST(HttpParser, FindsTheEndOfAHeadWithCrlfOrBareLf) {
  size_t scanned = 0;
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.1\r\nHost: a\r\n\r\nrest", &scanned), 27u);
  scanned = 0;
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.0\n\nrest", &scanned), 16u);
  scanned = 0;
  EXPECT_EQ(FindHeadEnd("GET / HTTP/1.1\r\nHost: a\r\n", &scanned), 0u);
  // Empty lines before the request line are skipped, not taken for the end of the head.
  scanned = 0;
  EXPECT_EQ(FindHeadEnd("\r\n\r\nGET / HTTP/1.0\r\n\r\n", &scanned), 22u);
}

TEST(HttpParser, FindsTheEndWhenTheHeadArrivesAByteAtATime) {
  const std::string head = "GET /x HTTP/1.1\r\nHost: h\r\nA: b\r\n\r\n";
  size_t scanned = 0;
  for (size_t n = 1; n < head.size(); ++n) {
    ASSERT_EQ(FindHeadEnd(std::string_view(head).substr(0, n), &scanned), 0u) << n;
    ASSERT_LE(scanned, n);
  }
  EXPECT_EQ(FindHeadEnd(head, &scanned), head.size());
}

TEST(HttpParser, ParsesARequestLineAndTheFieldsItNeeds) {
  Request r;
  ASSERT_EQ(Parse("GET /bytes/10?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                  "X-Other:  v \r\n\r\n",
                  &r),
            ParseResult::kComplete);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.target, "/bytes/10?x=1");
  EXPECT_EQ(r.path, "/bytes/10");
  EXPECT_EQ(r.minor, 1);
  EXPECT_TRUE(r.keep_alive);
  EXPECT_EQ(r.content_length, 5u);
  // Absolute-form (RFC 9112 §3.2.2): the path without scheme and authority.
  ASSERT_EQ(Parse("GET http://192.0.2.2:80/bytes/3 HTTP/1.1\r\nHost: x\r\n\r\n", &r),
            ParseResult::kComplete);
  EXPECT_EQ(r.path, "/bytes/3");
  ASSERT_EQ(Parse("HEAD HTTP://h HTTP/1.1\r\nHost: x\r\n\r\n", &r), ParseResult::kComplete);
  EXPECT_EQ(r.path, "/");
}

TEST(HttpParser, ConnectionPersistenceFollowsTheVersion) {
  Request r;
  ASSERT_EQ(Parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n", &r),
            ParseResult::kComplete);
  EXPECT_FALSE(r.keep_alive);
  ASSERT_EQ(Parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n", &r),
            ParseResult::kComplete);
  EXPECT_FALSE(r.keep_alive);
  ASSERT_EQ(Parse("GET / HTTP/1.0\r\n\r\n", &r), ParseResult::kComplete);
  EXPECT_FALSE(r.keep_alive);  // HTTP/1.0: close unless asked
  ASSERT_EQ(Parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &r), ParseResult::kComplete);
  EXPECT_TRUE(r.keep_alive);
}

TEST(HttpParser, RejectsMalformedRequestsWith400) {
  for (const char* bad : {
           "GET / HTTP/1.1\r\n\r\n",                        // no Host in HTTP/1.1
           "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",  // two Hosts
           "GET / HTTP/1.1\r\nHost : a\r\n\r\n",            // space before the colon
           "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",  // obs-fold
           "GET / HTTP/1.1\r\nHost a\r\n\r\n",              // no colon
           "GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n",         // control character
           "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n",          // bare CR
           "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n",
           "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",    // two spaces
           "GET / HTTP/1.1 \r\nHost: a\r\n\r\n",    // trailing space
           "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",  // space in the target
           "G(T / HTTP/1.1\r\nHost: a\r\n\r\n",     // not a token
           "GET / http/1.1\r\nHost: a\r\n\r\n",     // the name is case-sensitive
           "GET / HTTP/1.10\r\nHost: a\r\n\r\n",
           "GET / HTTP/1\r\nHost: a\r\n\r\n",
           "GET foo HTTP/1.1\r\nHost: a\r\n\r\n",  // not a request-target form
           "GET\r\n\r\n",
           "\r\n\r\n\r\n\r\n",
       }) {
    EXPECT_EQ(Parse(bad), ParseResult::kBadRequest) << bad;
  }
  // Repeated equal lengths are one length (RFC 9110 §8.6).
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nHost: a\r\ncontent-length: 2\r\nContent-Length: 2\r\n\r\n"),
            ParseResult::kComplete);
}

TEST(HttpParser, OtherRefusalsHaveTheirOwnStatus) {
  EXPECT_EQ(Parse("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), ParseResult::kBadVersion);
  EXPECT_EQ(Parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"),
            ParseResult::kNotImplemented);
  std::string many = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (size_t i = 0; i < kMaxHeaderFields; ++i) many += "X: y\r\n";
  EXPECT_EQ(Parse(many + "\r\n"), ParseResult::kTooLarge);
}

TEST(HttpRoutes, GreetingBytesHeadNotFoundAndMethodNotAllowed) {
  Request r;
  ASSERT_EQ(Parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n", &r), ParseResult::kComplete);
  Response resp = Route(r);
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.head + std::string(resp.text), Greeting());

  ASSERT_EQ(Parse("GET /bytes/1000 HTTP/1.1\r\nHost: a\r\n\r\n", &r), ParseResult::kComplete);
  resp = Route(r);
  EXPECT_EQ(resp.status, 200);
  EXPECT_TRUE(resp.stream);
  EXPECT_EQ(resp.body_len, 1000u);
  EXPECT_NE(resp.head.find("Content-Length: 1000\r\n"), std::string::npos);
  EXPECT_NE(resp.head.find("Content-Type: application/octet-stream\r\n"), std::string::npos);

  ASSERT_EQ(Parse("HEAD /bytes/1000 HTTP/1.1\r\nHost: a\r\n\r\n", &r), ParseResult::kComplete);
  resp = Route(r);
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body_len, 0u);  // HEAD: no body, but the GET's Content-Length
  EXPECT_NE(resp.head.find("Content-Length: 1000\r\n"), std::string::npos);

  for (const char* path : {"/nothing", "/bytes/", "/bytes/-1", "/bytes/1x", "/bytes/1073741825",
                           "/bytes/99999999999999999999"}) {
    ASSERT_EQ(Parse(std::string("GET ") + path + " HTTP/1.1\r\nHost: a\r\n\r\n", &r),
              ParseResult::kComplete);
    EXPECT_EQ(Route(r).status, 404) << path;
  }
  ASSERT_EQ(Parse("POST / HTTP/1.1\r\nHost: a\r\n\r\n", &r), ParseResult::kComplete);
  resp = Route(r);
  EXPECT_EQ(resp.status, 405);
  EXPECT_NE(resp.head.find("Allow: GET, HEAD\r\n"), std::string::npos);
  EXPECT_FALSE(resp.close);
}

TEST(HttpSession, AnswersKeepAliveRequestsInOrderAndStaysOpen) {
  Session s;
  const Driven d =
      Drive(s, "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /nope HTTP/1.1\r\nHost: a\r\n\r\n", false);
  ASSERT_EQ(d.out.substr(0, Greeting().size()), Greeting());
  EXPECT_EQ(Status(std::string_view(d.out).substr(Greeting().size())), 404);
  EXPECT_FALSE(d.shut);
  EXPECT_FALSE(s.Finished());
  EXPECT_EQ(s.requests(), 2u);
  // The client's FIN then ends it; nothing was left unanswered.
  s.OnEof();
  EXPECT_TRUE(s.Finished());
}

TEST(HttpSession, ConnectionCloseShutsTheWriteSideThenLingersUntilEof) {
  Session s;
  const Driven d = Drive(s,
                         "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                         "GET / HTTP/1.1\r\nHost: a\r\n\r\n",  // after close: never answered
                         false);
  EXPECT_EQ(d.out, Greeting(/*close=*/true));
  EXPECT_TRUE(d.shut);
  EXPECT_FALSE(s.Finished());  // lingering: reads and drops until the peer's FIN
  EXPECT_GT(s.InputRoom(), 0u);
  const std::string junk(1000, 'x');
  s.OnInput(std::span(reinterpret_cast<const uint8_t*>(junk.data()), junk.size()));
  EXPECT_EQ(s.FillOutput(std::span<uint8_t>()), 0u);
  s.OnEof();
  EXPECT_TRUE(s.Finished());
}

TEST(HttpSession, Http10ClosesAfterOneAnswerUnlessAskedToKeepAlive) {
  Session a;
  Driven d = Drive(a, "GET / HTTP/1.0\r\n\r\n", false);
  EXPECT_EQ(Status(d.out), 200);
  EXPECT_NE(d.out.find("Connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(d.shut);
  Session b;
  d = Drive(b, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", false);
  EXPECT_NE(d.out.find("Connection: keep-alive\r\n"), std::string::npos);
  EXPECT_FALSE(d.shut);
}

TEST(HttpSession, AnswersWhatCameBeforeTheFinThenFinishes) {
  Session s;
  const Driven d = Drive(s, "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHo", true);
  EXPECT_EQ(d.out, Greeting());  // the unfinished second request is dropped
  EXPECT_TRUE(s.Finished());
  EXPECT_FALSE(d.shut);  // the peer is gone already: the owner just closes (FIN)
}

TEST(HttpSession, BytesBodyIsThePayloadStreamAndHeadHasNone) {
  Session s;
  Driven d = Drive(s, "GET /bytes/100000 HTTP/1.1\r\nHost: a\r\n\r\n", true);
  const size_t body_at = d.out.find("\r\n\r\n") + 4;
  ASSERT_EQ(d.out.size() - body_at, 100000u);
  for (size_t i = 0; i < 100000; ++i) {
    ASSERT_EQ(static_cast<uint8_t>(d.out[body_at + i]), PayloadByte(i)) << i;
  }
  Session h;
  d = Drive(h, "HEAD /bytes/100000 HTTP/1.1\r\nHost: a\r\n\r\n", true);
  EXPECT_TRUE(d.out.ends_with("Content-Length: 100000\r\n\r\n")) << d.out;
}

TEST(HttpSession, RequestBodiesAreDroppedNotTakenForRequests) {
  Session s;
  const std::string body(20000, 'G');  // would parse as garbage if taken for a request
  const Driven d = Drive(s,
                         "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 20000\r\n\r\n" + body +
                             "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
                         true, 777);
  EXPECT_EQ(Status(d.out), 405);
  EXPECT_TRUE(d.out.ends_with(Greeting())) << d.out;
  EXPECT_EQ(s.requests(), 2u);
}

TEST(HttpSession, ErrorsCloseTheConnection) {
  for (const auto& [request, status] : std::vector<std::pair<std::string, int>>{
           {"BAD\r\n\r\n", 400},
           {"GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505},
           {"PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501},
           {"GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(kMaxHeadBytes, 'a') + "\r\n\r\n", 431},
       }) {
    Session s;
    const Driven d = Drive(s, request, false);
    EXPECT_EQ(Status(d.out), status) << request.substr(0, 40);
    EXPECT_NE(d.out.find("Connection: close\r\n"), std::string::npos);
    EXPECT_TRUE(d.shut);
  }
}

TEST(HttpSession, AnswersTheSameWhateverTheChunking) {
  const std::string input =
      "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\nHEAD /bytes/5 HTTP/1.1\nHost: a\n\n"
      "GET /bytes/300 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
  Session whole;
  const Driven expected = Drive(whole, input, true);
  EXPECT_EQ(whole.requests(), 3u);
  for (size_t chunk : {1, 2, 3, 7, 64}) {
    Session s;
    const Driven d = Drive(s, input, true, chunk);
    EXPECT_EQ(d.out, expected.out) << chunk;
  }
}

// Whatever a client sends, a session buffers at most one request head (kMaxHeadBytes): beyond
// that it takes no input until it has answered, and what it drops it does not keep.
TEST(HttpSession, HostileInputCannotGrowTheBuffer) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 300; ++trial) {
    Session s;
    std::string junk(1 + rng() % 40000, '\0');
    for (char& c : junk) {
      const uint64_t r = rng() % 64;  // mostly header-like bytes, line ends now and then
      c = r == 0 ? '\n' : r == 1 ? '\r' : static_cast<char>(' ' + rng() % 95);
    }
    if (trial % 3 == 0) junk = "GET / HTTP/1.1\r\nHost: a\r\n" + junk;
    if (trial % 3 == 1) junk = "GET / HTTP/1.1\r\nHost: a\r\n\r\n" + junk;
    const bool drain = trial % 2 == 0;  // half the time nobody reads the answers
    size_t taken = 0;
    uint8_t buf[4096];
    for (int steps = 0; steps < 100000 && !s.Finished(); ++steps) {
      const size_t room = s.InputRoom();
      const size_t n = std::min({room, junk.size() - taken, size_t{1} + rng() % 3000});
      if (n > 0) {
        s.OnInput(std::span(reinterpret_cast<const uint8_t*>(junk.data() + taken), n));
        taken += n;
      }
      ASSERT_LE(s.buffered(), kMaxHeadBytes);
      size_t out = 0;
      if (drain && (out = s.FillOutput(buf)) > 0) s.OnSent(out);
      if (drain && s.WantsShutdownWrite()) s.OnShutdownWrite();
      if (n == 0 && out == 0) break;
    }
    EXPECT_LE(taken, junk.size());
  }
}

}  // namespace
}  // namespace taptcp::apps::http
