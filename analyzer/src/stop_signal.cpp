#include "stop_signal.h"

#include <signal.h>

#include <atomic>

namespace gan {

namespace {
volatile sig_atomic_t g_signal = 0;
std::atomic<bool> g_stop{false};
pcap_t* volatile g_live = nullptr;

extern "C" void on_stop_signal(int sig) {
  g_signal = sig;
  g_stop.store(true, std::memory_order_relaxed);
  if (pcap_t* p = g_live) pcap_breakloop(p);
  // The next one is not caught: Ctrl-C twice ends a program that does not stop.
  struct sigaction sa {};
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, nullptr);
}
}  // namespace

void install_stop_handlers(pcap_t* live) {
  g_live = live;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocked read() or poll() returns EINTR
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool stop_requested() { return g_stop.load(std::memory_order_relaxed); }
int stop_signal() { return g_signal; }
void request_stop() { g_stop.store(true, std::memory_order_relaxed); }

}  // namespace gan
