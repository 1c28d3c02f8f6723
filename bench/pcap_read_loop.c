/* The reference for gearman-analyze's speed: the least a libpcap program can do with a capture,
 * read every record and touch its bytes. Usage: pcap_read_loop FILE.pcap */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv) {
  char err[PCAP_ERRBUF_SIZE];
  if (argc != 2) {
    fprintf(stderr, "usage: pcap_read_loop FILE.pcap\n");
    return 2;
  }
  pcap_t *p = pcap_open_offline(argv[1], err);
  if (!p) {
    fprintf(stderr, "pcap_read_loop: %s\n", err);
    return 1;
  }
  struct pcap_pkthdr *h;
  const u_char *data;
  uint64_t frames = 0, bytes = 0, sum = 0;
  int rc;
  while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
    ++frames;
    bytes += h->caplen;
    sum += h->caplen ? data[h->caplen - 1] : 0; /* touch the data so the loop is not elided */
  }
  if (rc == -1) fprintf(stderr, "pcap_read_loop: %s\n", pcap_geterr(p));
  pcap_close(p);
  printf("%llu frames %llu bytes (%llu)\n", (unsigned long long)frames, (unsigned long long)bytes,
         (unsigned long long)(sum & 0xff));
  return rc == -1;
}
