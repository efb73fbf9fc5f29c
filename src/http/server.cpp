// The HTTP(S) server: one io_context per thread, each with its own SO_REUSEPORT
// acceptor, so a connection lives and dies on one thread without locks. Beast
// parses requests; responses are serialised by hand into one buffer, written
// with one (usually synchronous) send. Beast and Asio are included only here,
// which is why this file is long: every translation unit that includes them
// costs a minute of compile time on a small machine.
#include "http/server.h"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string_view>
#include <thread>
#include <vector>

#include "core/json_text.h"
#include "core/log.h"
#include "http/message.h"

namespace passwerk::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
// Concrete executor types instead of the type-erased any_io_executor: every
// connection stays on its loop, and the erasure costs on each operation.
using Executor = asio::io_context::executor_type;
using Socket = tcp::socket::rebind_executor<Executor>::other;
using Acceptor = asio::basic_socket_acceptor<tcp, Executor>;

constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";
constexpr std::string_view kHsts = "max-age=31536000; includeSubDomains";
// Route label for requests that never reached the router (parse errors, limits).
const std::string kInvalidRequestRoute = "invalid_request";
// How long a closing connection may take to drain what the client still sends,
// so that our last response is not destroyed by a TCP reset.
constexpr auto kLingerTime = std::chrono::seconds(2);
// How often each loop looks for connections past their deadline. Timeouts
// fire up to this much late; in exchange a request arms no timer of its own
// (Beast's basic_stream waited on and cancelled one per read and per write).
constexpr auto kSweepInterval = std::chrono::milliseconds(250);
constexpr size_t kReadChunk = 16 * 1024;
// Pipelined requests answered in one go before yielding to other connections.
constexpr int kMaxPipelineBatch = 16;

// ---------------------------------------------------------------------------
// Small formatting helpers for the hot path.

// RFC 9110 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT", cached per second.
std::string_view HttpDate() {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  thread_local std::time_t cached_second = -1;
  thread_local char text[40];
  thread_local size_t text_len = 0;
  std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    auto result =
        fmt::format_to_n(text, sizeof text, "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", kDays[tm.tm_wday % 7],
                         tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    text_len = std::min(result.size, sizeof text);
    cached_second = now;
  }
  return {text, text_len};
}

// A fresh 16-hex-digit request id: splitmix64 over a per-thread counter that
// starts at a random point. Unique per thread, unpredictable enough for logs;
// not a secret.
void NewRequestId(std::string& id) {
  thread_local uint64_t state = [] {
    std::random_device device;
    return (static_cast<uint64_t>(device()) << 32) ^ device();
  }();
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  static constexpr char kHex[] = "0123456789abcdef";
  id.resize(16);
  for (int i = 15; i >= 0; --i) {
    id[static_cast<size_t>(i)] = kHex[z & 0xf];
    z >>= 4;
  }
}

