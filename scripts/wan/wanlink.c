/*
 * wanlink: a small WAN link emulator for seed-node tests.
 *
 * Each emulated host is a network namespace holding a persistent tun device (created by
 * scripts/lib/wan.sh). wanlink attaches to every one of them, reads the IPv4 packets the host
 * sends, looks up the destination host by address and hands the packet to that host's tun device
 * after the pair's one-way delay (plus optional jitter, loss and a bandwidth cap).
 *
 * Timing: one min-heap of packets ordered by due time; a timerfd armed (absolute,
 * CLOCK_MONOTONIC) at the earliest due time; epoll waits on the tun fds, the timerfd and a
 * signalfd. No busy-waiting and no sleeps. Packets of one directed pair never overtake each other
 * (jitter is applied without reordering), as on a real path.
 *
 * Usage: wanlink [options] ADDR@NETNS_PATH...   (host i is the i-th argument, from 0; at most 256)
 *   --tun NAME            tun device name inside every namespace (default wan0)
 *   --delay MS            one-way delay for every pair (default 0)
 *   --pair I:J:MS         one-way delay between hosts I and J, both directions
 *   --matrix FILE         more pairs, one per line: "I J MS" (both directions) or "I J drop" (the
 *                         pair is cut: its packets are dropped, a partition); '#' starts a comment.
 *                         Applied after --delay and --pair, and again on SIGHUP: a script rewrites
 *                         the file and sends SIGHUP to cut or heal links without losing queued packets.
 *   --jitter MS           uniform jitter +-MS added to every packet's delay
 *   --loss PERCENT        drop this share of packets (seeded, reproducible)
 *   --rate MBIT           bandwidth cap per directed pair (0 = none)
 *   --limit PACKETS       queue limit per directed pair; beyond it packets are dropped (default 50000)
 *   --seed N              seed of the loss/jitter generator (default 134)
 *   --ready-file PATH     written once every tun is attached
 * SIGUSR1 prints statistics; SIGINT/SIGTERM print them and exit 0.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_HOSTS 256
#define MAX_PACKET 65536
#define READS_PER_WAKEUP 64 /* fairness between hosts: bounded work per readable tun */

struct packet {
    int64_t due_ns;
    uint64_t sequence; /* FIFO tie-break for equal due times */
    int destination;
    int source;
    uint32_t length;
    unsigned char bytes[];
};

struct link_state { /* one directed pair */
    int64_t delay_ns;
    int blocked;          /* cut by the matrix file: every packet is dropped */
    int64_t last_due_ns;  /* keeps the pair in order under jitter */
    int64_t free_at_ns;   /* bandwidth cap: when the emulated wire is idle again */
    uint32_t queued;
};

struct host {
    uint32_t address; /* network byte order */
    int tun_fd;
    char label[64];
};

static struct host hosts[MAX_HOSTS];
static int host_count;
static struct link_state links[MAX_HOSTS][MAX_HOSTS];
static struct packet **heap;
static size_t heap_count, heap_capacity;
static uint64_t next_sequence;

static int64_t jitter_ns, rate_bits_per_s;
static double loss_fraction;
static uint32_t queue_limit = 50000;
static uint64_t rng_state = 134;

static struct {
    uint64_t forwarded, bytes, lost, overflow, unroutable, not_ipv4, write_errors, partitioned;
    int64_t lateness_sum_ns, lateness_max_ns;
    uint64_t lateness_buckets[5]; /* <=0.1 ms, <=0.5 ms, <=1 ms, <=5 ms, >5 ms */
} stats;

static void die(const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    fprintf(stderr, "wanlink: ");
    vfprintf(stderr, format, arguments);
    fprintf(stderr, "\n");
    va_end(arguments);
    exit(2);
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t next_random(void) { /* splitmix64: reproducible loss and jitter */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double random_unit(void) { return (double)(next_random() >> 11) / 9007199254740992.0; }

static int earlier(const struct packet *a, const struct packet *b) {
    return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && a->sequence < b->sequence);
}

static void heap_push(struct packet *packet) {
    if (heap_count == heap_capacity) {
        heap_capacity = heap_capacity ? heap_capacity * 2 : 4096;
        heap = realloc(heap, heap_capacity * sizeof *heap);
        if (!heap) die("out of memory");
    }
    size_t i = heap_count++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!earlier(packet, heap[parent])) break;
        heap[i] = heap[parent];
        i = parent;
    }
    heap[i] = packet;
}

static struct packet *heap_pop(void) {
    struct packet *top = heap[0], *last = heap[--heap_count];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= heap_count) break;
        if (child + 1 < heap_count && earlier(heap[child + 1], heap[child])) child++;
        if (!earlier(heap[child], last)) break;
        heap[i] = heap[child];
        i = child;
    }
    if (heap_count > 0) heap[i] = last;
    return top;
}

