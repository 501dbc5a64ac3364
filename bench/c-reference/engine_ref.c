/* C reference for the Swift engine benchmark (scripts/bench-engine): the same architecture in plain C.
 * Reactor thread: libevent raw EV_READ|EV_PERSIST event, 64 KiB reads, framing with the SHA3d checksum,
 * per-peer inbox under a mutex, condvar signal to the dispatcher once per read batch, EV_WRITE only while
 * the outbox is non-empty, coalesced event_active wakeup. Dispatcher thread: round-robin, one message
 * per peer per pass, handlers outside the lock.
 * Protocol (same as bench/engine-bench): "msg" counted; "lat" (payload: u64 send time) -> latency
 * sample + "pong"; "done" -> "stats"(u64 count, u64 p50 ns, u64 p99 ns); "quit" -> exit.
 * Usage: engine_ref PORT */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <event2/event.h>
#include <event2/thread.h>
#include "frame.h"

typedef struct msg { struct msg *next; char command[13]; uint32_t len; uint8_t payload[]; } msg_t;

typedef struct peer {
    int fd;
    struct event *rev, *wev;
    uint8_t *dbuf; size_t dlen, dcap;          /* decoder buffer (reactor only) */
    msg_t *in_head, *in_tail; size_t in_bytes;  /* inbox (lock) */
    int queued; struct peer *ready_next;        /* ready list (lock) */
    uint8_t *out; size_t out_len, out_cap;      /* outbox not yet taken by the reactor (lock) */
    uint8_t *w; size_t w_len, w_off, w_cap;     /* reactor's write buffer (reactor only) */
    int writing;
} peer_t;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int dispatcher_sleeping, quitting;
static peer_t *ready_head, *ready_tail;
static peer_t *flush_list[64]; static int flush_count; /* bench: few peers */
static int wake_pending;
static struct event_base *base;
static struct event *wake_ev;
static EVP_MD_CTX *rctx, *dctx;
static EVP_MD *sha3;
static uint8_t rbuf[65536];

static uint64_t count_msgs;
static uint64_t *lat; static size_t lat_n, lat_cap;

static void wake_reactor(void) {
    pthread_mutex_lock(&lock);
    int need = !wake_pending;
    wake_pending = 1;
    pthread_mutex_unlock(&lock);
    if (need) event_active(wake_ev, 0, 0);
}

static void flush_peer(peer_t *p) {
    while (p->w_off < p->w_len) {
        struct iovec v = { p->w + p->w_off, p->w_len - p->w_off };
        struct msghdr m = { 0 }; m.msg_iov = &v; m.msg_iovlen = 1;
        ssize_t n = sendmsg(p->fd, &m, MSG_NOSIGNAL);
        if (n < 0) { if (errno == EINTR) continue; if (errno == EAGAIN) break; return; }
        p->w_off += (size_t)n;
    }
    if (p->w_off == p->w_len) {
        p->w_off = p->w_len = 0;
        if (p->writing) { event_del(p->wev); p->writing = 0; }
    } else if (!p->writing) { event_add(p->wev, NULL); p->writing = 1; }
}

static void on_write(evutil_socket_t fd, short what, void *arg) { (void)fd; (void)what; flush_peer(arg); }

static void on_wake(evutil_socket_t fd, short what, void *arg) {
    (void)fd; (void)what; (void)arg;
    pthread_mutex_lock(&lock);
    wake_pending = 0;
    int n = flush_count; peer_t *list[64]; memcpy(list, flush_list, sizeof(peer_t *) * (size_t)n); flush_count = 0;
    int quit = quitting;
    for (int i = 0; i < n; i++) {
        peer_t *p = list[i];
        if (p->w_len + p->out_len > p->w_cap) { p->w_cap = (p->w_len + p->out_len) * 2; p->w = realloc(p->w, p->w_cap); }
        memcpy(p->w + p->w_len, p->out, p->out_len); p->w_len += p->out_len; p->out_len = 0;
    }
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < n; i++) flush_peer(list[i]);
    if (quit) event_base_loopbreak(base);
}

static void on_read(evutil_socket_t fd, short what, void *arg) {
    (void)what;
    peer_t *p = arg;
    ssize_t n = read(fd, rbuf, sizeof rbuf);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        event_del(p->rev); return; /* peer closed: the bench is over for this peer */
    }
    if (p->dlen + (size_t)n > p->dcap) { p->dcap = (p->dlen + (size_t)n) * 2; p->dbuf = realloc(p->dbuf, p->dcap); }
    memcpy(p->dbuf + p->dlen, rbuf, (size_t)n); p->dlen += (size_t)n;
    size_t off = 0; msg_t *head = NULL, *tail = NULL; size_t bytes = 0;
    while (p->dlen - off >= FRAME_HEADER) {
        const uint8_t *h = p->dbuf + off;
        uint32_t len = le32(h + 16);
        if (le32(h) != REGTEST_MAGIC || len > MAX_PAYLOAD) { fprintf(stderr, "bad frame\n"); exit(1); }
        if (p->dlen - off < FRAME_HEADER + (size_t)len) break;
        uint8_t digest[32];
        sha3d(rctx, sha3, h + FRAME_HEADER, len, digest);
        if (memcmp(digest, h + 20, 4) == 0) {
            msg_t *m = malloc(sizeof(msg_t) + len);
            memcpy(m->command, h + 4, 12); m->command[12] = 0; m->len = len; m->next = NULL;
            memcpy(m->payload, h + FRAME_HEADER, len);
            if (tail) tail->next = m; else head = m;
            tail = m; bytes += FRAME_HEADER + len;
        }
        off += FRAME_HEADER + len;
    }
    memmove(p->dbuf, p->dbuf + off, p->dlen - off); p->dlen -= off;
    if (!head) return;
    pthread_mutex_lock(&lock);
    if (p->in_tail) p->in_tail->next = head; else p->in_head = head;
    p->in_tail = tail; p->in_bytes += bytes;
    if (!p->queued) { p->queued = 1; p->ready_next = NULL; if (ready_tail) ready_tail->ready_next = p; else ready_head = p; ready_tail = p; }
    if (dispatcher_sleeping) pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
}