bool IsValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ToLower(a[i]) != ToLower(b[i])) return false;
  }
  return true;
}

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Handler-supplied headers must not be able to split the response.
bool IsSafeHeader(std::string_view name, std::string_view value) {
  if (name.empty() || !std::all_of(name.begin(), name.end(), IsTokenChar)) return false;
  return std::none_of(value.begin(), value.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

Response ErrorResponse(int http_status, Status status) {
  Response response = Response::Error(status);
  response.status = http_status;
  return response;
}

int ResolveThreadCount(int requested) {
  if (requested > 0) return requested;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

// Beast's HTTP/1.1 parser writing straight into a Request that the session
// reuses: no message with one allocation per header field, no copy of it
// afterwards, and the strings of the last request lend their capacity to the
// next. Beast still does all the validation (syntax, limits, framing).
class RequestParser final : public bhttp::basic_parser<true> {
 public:
  RequestParser(Request& request, std::string& target, const ServerOptions& options)
      : request_(request), target_(target), options_(options) {
    request_.method.clear();
    request_.body.clear();
    target_.clear();
  }

  ~RequestParser() {
    if (holds_slot_) uploads_in_flight_.fetch_sub(1, std::memory_order_acq_rel);
  }
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  unsigned version() const { return version_; }
  bool expects_continue() const { return expects_continue_; }
  bool upload() const { return upload_; }
  // The body was refused because every upload slot was taken.
  bool busy() const { return busy_; }

 private:
  void on_request_impl(bhttp::verb, beast::string_view method, beast::string_view target, int version,
                       beast::error_code& ec) override {
    request_.method.assign(method.data(), method.size());
    target_.assign(target.data(), target.size());
    version_ = static_cast<unsigned>(version);
    // An upload route gets its larger limit once a credential shows up among
    // the fields (below), before the header ends, where Beast checks the
    // Content-Length against the limit.
    upload_route_ =
        options_.is_upload && options_.is_upload(std::string_view(method.data(), method.size()), target_);
    ec = {};
  }

  void on_response_impl(int, beast::string_view, int, beast::error_code& ec) override {
    ec = bhttp::error::bad_version;
  }

  void on_field_impl(bhttp::field field, beast::string_view name, beast::string_view value,
                     beast::error_code& ec) override {
    auto& headers = request_.headers;
    if (headers_used_ == headers.size()) headers.emplace_back();
    auto& [lower_name, stored_value] = headers[headers_used_++];
    lower_name.assign(name.data(), name.size());
    for (char& c : lower_name) c = ToLower(c);
    stored_value.assign(value.data(), value.size());
    // Only a request that carries a credential (a session cookie or a bearer
    // token; the handler checks it) may send an upload's megabytes.
    if (upload_route_ && !upload_) {
      std::string_view text(value.data(), value.size());
      bool credential =
          (field == bhttp::field::authorization && text.rfind("Bearer ", 0) == 0) ||
          (field == bhttp::field::cookie &&
           (text.find("pw_citizen=") != std::string_view::npos || text.find("pw_session=") != std::string_view::npos));
      if (credential) {
        upload_ = true;
        body_limit(static_cast<std::uint64_t>(options_.upload_body_limit));
      }
    }
    // The first Expect field decides, as message[field::expect] would.
    if (field == bhttp::field::expect && !seen_expect_) {
      seen_expect_ = true;
      expects_continue_ = EqualsIgnoreCase(std::string_view(value.data(), value.size()), "100-continue");
    }
    ec = {};
  }

  void on_header_impl(beast::error_code& ec) override {
    request_.headers.resize(headers_used_);
    ec = {};
  }

  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length, beast::error_code& ec) override {
    // Beast has checked the length against the body limit already. A body
    // above the ordinary limit takes one of the few upload slots, held until
    // this parser is done with (503 when none is free).
    if (upload_ && (!content_length || *content_length > options_.body_limit)) {
      int in_flight = uploads_in_flight_.fetch_add(1, std::memory_order_acq_rel);
      holds_slot_ = true;
      if (in_flight >= options_.max_concurrent_uploads) {
        busy_ = true;
        ec = bhttp::error::body_limit;
        return;
      }
    }
    if (content_length) {
      request_.body.reserve(static_cast<size_t>(std::min<std::uint64_t>(*content_length, options_.body_limit)));
    }
    ec = {};
  }

  size_t on_body_impl(beast::string_view body, beast::error_code& ec) override {
    request_.body.append(body.data(), body.size());
    ec = {};
    return body.size();
  }

  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code& ec) override { ec = {}; }

  size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, beast::error_code& ec) override {
    return on_body_impl(body, ec);
  }

  void on_finish_impl(beast::error_code& ec) override { ec = {}; }

  Request& request_;
  std::string& target_;
  const ServerOptions& options_;
  bool upload_route_ = false;
  bool upload_ = false;
  bool holds_slot_ = false;
  bool busy_ = false;
  static inline std::atomic<int> uploads_in_flight_{0};
  size_t headers_used_ = 0;
  unsigned version_ = 11;
  bool seen_expect_ = false;
  bool expects_continue_ = false;
};

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Called on the loop's thread when shutdown begins: close if idle.
  virtual void OnShutdown() = 0;
  // Called on the loop's thread by the sweep: close when past the deadline.
  virtual void OnSweep(Clock::time_point now) = 0;

  SessionBase* prev_ = nullptr;
  SessionBase* next_ = nullptr;
};

// One event loop. Member order matters on destruction: io objects go before
// the io_context, and the session list outlives the io_context because
// destroying it destroys pending handlers and with them the sessions.
struct Loop {
  SessionBase* sessions = nullptr;
  size_t session_count = 0;
  bool stopped = false;  // run() has returned for good
  // Sockets are only touched on this loop's thread (Shutdown posts), so the
  // reactor needs no per-descriptor locking; posting stays thread-safe.
  asio::io_context ioc{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  std::optional<Acceptor> acceptor;
  asio::steady_timer grace_timer{ioc};
  asio::steady_timer accept_retry_timer{ioc};
  asio::steady_timer sweep_timer{ioc};
  std::thread thread;
};

// ---------------------------------------------------------------------------

// Everything the server shares between its loops and connections.
class ServerCore {
 public:
  ServerCore(ServerOptions options, const Router& router, Metrics& metrics)
      : options_(std::move(options)), router_(router), metrics_(metrics) {}
  ServerCore(const ServerCore&) = delete;
  ServerCore& operator=(const ServerCore&) = delete;

  ~ServerCore() {
    Shutdown();
    Wait();
    writers_.join();  // before the loops its requests post back to
    loops_.clear();   // while the rest of the server is still alive
  }