static int host_for_address(uint32_t address) {
    for (int i = 0; i < host_count; i++)
        if (hosts[i].address == address) return i;
    return -1;
}

/* Attach to the persistent tun device NAME inside the namespace at PATH; returns the fd. */
static int attach_tun(const char *netns_path, const char *name, int home_netns) {
    int netns = open(netns_path, O_RDONLY | O_CLOEXEC);
    if (netns < 0) die("open %s: %s", netns_path, strerror(errno));
    if (setns(netns, CLONE_NEWNET) != 0) die("setns %s: %s", netns_path, strerror(errno));
    close(netns);
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) die("open /dev/net/tun: %s", strerror(errno));
    struct ifreq request;
    memset(&request, 0, sizeof request);
    request.ifr_flags = IFF_TUN | IFF_NO_PI;
    snprintf(request.ifr_name, sizeof request.ifr_name, "%s", name);
    if (ioctl(fd, TUNSETIFF, &request) != 0) die("TUNSETIFF %s in %s: %s", name, netns_path, strerror(errno));
    if (setns(home_netns, CLONE_NEWNET) != 0) die("setns back: %s", strerror(errno));
    return fd; /* the fd stays bound to the device in its namespace */
}

static void schedule(int source, const unsigned char *bytes, size_t length, int64_t now) {
    if (length < 20 || (bytes[0] >> 4) != 4) { stats.not_ipv4++; return; }
    uint32_t destination_address;
    memcpy(&destination_address, bytes + 16, 4);
    int destination = host_for_address(destination_address);
    if (destination < 0 || destination == source) { stats.unroutable++; return; }
    struct link_state *link = &links[source][destination];
    if (link->blocked) { stats.partitioned++; return; }
    if (loss_fraction > 0 && random_unit() < loss_fraction) { stats.lost++; return; }
    if (link->queued >= queue_limit) { stats.overflow++; return; }

    int64_t leave = now;
    if (rate_bits_per_s > 0) { /* serialisation on a bottleneck wire, then propagation */
        if (link->free_at_ns > leave) leave = link->free_at_ns;
        leave += (int64_t)length * 8 * 1000000000 / rate_bits_per_s;
        link->free_at_ns = leave;
    }
    int64_t due = leave + link->delay_ns;
    if (jitter_ns > 0) due += (int64_t)((random_unit() * 2.0 - 1.0) * (double)jitter_ns);
    if (due < link->last_due_ns) due = link->last_due_ns;
    link->last_due_ns = due;

    struct packet *packet = malloc(sizeof *packet + length);
    if (!packet) die("out of memory");
    packet->due_ns = due;
    packet->sequence = next_sequence++;
    packet->destination = destination;
    packet->source = source;
    packet->length = (uint32_t)length;
    memcpy(packet->bytes, bytes, length);
    link->queued++;
    heap_push(packet);
}

static void record_lateness(int64_t lateness) {
    if (lateness < 0) lateness = 0;
    stats.lateness_sum_ns += lateness;
    if (lateness > stats.lateness_max_ns) stats.lateness_max_ns = lateness;
    int bucket = lateness <= 100000 ? 0 : lateness <= 500000 ? 1 : lateness <= 1000000 ? 2 : lateness <= 5000000 ? 3 : 4;
    stats.lateness_buckets[bucket]++;
}

static void deliver_due(int64_t now) {
    while (heap_count > 0 && heap[0]->due_ns <= now) {
        struct packet *packet = heap_pop();
        links[packet->source][packet->destination].queued--;
        ssize_t written = write(hosts[packet->destination].tun_fd, packet->bytes, packet->length);
        if (written != (ssize_t)packet->length) {
            stats.write_errors++; /* the destination stack refused it: a loss, as on a wire */
        } else {
            stats.forwarded++;
            stats.bytes += packet->length;
            record_lateness(now - packet->due_ns);
        }
        free(packet);
    }
}

static void arm_timer(int timer_fd) {
    struct itimerspec spec;
    memset(&spec, 0, sizeof spec);
    if (heap_count > 0) {
        int64_t due = heap[0]->due_ns;
        if (due <= 0) due = 1; /* zero would disarm */
        spec.it_value.tv_sec = due / 1000000000;
        spec.it_value.tv_nsec = due % 1000000000;
    }
    if (timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &spec, NULL) != 0) die("timerfd_settime: %s", strerror(errno));
}

