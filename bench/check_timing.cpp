// Bench-only client: are the three kinds of no_match answer indistinguishable
// by timing? Sends POST /api/v1/checks over one keep-alive connection (plain
// socket, no HTTP library in the path), interleaving the kinds — unknown
// number, wrong name part, number failing Luhn — in a fresh random order per
// triple, and measures each request with steady_clock from the first byte
// written to the last byte read. Prints the median of each kind and the spread
// (max/min − 1 of the medians).
//
//   passwerk_check_timing --port P --samples FILE --key KEY [--requests 20000] [--warmup 1000]
//
// The sample file is the one passwerk_seed_cards writes. Exit code 0 when the
// run completed (the spread is reported, not judged), 1 on any error or on an
// answer that is not a 200 no_match.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Args {
  int port = 0;
  std::string samples;
  std::string key;
  int requests = 20000;
  int warmup = 1000;
};

[[noreturn]] void Usage(const std::string& error) {
  std::cerr << "passwerk_check_timing: " << error << "\n"
            << "usage: passwerk_check_timing --port P --samples FILE --key KEY [--requests 20000] [--warmup 1000]\n";
  std::exit(2);
}

[[noreturn]] void Die(const std::string& error) {
  std::cerr << "passwerk_check_timing: " << error << "\n";
  std::exit(1);
}

class Connection {
 public:
  explicit Connection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) Die("socket failed");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) Die("connect failed");
  }
  ~Connection() { ::close(fd_); }

  // Sends one request and reads one response; returns the status and body.
  std::pair<int, std::string> RoundTrip(const std::string& request) {
    size_t sent = 0;
    while (sent < request.size()) {
      ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) Die("send failed");
      sent += static_cast<size_t>(n);
    }
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) Fill();
    std::string head = buffer_.substr(0, header_end);
    int status = std::atoi(head.c_str() + head.find(' ') + 1);
    size_t length = 0;
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    size_t cl = lower.find("\r\ncontent-length:");
    if (cl == std::string::npos) Die("response without Content-Length");
    length = std::strtoul(lower.c_str() + cl + 17, nullptr, 10);
    while (buffer_.size() < header_end + 4 + length) Fill();
    std::string body = buffer_.substr(header_end + 4, length);
    buffer_.erase(0, header_end + 4 + length);
    return {status, body};
  }

 private:
  void Fill() {
    char chunk[16384];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) Die("connection closed by the server");
    buffer_.append(chunk, static_cast<size_t>(n));
  }
  int fd_ = -1;
  std::string buffer_;
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) Usage("missing value for " + flag);
    std::string value = argv[++i];
    if (flag == "--port")
      a.port = std::atoi(value.c_str());
    else if (flag == "--samples")
      a.samples = value;
    else if (flag == "--key")
      a.key = value;
    else if (flag == "--requests")
      a.requests = std::atoi(value.c_str());
    else if (flag == "--warmup")
      a.warmup = std::atoi(value.c_str());
    else
      Usage("unknown flag " + flag);
  }
  if (a.port <= 0 || a.samples.empty() || a.key.empty() || a.requests < 1 || a.warmup < 0) Usage("bad arguments");

  const std::array<std::string, 3> kinds = {"unknown", "wrong_name", "luhn"};
  std::array<std::vector<std::string>, 3> requests;  // pre-built HTTP requests per kind
  {
    std::ifstream in(a.samples);
    if (!in) Die("cannot read " + a.samples);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string kind, number, name;
      if (!std::getline(fields, kind, '\t') || !std::getline(fields, number, '\t') || !std::getline(fields, name))
        continue;
      auto it = std::find(kinds.begin(), kinds.end(), kind);
      if (it == kinds.end()) continue;
      std::string body = R"({"card_number":")" + number + R"(","name":")" + name + R"("})";
      requests[static_cast<size_t>(it - kinds.begin())].push_back(
          "POST /api/v1/checks HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + a.key +
          "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    }
  }
  for (size_t k = 0; k < kinds.size(); ++k) {
    if (requests[k].empty()) Die("no samples of kind " + kinds[k] + " in " + a.samples);
  }

  Connection connection(a.port);
  std::mt19937 rng(42);
  std::array<std::vector<double>, 3> micros;
  std::array<size_t, 3> next{0, 0, 0};
  std::array<int, 3> order{0, 1, 2};
  int total = a.warmup + a.requests;
  for (int round = 0; round < total; ++round) {
    std::shuffle(order.begin(), order.end(), rng);
    for (int k : order) {
      const std::string& request = requests[k][next[k]++ % requests[k].size()];
      auto t0 = std::chrono::steady_clock::now();
      auto [status, body] = connection.RoundTrip(request);
      auto t1 = std::chrono::steady_clock::now();
      if (status != 200 || body.find("no_match") == std::string::npos) {
        Die("kind " + kinds[k] + ": unexpected answer " + std::to_string(status) + " " + body);
      }
      if (round >= a.warmup) micros[k].push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    }
  }
  std::array<double, 3> medians{};
  for (size_t k = 0; k < 3; ++k) medians[k] = Median(micros[k]);
  double lo = *std::min_element(medians.begin(), medians.end());
  double hi = *std::max_element(medians.begin(), medians.end());
  double spread = lo > 0 ? (hi / lo - 1) * 100 : 0;
  std::printf("bench check_timing: unknown_ms=%.4f wrong_name_ms=%.4f luhn_ms=%.4f spread=%.1f%% (target <= 5%%)\n",
              medians[0] / 1000, medians[1] / 1000, medians[2] / 1000, spread);
  std::printf("bench check_timing: p90_ms unknown=%.4f wrong_name=%.4f luhn=%.4f; requests_per_kind=%d warmup=%d\n",
              Percentile(micros[0], 0.9) / 1000, Percentile(micros[1], 0.9) / 1000, Percentile(micros[2], 0.9) / 1000,
              a.requests, a.warmup);
  return 0;
}