  Result<uint16_t> Start();
  void Shutdown();
  void Wait();

  const ServerOptions& options() const { return options_; }
  bool shutting_down() const { return shutting_down_.load(std::memory_order_relaxed); }

  void Register(Loop& loop, SessionBase* session) {
    session->next_ = loop.sessions;
    if (loop.sessions != nullptr) loop.sessions->prev_ = session;
    loop.sessions = session;
    ++loop.session_count;
  }

  void Unregister(Loop& loop, SessionBase* session) {
    if (session->prev_ != nullptr) session->prev_->next_ = session->next_;
    if (session->next_ != nullptr) session->next_->prev_ = session->prev_;
    if (loop.sessions == session) loop.sessions = session->next_;
    --loop.session_count;
    if (loop.session_count == 0 && shutting_down() && !loop.stopped) {
      loop.grace_timer.cancel();
      loop.sweep_timer.cancel();
    }
  }

  // Routes and runs a parsed request; serialises the response into `out`.
  void Respond(Request& request, unsigned version, bool keep_alive, Clock::time_point start, std::string& out,
               bool& close);
  void RespondError(int http_status, Status status, const std::string& remote, bool tls, std::string_view method,
                    Clock::time_point start, std::string& out);

  std::optional<asio::ssl::context>& ssl() { return ssl_; }

  // Requests that may write (any method but GET and HEAD) run on a pool of
  // their own, off the event loops: a commit then blocks one worker instead of
  // every connection of its loop, and writes in flight together commit together
  // (storage's group commit). The partner check and card status, which write
  // nothing on their path and must answer fast, stay on the loops.
  static bool RunsOffLoop(const Request& request) {
    if (request.method == "GET" || request.method == "HEAD") return false;
    return request.path != "/api/v1/checks" && request.path != "/api/v1/card-status";
  }
  template <typename Task>
  void RunOffLoop(Task task) {
    asio::post(writers_, std::move(task));
  }

 private:
  Status SetUpTls();
  Response Dispatch(const Router::Match& match, Request& request) const;
  void DoAccept(Loop& loop);
  void Sweep(Loop& loop);
  void ShutdownLoop(Loop& loop);
  void Serialize(const Response& response, const std::string& request_id, bool head, bool close, unsigned version,
                 std::string& out) const;
  void Finish(const std::string& route, const Request& request, int status, Clock::time_point start);

  ServerOptions options_;
  const Router& router_;
  Metrics& metrics_;
  std::optional<asio::ssl::context> ssl_;
  std::atomic<bool> shutting_down_{false};
  bool started_ = false;
  std::mutex wait_mutex_;
  std::vector<std::unique_ptr<Loop>> loops_;
  // Bounds the writes in flight at once, and so the size of a commit group.
  static constexpr int kWriterThreads = 16;
  asio::thread_pool writers_{kWriterThreads};
};

// One connection. kTls selects the stream type; the request loop is the same.
template <bool kTls>
class Session : public SessionBase, public std::enable_shared_from_this<Session<kTls>> {
 public:
  using Stream = std::conditional_t<kTls, beast::ssl_stream<Socket>, Socket>;

  Session(ServerCore& server, Loop& loop, Socket socket)
      : server_(server), loop_(loop), stream_(MakeStream(server, std::move(socket))) {
    server_.Register(loop_, this);
    buffer_.max_size(server_.options().header_limit + 4 * kReadChunk);
  }

  ~Session() override { server_.Unregister(loop_, this); }