static void print_statistics(void) {
    uint64_t n = stats.forwarded ? stats.forwarded : 1;
    fprintf(stderr,
            "wanlink: stats forwarded=%llu bytes=%llu lost=%llu overflow=%llu unroutable=%llu not_ipv4=%llu "
            "write_errors=%llu partitioned=%llu queued=%zu lateness_mean_us=%.1f lateness_max_us=%.1f "
            "lateness_le_0.1ms=%llu le_0.5ms=%llu le_1ms=%llu le_5ms=%llu gt_5ms=%llu\n",
            (unsigned long long)stats.forwarded, (unsigned long long)stats.bytes, (unsigned long long)stats.lost,
            (unsigned long long)stats.overflow, (unsigned long long)stats.unroutable,
            (unsigned long long)stats.not_ipv4, (unsigned long long)stats.write_errors,
            (unsigned long long)stats.partitioned, heap_count,
            (double)stats.lateness_sum_ns / (double)n / 1000.0, (double)stats.lateness_max_ns / 1000.0,
            (unsigned long long)stats.lateness_buckets[0], (unsigned long long)stats.lateness_buckets[1],
            (unsigned long long)stats.lateness_buckets[2], (unsigned long long)stats.lateness_buckets[3],
            (unsigned long long)stats.lateness_buckets[4]);
}

static double parse_number(const char *text, const char *option) {
    char *end;
    errno = 0;
    double value = strtod(text, &end);
    if (errno || end == text || *end || value < 0) die("%s: not a non-negative number: %s", option, text);
    return value;
}

static void set_pair(int a, int b, double ms, int blocked, const char *where) {
    if (a < 0 || b < 0 || a >= host_count || b >= host_count) die("%s: pair %d:%d: no such host", where, a, b);
    links[a][b].delay_ns = links[b][a].delay_ns = (int64_t)(ms * 1e6);
    links[a][b].blocked = links[b][a].blocked = blocked;
}

/* Applies the matrix file; returns how many pairs it set. Exits on a malformed line. */
static int load_matrix(const char *path) {
    FILE *file = fopen(path, "r");
    if (!file) die("open %s: %s", path, strerror(errno));
    char line[256];
    int line_number = 0, applied = 0;
    while (fgets(line, sizeof line, file)) {
        line_number++;
        char *comment = strchr(line, '#');
        if (comment) *comment = '\0';
        int a, b;
        char value[64];
        int fields = sscanf(line, "%d %d %63s", &a, &b, value);
        if (fields <= 0) continue;
        if (fields != 3) die("%s:%d: expected \"I J MS\" or \"I J drop\"", path, line_number);
        char where[300];
        snprintf(where, sizeof where, "%s:%d", path, line_number);
        if (!strcmp(value, "drop")) set_pair(a, b, 0, 1, where);
        else set_pair(a, b, parse_number(value, where), 0, where);
        applied++;
    }
    fclose(file);
    return applied;
}

