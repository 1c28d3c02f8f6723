// SIGINT and SIGTERM as a request to stop reading and write the report (live capture, stdin),
// rather than the end of the program. The handler only sets a flag (and breaks libpcap's loop);
// the capture loops check it. A second signal ends the program as usual, so a stuck read can
// still be interrupted.
#pragma once

#include <pcap/pcap.h>

namespace gan {

// Installs the handlers (without SA_RESTART, so a blocked read returns EINTR). `live`, when
// given, is broken out of with pcap_breakloop.
void install_stop_handlers(pcap_t* live = nullptr);
// Whether a stop was asked for; and which signal asked (0: none).
bool stop_requested();
int stop_signal();
// Ask for a stop from the program itself (the live screen's 'q', --duration).
void request_stop();

}  // namespace gan