  void Start() {
    beast::error_code ec;
    auto& socket = TheSocket();
    socket.set_option(tcp::no_delay(true), ec);
    socket.non_blocking(true, ec);
    auto endpoint = socket.remote_endpoint(ec);
    if (ec) return;  // the peer is already gone
    remote_ = endpoint.address().to_string();
    if (server_.shutting_down()) return CloseNow();

    if constexpr (kTls) {
      state_ = State::kHandshake;
      ExpireAfter(std::chrono::seconds(server_.options().read_timeout_seconds));
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code e) { self->OnHandshake(e); });
    } else {
      StartRequest();
    }
  }

  void OnShutdown() override {
    if (state_ == State::kIdle || state_ == State::kHandshake) {
      beast::error_code ec;
      TheSocket().cancel(ec);  // the pending read completes with operation_aborted
    }
  }

  void OnSweep(Clock::time_point now) override {
    if (now < deadline_) return;
    // As a timeout of Beast's basic_stream did: close the socket, so that the
    // pending operation completes with an error and the session ends.
    deadline_ = Clock::time_point::max();
    beast::error_code ec;
    TheSocket().close(ec);
  }

 private:
  enum class State { kHandshake, kIdle, kReading, kWriting, kClosing };
  enum class AfterWrite { kReadMore, kNextRequest, kClose };

  static Stream MakeStream(ServerCore& server, Socket socket) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *server.ssl());
    } else {
      return Stream(std::move(socket));
    }
  }

  Socket& TheSocket() { return beast::get_lowest_layer(stream_); }
  // The deadline of whatever the session waits for now (see kSweepInterval).
  void ExpireAfter(Clock::duration timeout) { deadline_ = Clock::now() + timeout; }

  void OnHandshake(beast::error_code ec) {
    if (ec) return CloseNow();
    StartRequest();
  }

  void StartRequest() {
    if (PrepareNextRequest()) Process();
  }

  // Resets the parser for the next request. Returns true when a pipelined
  // request is already buffered; otherwise waits for one (or closes).
  bool PrepareNextRequest() {
    parser_.emplace(request_, target_, server_.options());
    upload_deadline_set_ = false;
    parser_->header_limit(static_cast<std::uint32_t>(std::min<size_t>(server_.options().header_limit, UINT32_MAX)));
    parser_->body_limit(static_cast<std::uint64_t>(server_.options().body_limit));
    parser_->eager(true);
    read_timeout_armed_ = false;
    continue_sent_ = false;
    if (server_.shutting_down()) {
      CloseGracefully();
      return false;
    }
    if (buffer_.size() == 0) {
      state_ = State::kIdle;
      ExpireAfter(std::chrono::seconds(server_.options().idle_timeout_seconds));
      Read();
      return false;
    }
    state_ = State::kReading;
    request_start_ = Clock::now();
    return true;
  }

  void Read() {
    size_t size = beast::read_size(buffer_, kReadChunk);
    if (size == 0) {
      // Unparsed bytes fill the buffer: only a header over the limit does that.
      return SendError(431, ResourceExhausted("request header too large"));
    }
    if (state_ != State::kIdle && !read_timeout_armed_) {
      // The request has started: the whole rest of it gets one deadline.
      read_timeout_armed_ = true;
      ExpireAfter(std::chrono::seconds(server_.options().read_timeout_seconds));
    }
    stream_.async_read_some(buffer_.prepare(size),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) { self->OnRead(ec, n); });
  }

  void OnRead(beast::error_code ec, size_t bytes) {
    if (ec) {
      // EOF, timeout, reset, or shutdown of an idle connection. A request cut
      // off half-way cannot be answered: the client is gone.
      return CloseNow();
    }
    buffer_.commit(bytes);
    if (state_ == State::kIdle) {
      state_ = State::kReading;
      request_start_ = Clock::now();
    }
    Process();
  }

  // Parses what is buffered and answers every complete request in it.
  void Process() {
    for (int batch = 0;; ++batch) {
      if (batch == kMaxPipelineBatch) {
        asio::post(TheSocket().get_executor(), [self = this->shared_from_this()] { self->Process(); });
        return;
      }
      beast::error_code ec;
      size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec && ec != bhttp::error::need_more) return OnParseError(ec);
      if (!parser_->is_done()) {
        if (parser_->is_header_done() && parser_->upload() && !upload_deadline_set_) {
          // An upload of many megabytes from a phone takes longer than a form.
          upload_deadline_set_ = true;
          read_timeout_armed_ = true;
          ExpireAfter(std::chrono::seconds(server_.options().upload_read_timeout_seconds));
        }
        if (parser_->is_header_done() && !continue_sent_ && ExpectsContinue()) {
          continue_sent_ = true;
          out_.assign("HTTP/1.1 100 Continue\r\n\r\n");
          return Write(AfterWrite::kReadMore);
        }
        return Read();
      }

      bool close = false;
      if (!CompleteRequest()) return SendError(400, InvalidArgument("invalid request target"));
      if (ServerCore::RunsOffLoop(request_)) return RespondOffLoop();
      server_.Respond(request_, parser_->version(), parser_->keep_alive(), request_start_, out_, close);
      if (close) return Write(AfterWrite::kClose);
      if (!TryWriteNow()) return Write(AfterWrite::kNextRequest, /*try_now=*/false);

      // Written synchronously: go on with the next request, if one is buffered.
      if (!PrepareNextRequest()) return;
    }
  }

  // Runs the request on the server's writer pool; the answer goes out on this
  // session's loop again. Nothing else touches the session meanwhile: no read
  // is pending, and the sweep must not close it for the time the work takes.
  void RespondOffLoop() {
    deadline_ = Clock::time_point::max();
    server_.RunOffLoop([self = this->shared_from_this()] {
      bool close = false;
      self->server_.Respond(self->request_, self->parser_->version(), self->parser_->keep_alive(), self->request_start_,
                            self->out_, close);
      asio::post(self->TheSocket().get_executor(), [self, close] { self->AfterOffLoopResponse(close); });
    });
  }

  void AfterOffLoopResponse(bool close) {
    if (close) return Write(AfterWrite::kClose);
    if (!TryWriteNow()) return Write(AfterWrite::kNextRequest, /*try_now=*/false);
    if (PrepareNextRequest()) Process();
  }

  bool ExpectsContinue() { return parser_->version() >= 11 && parser_->expects_continue(); }

  // Fills in what the parser left: path, query, request id, peer.
  bool CompleteRequest() {
    Request& request = request_;
    std::string_view target = target_;
    // Absolute form ("http://host/path") is legal; only the path matters here.
    if (!target.empty() && target.front() != '/') {
      size_t scheme = target.find("://");
      if (scheme == std::string_view::npos) return false;
      size_t slash = target.find('/', scheme + 3);
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
    if (target.empty()) return false;
    size_t question = target.find('?');
    request.path = UrlDecode(target.substr(0, question), false);
    if (question != std::string_view::npos) {
      request.query.assign(target.substr(question + 1));
    } else {
      request.query.clear();
    }
    request.request_id.clear();
    for (const auto& [name, value] : request.headers) {
      if (name == "x-request-id" && IsValidRequestId(value)) {
        request.request_id = value;
        break;
      }
    }
    if (request.request_id.empty()) NewRequestId(request.request_id);
    request.path_params.clear();
    request.remote_address = remote_;
    request.tls = kTls;
    return true;
  }

  void OnParseError(beast::error_code ec) {
    if (ec == bhttp::error::header_limit) return SendError(431, ResourceExhausted("request header too large"));
    if (ec == bhttp::error::body_limit && parser_->busy()) {
      return SendError(503, Unavailable("too many uploads at once; send the message again in a moment"));
    }
    if (ec == bhttp::error::body_limit) return SendError(413, ResourceExhausted("request body too large"));
    return SendError(400, InvalidArgument("malformed request"));
  }

  // Answers a request that could not be parsed, then closes: the stream
  // position is unknown, so nothing after it can be trusted.
  void SendError(int http_status, Status status) {
    if (state_ != State::kReading) request_start_ = Clock::now();
    std::string_view method;
    if (parser_ && parser_->is_header_done()) method = request_.method;
    server_.RespondError(http_status, std::move(status), remote_, kTls, method, request_start_, out_);
    Write(AfterWrite::kClose);
  }

  // Plain TCP: try a non-blocking send first; a small response nearly always
  // fits into the socket buffer, which saves an asynchronous round trip.
  // Returns true when all of out_ is sent; otherwise out_offset_ says how much.
  bool TryWriteNow() {
    if constexpr (kTls) {
      return false;
    } else {
      beast::error_code ec;
      size_t remaining = out_.size() - out_offset_;
      size_t written = TheSocket().write_some(asio::buffer(out_.data() + out_offset_, remaining), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        written = 0;
      } else if (ec) {
        written = remaining;  // the peer is gone; the next read will notice
      }
      out_offset_ += written;
      if (out_offset_ < out_.size()) return false;
      out_offset_ = 0;
      return true;
    }
  }

  void Write(AfterWrite next, bool try_now = true) {
    after_write_ = next;
    state_ = State::kWriting;
    if (try_now && TryWriteNow()) return OnWrite({}, 0);
    ExpireAfter(std::chrono::seconds(server_.options().read_timeout_seconds));
    asio::async_write(stream_, asio::buffer(out_.data() + out_offset_, out_.size() - out_offset_),
                      [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnWrite(ec, 0); });
  }

  void OnWrite(beast::error_code ec, size_t /*bytes*/) {
    out_offset_ = 0;
    if (ec) return CloseNow();
    switch (after_write_) {
      case AfterWrite::kReadMore:
        state_ = State::kReading;
        return Read();
      case AfterWrite::kNextRequest:
        return StartRequest();
      case AfterWrite::kClose:
        return CloseGracefully();
    }
  }

  // After the last response: send FIN (or TLS close_notify) and drain what the
  // client still sends, briefly, so the response is not lost to a TCP reset.
  void CloseGracefully() {
    state_ = State::kClosing;
    ExpireAfter(kLingerTime);
    if constexpr (kTls) {
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->CloseNow(); });
    } else {
      beast::error_code ec;
      TheSocket().shutdown(tcp::socket::shutdown_send, ec);
      if (ec) return CloseNow();
      Linger();
    }
  }

  void Linger() {
    stream_.async_read_some(asio::buffer(linger_buffer_),
                            [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->CloseNow();
                              self->Linger();
                            });
  }

  void CloseNow() {
    state_ = State::kClosing;
    beast::error_code ec;
    TheSocket().shutdown(tcp::socket::shutdown_both, ec);
    TheSocket().close(ec);
  }

  ServerCore& server_;
  Loop& loop_;
  Stream stream_;
  beast::flat_buffer buffer_;
  // The request being parsed; reused from one request to the next.
  Request request_;
  std::string target_;
  std::optional<RequestParser> parser_;
  std::string remote_;
  std::string out_;
  size_t out_offset_ = 0;
  State state_ = State::kIdle;
  AfterWrite after_write_ = AfterWrite::kClose;
  bool read_timeout_armed_ = false;
  bool continue_sent_ = false;
  bool upload_deadline_set_ = false;
  Clock::time_point request_start_{};
  Clock::time_point deadline_ = Clock::time_point::max();
  std::array<char, 512> linger_buffer_{};
};