int main(int argc, char **argv) {
    const char *tun_name = "wan0", *ready_file = NULL, *matrix_file = NULL;
    double default_delay_ms = 0;
    struct pair_option { int a, b; double ms; } *pairs = NULL;
    int pair_count = 0, pair_capacity = 0;
    char *host_specs[MAX_HOSTS];

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            printf("usage: wanlink [--tun NAME] [--delay MS] [--pair I:J:MS]... [--matrix FILE] [--jitter MS]\n"
                   "               [--loss PERCENT] [--rate MBIT] [--limit PACKETS] [--seed N] [--ready-file PATH]\n"
                   "               ADDR@NETNS_PATH...   (SIGHUP re-reads --matrix; SIGUSR1 prints statistics)\n");
            return 0;
        }
        if (arg[0] == '-' && arg[1] == '-') {
            if (!value) die("%s needs a value", arg);
            i++;
            if (!strcmp(arg, "--tun")) tun_name = value;
            else if (!strcmp(arg, "--delay")) default_delay_ms = parse_number(value, arg);
            else if (!strcmp(arg, "--jitter")) jitter_ns = (int64_t)(parse_number(value, arg) * 1e6);
            else if (!strcmp(arg, "--loss")) loss_fraction = parse_number(value, arg) / 100.0;
            else if (!strcmp(arg, "--rate")) rate_bits_per_s = (int64_t)(parse_number(value, arg) * 1e6);
            else if (!strcmp(arg, "--limit")) queue_limit = (uint32_t)parse_number(value, arg);
            else if (!strcmp(arg, "--seed")) rng_state = (uint64_t)parse_number(value, arg);
            else if (!strcmp(arg, "--ready-file")) ready_file = value;
            else if (!strcmp(arg, "--matrix")) matrix_file = value;
            else if (!strcmp(arg, "--pair")) {
                if (pair_count == pair_capacity) {
                    pair_capacity = pair_capacity ? pair_capacity * 2 : 64;
                    pairs = realloc(pairs, (size_t)pair_capacity * sizeof *pairs);
                    if (!pairs) die("out of memory");
                }
                if (sscanf(value, "%d:%d:%lf", &pairs[pair_count].a, &pairs[pair_count].b, &pairs[pair_count].ms) != 3)
                    die("--pair wants I:J:MS, got %s", value);
                pair_count++;
            } else die("unknown option %s", arg);
            continue;
        }
        if (host_count == MAX_HOSTS) die("at most %d hosts", MAX_HOSTS);
        host_specs[host_count++] = argv[i];
    }
    if (host_count < 2) die("need at least two ADDR@NETNS_PATH hosts (see --help)");

    prctl(PR_SET_TIMERSLACK, 1UL); /* wake on time: the default 50 us slack is not needed */
    int home_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home_netns < 0) die("open /proc/self/ns/net: %s", strerror(errno));
    for (int i = 0; i < host_count; i++) {
        char *at = strchr(host_specs[i], '@');
        if (!at) die("host %s: expected ADDR@NETNS_PATH", host_specs[i]);
        *at = '\0';
        if (inet_pton(AF_INET, host_specs[i], &hosts[i].address) != 1) die("bad IPv4 address %s", host_specs[i]);
        snprintf(hosts[i].label, sizeof hosts[i].label, "%s", host_specs[i]);
        hosts[i].tun_fd = attach_tun(at + 1, tun_name, home_netns);
    }
    for (int a = 0; a < host_count; a++)
        for (int b = 0; b < host_count; b++) links[a][b].delay_ns = (int64_t)(default_delay_ms * 1e6);
    for (int p = 0; p < pair_count; p++) set_pair(pairs[p].a, pairs[p].b, pairs[p].ms, 0, "--pair");
    free(pairs);
    int matrix_pairs = matrix_file ? load_matrix(matrix_file) : 0;

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGUSR1);
    sigaddset(&signals, SIGHUP);
    sigprocmask(SIG_BLOCK, &signals, NULL);
    int signal_fd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
    int timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (signal_fd < 0 || timer_fd < 0 || epoll_fd < 0) die("signalfd/timerfd/epoll: %s", strerror(errno));
    struct epoll_event event = {.events = EPOLLIN};
    for (int i = 0; i < host_count; i++) {
        event.data.u32 = (uint32_t)i;
        if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, hosts[i].tun_fd, &event) != 0) die("epoll_ctl: %s", strerror(errno));
    }
    event.data.u32 = MAX_HOSTS;
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, timer_fd, &event);
    event.data.u32 = MAX_HOSTS + 1;
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, signal_fd, &event);

    fprintf(stderr, "wanlink: ready, %d hosts, default one-way delay %.1f ms, %d pair overrides, %d matrix pairs\n",
            host_count, default_delay_ms, pair_count, matrix_pairs);
    if (ready_file) {
        FILE *ready = fopen(ready_file, "w");
        if (!ready) die("open %s: %s", ready_file, strerror(errno));
        fprintf(ready, "%d\n", (int)getpid());
        fclose(ready);
    }

    static unsigned char buffer[MAX_PACKET];
    struct epoll_event events[MAX_HOSTS + 2];
    for (;;) {
        int ready_count = epoll_wait(epoll_fd, events, MAX_HOSTS + 2, -1);
        if (ready_count < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait: %s", strerror(errno));
        }
        for (int e = 0; e < ready_count; e++) {
            uint32_t tag = events[e].data.u32;
            if (tag == MAX_HOSTS + 1) {
                struct signalfd_siginfo info;
                while (read(signal_fd, &info, sizeof info) == sizeof info) {
                    if (info.ssi_signo == SIGHUP) {
                        if (!matrix_file) {
                            fprintf(stderr, "wanlink: SIGHUP without --matrix: nothing to reload\n");
                            continue;
                        }
                        fprintf(stderr, "wanlink: reloaded %s, %d pairs\n", matrix_file, load_matrix(matrix_file));
                        continue;
                    }
                    print_statistics();
                    if (info.ssi_signo != SIGUSR1) return 0;
                }
            } else if (tag == MAX_HOSTS) {
                uint64_t expirations;
                (void)!read(timer_fd, &expirations, sizeof expirations);
            } else {
                int64_t now = now_ns();
                for (int n = 0; n < READS_PER_WAKEUP; n++) {
                    ssize_t length = read(hosts[tag].tun_fd, buffer, sizeof buffer);
                    if (length < 0) {
                        if (errno == EAGAIN || errno == EINTR) break;
                        die("read tun of %s: %s", hosts[tag].label, strerror(errno));
                    }
                    schedule((int)tag, buffer, (size_t)length, now);
                }
            }
        }
        deliver_due(now_ns());
        arm_timer(timer_fd);
    }
}