static void on_accept(evutil_socket_t lfd, short what, void *arg) {
    (void)what; (void)arg;
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) return;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    int one = 1; setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    peer_t *p = calloc(1, sizeof *p);
    p->fd = fd;
    p->rev = event_new(base, fd, EV_READ | EV_PERSIST, on_read, p);
    p->wev = event_new(base, fd, EV_WRITE | EV_PERSIST, on_write, p);
    event_add(p->rev, NULL);
}

static void send_frame(peer_t *p, const char *command, const uint8_t *payload, uint32_t len) {
    uint8_t frame[FRAME_HEADER + 64];
    encode_frame(dctx, sha3, command, payload, len, frame);
    pthread_mutex_lock(&lock);
    int was_empty = p->out_len == 0;
    if (p->out_len + FRAME_HEADER + len > p->out_cap) { p->out_cap = (p->out_len + FRAME_HEADER + len) * 2; p->out = realloc(p->out, p->out_cap); }
    memcpy(p->out + p->out_len, frame, FRAME_HEADER + len); p->out_len += FRAME_HEADER + len;
    if (was_empty && flush_count < 64) flush_list[flush_count++] = p;
    pthread_mutex_unlock(&lock);
    if (was_empty) wake_reactor();
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b; return x < y ? -1 : x > y;
}

static void handle(peer_t *p, msg_t *m) {
    if (strcmp(m->command, "msg") == 0) { count_msgs++; return; }
    if (strcmp(m->command, "lat") == 0) {
        uint64_t sent; memcpy(&sent, m->payload, 8);
        if (lat_n == lat_cap) { lat_cap = lat_cap ? lat_cap * 2 : 4096; lat = realloc(lat, lat_cap * 8); }
        lat[lat_n++] = now_ns() - sent;
        send_frame(p, "pong", NULL, 0);
        return;
    }
    if (strcmp(m->command, "done") == 0) {
        uint64_t out[3] = { count_msgs, 0, 0 };
        if (lat_n) { qsort(lat, lat_n, 8, cmp_u64); out[1] = lat[lat_n / 2]; out[2] = lat[(lat_n * 99) / 100]; }
        count_msgs = 0; lat_n = 0;
        send_frame(p, "stats", (uint8_t *)out, sizeof out);
        return;
    }
    if (strcmp(m->command, "quit") == 0) {
        pthread_mutex_lock(&lock); quitting = 1; pthread_mutex_unlock(&lock);
        wake_reactor();
    }
}

static void *dispatcher(void *arg) {
    (void)arg;
    msg_t *batch[64]; peer_t *owners[64];
    pthread_mutex_lock(&lock);
    for (;;) {
        if (quitting) break;
        int n = 0;
        for (peer_t *stop = ready_tail, *p; ready_head && n < 64;) {
            p = ready_head; ready_head = p->ready_next; if (!ready_head) ready_tail = NULL;
            msg_t *m = p->in_head; p->in_head = m->next; if (!p->in_head) p->in_tail = NULL;
            p->in_bytes -= FRAME_HEADER + m->len;
            batch[n] = m; owners[n] = p; n++;
            if (p->in_head) { p->ready_next = NULL; if (ready_tail) ready_tail->ready_next = p; else ready_head = p; ready_tail = p; }
            else p->queued = 0;
            if (p == stop) break; /* one message per peer per pass */
        }
        if (n == 0) { dispatcher_sleeping = 1; pthread_cond_wait(&cond, &lock); dispatcher_sleeping = 0; continue; }
        pthread_mutex_unlock(&lock);
        for (int i = 0; i < n; i++) { handle(owners[i], batch[i]); free(batch[i]); }
        pthread_mutex_lock(&lock);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: %s PORT\n", argv[0]); return 2; }
    signal(SIGPIPE, SIG_IGN);
    evthread_use_pthreads();
    struct event_config *cfg = event_config_new();
    event_config_avoid_method(cfg, "select");
    base = event_base_new_with_config(cfg);
    event_config_free(cfg);
    sha3 = EVP_MD_fetch(NULL, "SHA3-256", NULL);
    rctx = EVP_MD_CTX_new(); dctx = EVP_MD_CTX_new();
    int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 128)) { perror("bind/listen"); return 1; }
    fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
    struct event *lev = event_new(base, lfd, EV_READ | EV_PERSIST, on_accept, NULL);
    event_add(lev, NULL);
    wake_ev = event_new(base, -1, 0, on_wake, NULL);
    pthread_t t; pthread_create(&t, NULL, dispatcher, NULL);
    printf("ready\n"); fflush(stdout);
    event_base_loop(base, EVLOOP_NO_EXIT_ON_EMPTY);
    pthread_join(t, NULL);
    return 0;
}