// ---------------------------------------------------------------------------

Response ServerCore::Dispatch(const Router::Match& match, Request& request) const {
  if (match.handler == nullptr) {
    if (match.status != 405) return ErrorResponse(404, NotFound("not found"));
    Response response = ErrorResponse(405, InvalidArgument("method not allowed"));
    // Which methods would have matched: probe the router (405 is rare).
    std::string allow;
    Request probe;
    probe.path = request.path;
    for (const char* method : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
      probe.method = method;
      if (router_.Find(probe).handler != nullptr) {
        if (!allow.empty()) allow += ", ";
        allow += method;
      }
    }
    if (!allow.empty()) response.AddHeader("Allow", std::move(allow));
    return response;
  }
  std::string error;
  try {
    Response response = (*match.handler)(request);
    if (response.status >= 200 && response.status <= 599) return response;
    error = "handler returned invalid status " + std::to_string(response.status);
  } catch (const std::exception& e) {
    error = e.what();
  } catch (...) {
    error = "unknown exception";
  }
  log::Error("handler failed", {{"request_id", request.request_id}, {"route", match.route_name}, {"error", error}});
  return Response::Error(Status(ErrorCode::kInternal, "internal error"));  // logged above
}

void ServerCore::Respond(Request& request, unsigned version, bool keep_alive, Clock::time_point start, std::string& out,
                         bool& close) {
  Router::Match match = router_.Find(request);
  Response response = Dispatch(match, request);
  close = !keep_alive || shutting_down();
  Serialize(response, request.request_id, request.method == "HEAD", close, version, out);
  Finish(match.route_name, request, response.status, start);
}

void ServerCore::RespondError(int http_status, Status status, const std::string& remote, bool tls,
                              std::string_view method, Clock::time_point start, std::string& out) {
  Request request;
  request.method = std::string(method);
  request.remote_address = remote;
  request.tls = tls;
  NewRequestId(request.request_id);
  Response response = ErrorResponse(http_status, std::move(status));
  Serialize(response, request.request_id, false, true, 11, out);
  Finish(kInvalidRequestRoute, request, http_status, start);
}

void ServerCore::Serialize(const Response& response, const std::string& request_id, bool head, bool close,
                           unsigned version, std::string& out) const {
  using namespace std::string_view_literals;
  out.clear();
  out.reserve(512 + response.body.size());
  out += "HTTP/1.1 "sv;
  out += std::to_string(response.status);
  out += ' ';
  std::string_view reason = bhttp::obsolete_reason(static_cast<bhttp::status>(response.status));
  out += reason.empty() ? std::string_view("Unknown") : reason;
  out += "\r\nServer: passwerk\r\nDate: "sv;
  out += HttpDate();
  out += "\r\nX-Request-Id: "sv;
  out += request_id;
  out += "\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\nX-Frame-Options: DENY\r\n"sv;
  if (ssl_) {
    out += "Strict-Transport-Security: "sv;
    out += kHsts;
    out += "\r\n"sv;
  }

  bool has_csp = false;
  bool has_cache_control = false;
  bool has_content_type = false;
  for (const auto& [name, value] : response.headers) {
    // The server owns framing, identity and the fixed security headers.
    static constexpr std::string_view kReserved[] = {"content-length",
                                                     "transfer-encoding",
                                                     "connection",
                                                     "server",
                                                     "date",
                                                     "x-request-id",
                                                     "x-frame-options",
                                                     "x-content-type-options",
                                                     "referrer-policy",
                                                     "strict-transport-security"};
    if (std::any_of(std::begin(kReserved), std::end(kReserved),
                    [&](std::string_view reserved) { return EqualsIgnoreCase(name, reserved); })) {
      continue;
    }
    if (!IsSafeHeader(name, value)) {
      log::Warn("dropped an invalid response header", {{"request_id", request_id}, {"header", name}});
      continue;
    }
    has_csp = has_csp || EqualsIgnoreCase(name, "content-security-policy");
    has_cache_control = has_cache_control || EqualsIgnoreCase(name, "cache-control");
    has_content_type = has_content_type || EqualsIgnoreCase(name, "content-type");
    out += name;
    out += ": "sv;
    out += value;
    out += "\r\n"sv;
  }
  if (!has_content_type && !response.content_type.empty() && IsSafeHeader("Content-Type", response.content_type)) {
    out += "Content-Type: "sv;
    out += response.content_type;
    out += "\r\n"sv;
  }
  if (!has_csp) {
    out += "Content-Security-Policy: "sv;
    out += kContentSecurityPolicy;
    out += "\r\n"sv;
  }
  if (!has_cache_control) out += "Cache-Control: no-store\r\n"sv;

  const int status = response.status;
  const bool no_body = status == 204 || status == 304;  // never a body, so no length either
  if (!no_body) {
    out += "Content-Length: "sv;
    out += std::to_string(response.body.size());
    out += "\r\n"sv;
  }
  if (close) {
    out += "Connection: close\r\n"sv;
  } else if (version < 11) {
    out += "Connection: keep-alive\r\n"sv;
  }
  out += "\r\n"sv;
  if (!head && !no_body) out += response.body;
}

void ServerCore::Finish(const std::string& route, const Request& request, int status, Clock::time_point start) {
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  metrics_.Observe(route, status, seconds);
  if (!options_.access_log || !spdlog::should_log(spdlog::level::info)) return;
  // The logger's pattern (core/log.cpp) wraps this in {"ts":…,"level":…, … }.
  fmt::memory_buffer line;
  line.append(std::string_view(R"("msg":"request","request_id":)"));
  AppendJsonString(line, request.request_id);
  line.append(std::string_view(R"(,"method":)"));
  AppendJsonString(line, request.method);
  line.append(std::string_view(R"(,"path":)"));
  AppendJsonString(line, request.path);
  fmt::format_to(std::back_inserter(line), R"(,"status":{},"duration_ms":{:.3f},"remote":)", status, seconds * 1000.0);
  AppendJsonString(line, request.remote_address);
  spdlog::default_logger_raw()->log(spdlog::level::info, spdlog::string_view_t(line.data(), line.size()));
}

Status ServerCore::SetUpTls() {
  const std::string& cert = options_.tls_cert_file;
  const std::string& key = options_.tls_key_file;
  if (cert.empty() && key.empty()) return Status::Ok();
  if (cert.empty()) return InvalidArgument("tls_cert_file must be set together with tls_key_file", "tls_cert_file");
  if (key.empty()) return InvalidArgument("tls_key_file must be set together with tls_cert_file", "tls_key_file");

  ssl_.emplace(asio::ssl::context::tls_server);
  ssl_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                    asio::ssl::context::single_dh_use | asio::ssl::context::no_compression);
  SSL_CTX_set_min_proto_version(ssl_->native_handle(), TLS1_2_VERSION);
  // An encrypted key must fail cleanly, not prompt on the terminal.
  ssl_->set_password_callback([](size_t, asio::ssl::context::password_purpose) { return std::string(); });

  beast::error_code ec;
  ssl_->use_certificate_chain_file(cert, ec);
  if (ec) {
    ssl_.reset();
    return InvalidArgument(
        fmt::format("tls_cert_file: cannot load a PEM certificate chain from '{}': {}", cert, ec.message()),
        "tls_cert_file");
  }
  ssl_->use_private_key_file(key, asio::ssl::context::pem, ec);
  if (ec) {
    ssl_.reset();
    return InvalidArgument(
        fmt::format("tls_key_file: cannot load an unencrypted PEM private key from '{}': {}", key, ec.message()),
        "tls_key_file");
  }
  if (SSL_CTX_check_private_key(ssl_->native_handle()) != 1) {
    ssl_.reset();
    return InvalidArgument("tls_key_file: the private key does not match the certificate in tls_cert_file",
                           "tls_key_file");
  }
  return Status::Ok();
}

Result<uint16_t> ServerCore::Start() {
  if (started_) return FailedPrecondition("server already started");
  if (shutting_down()) return FailedPrecondition("server was shut down");
  if (options_.read_timeout_seconds <= 0 || options_.idle_timeout_seconds <= 0 || options_.shutdown_grace_seconds < 0) {
    return InvalidArgument("timeouts must be positive");
  }
  PW_RETURN_IF_ERROR(SetUpTls());

  beast::error_code ec;
  asio::ip::address address = asio::ip::make_address(options_.host, ec);
  if (ec) {
    asio::io_context resolver_context;
    tcp::resolver resolver(resolver_context);
    auto results = resolver.resolve(options_.host, "", ec);
    if (ec || results.empty()) {
      return InvalidArgument(fmt::format("host: cannot resolve '{}'", options_.host), "host");
    }
    address = results.begin()->endpoint().address();
  }

  const int thread_count = ResolveThreadCount(options_.threads);
  uint16_t port = options_.port;
  std::vector<std::unique_ptr<Loop>> loops;
  for (int i = 0; i < thread_count; ++i) {
    auto loop = std::make_unique<Loop>();
    tcp::endpoint endpoint(address, port);
    auto& acceptor = loop->acceptor.emplace(loop->ioc);
    auto fail = [&](std::string_view what) {
      return Status(ErrorCode::kUnavailable,
                    fmt::format("cannot listen on {}:{}: {} ({})", options_.host, port, ec.message(), what));
    };
    acceptor.open(endpoint.protocol(), ec);
    if (ec) return fail("open");
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (ec) return fail("SO_REUSEADDR");
    using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
    acceptor.set_option(ReusePort(true), ec);
    if (ec) return fail("SO_REUSEPORT");
    acceptor.bind(endpoint, ec);
    if (ec) return fail("bind");
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return fail("listen");
    if (port == 0) port = acceptor.local_endpoint(ec).port();
    if (ec) return fail("local_endpoint");
    loops.push_back(std::move(loop));
  }

  loops_ = std::move(loops);
  started_ = true;
  for (auto& loop : loops_) {
    DoAccept(*loop);
    Sweep(*loop);
  }
  for (auto& loop_ptr : loops_) {
    Loop& loop = *loop_ptr;
    loop.thread = std::thread([&loop] {
      for (;;) {
        try {
          loop.ioc.run();
          break;
        } catch (const std::exception& e) {
          log::Error("event loop error", {{"error", e.what()}});
        } catch (...) {
          log::Error("event loop error", {{"error", "unknown exception"}});
        }
      }
      loop.stopped = true;
    });
  }
  return port;
}

void ServerCore::DoAccept(Loop& loop) {
  loop.acceptor->async_accept(loop.ioc, [this, &loop](beast::error_code ec, Socket socket) {
    if (!loop.acceptor->is_open() || shutting_down()) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      // Typically EMFILE: retry shortly instead of spinning.
      log::Warn("accept failed", {{"error", ec.message()}});
      loop.accept_retry_timer.expires_after(std::chrono::milliseconds(50));
      loop.accept_retry_timer.async_wait([this, &loop](beast::error_code e) {
        if (!e && !shutting_down()) DoAccept(loop);
      });
      return;
    }
    if (ssl_) {
      std::make_shared<Session<true>>(*this, loop, std::move(socket))->Start();
    } else {
      std::make_shared<Session<false>>(*this, loop, std::move(socket))->Start();
    }
    DoAccept(loop);
  });
}

void ServerCore::Sweep(Loop& loop) {
  loop.sweep_timer.expires_after(kSweepInterval);
  loop.sweep_timer.async_wait([this, &loop](beast::error_code e) {
    if (e) return;  // cancelled: the loop is shutting down with no connections left
    // Closing a socket only queues its handlers, so the list stays intact.
    const Clock::time_point now = Clock::now();
    for (SessionBase* s = loop.sessions; s != nullptr; s = s->next_) s->OnSweep(now);
    if (shutting_down() && loop.session_count == 0) return;
    Sweep(loop);
  });
}

void ServerCore::ShutdownLoop(Loop& loop) {
  beast::error_code ec;
  if (loop.acceptor) loop.acceptor->close(ec);
  loop.accept_retry_timer.cancel();
  std::vector<SessionBase*> sessions;
  for (SessionBase* s = loop.sessions; s != nullptr; s = s->next_) sessions.push_back(s);
  for (SessionBase* s : sessions) s->OnShutdown();
  if (loop.session_count == 0) {
    loop.sweep_timer.cancel();
    return;  // nothing keeps run() alive any more
  }
  loop.grace_timer.expires_after(std::chrono::seconds(options_.shutdown_grace_seconds));
  loop.grace_timer.async_wait([&loop](beast::error_code e) {
    if (e) return;  // cancelled: the last connection closed in time
    log::Warn("shutdown grace period over; closing remaining connections", {{"connections", loop.session_count}});
    loop.ioc.stop();
  });
}

void ServerCore::Shutdown() {
  if (shutting_down_.exchange(true)) return;
  for (auto& loop : loops_) {
    Loop* l = loop.get();
    asio::post(l->ioc, [this, l] { ShutdownLoop(*l); });
  }
}

void ServerCore::Wait() {
  std::lock_guard lock(wait_mutex_);
  for (auto& loop : loops_) {
    if (loop->thread.joinable()) loop->thread.join();
  }
}

}  // namespace

class Server::Impl final : public ServerCore {
 public:
  using ServerCore::ServerCore;
};

// ---------------------------------------------------------------------------

Server::Server(ServerOptions options, const Router& router, Metrics& metrics)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics)) {}

Server::~Server() = default;

Result<uint16_t> Server::Start() { return impl_->Start(); }
void Server::Shutdown() { impl_->Shutdown(); }
void Server::Wait() { impl_->Wait(); }

}  // namespace passwerk::http
