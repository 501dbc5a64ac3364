/* Load generator for scripts/bench-engine (talks to either engine over 127.0.0.1).
 *   loadgen PORT throughput COUNT PAYLOAD_BYTES   -> prints "msgs=N seconds=S"
 *   loadgen PORT multi CONNS COUNT PAYLOAD_BYTES  -> COUNT frames spread over CONNS connections sent at
 *                                                    once (one thread each); prints "msgs=N seconds=S"
 *   loadgen PORT latency COUNT                    -> prints "p50_ns=X p99_ns=Y" (measured by the engine's
 *                                                    handler: handler start minus send time, CLOCK_MONOTONIC)
 *   loadgen PORT quit                              -> asks the engine to exit */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include "frame.h"

static EVP_MD_CTX *ctx; static EVP_MD *md; static int fd;

static void write_all(const uint8_t *p, size_t n) {
    while (n) { ssize_t w = write(fd, p, n); if (w < 0) { if (errno == EINTR) continue; perror("write"); exit(1); } p += w; n -= (size_t)w; }
}
static void read_all(uint8_t *p, size_t n) {
    while (n) { ssize_t r = read(fd, p, n); if (r <= 0) { if (r < 0 && errno == EINTR) continue; fprintf(stderr, "connection closed\n"); exit(1); } p += r; n -= (size_t)r; }
}
static void send_cmd(const char *command, const uint8_t *payload, uint32_t len) {
    uint8_t *f = malloc(FRAME_HEADER + len); encode_frame(ctx, md, command, payload, len, f); write_all(f, FRAME_HEADER + len); free(f);
}
/* Reads one frame; returns its payload length, payload copied into out (up to cap). */
static uint32_t read_frame(char command[13], uint8_t *out, uint32_t cap) {
    uint8_t h[FRAME_HEADER]; read_all(h, FRAME_HEADER);
    uint32_t len = le32(h + 16); memcpy(command, h + 4, 12); command[12] = 0;
    uint8_t *p = malloc(len ? len : 1); read_all(p, len); memcpy(out, p, len < cap ? len : cap); free(p);
    return len;
}

static int dial_engine(uint16_t port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect"); exit(1); }
    int one = 1; setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return s;
}

/* One sender of "multi": its own connection; writes its share of pre-encoded frames, then a "lat"
 * frame and waits for the "pong", which the engine sends only after it handled every earlier frame of
 * this connection (one connection's frames are handled in order). */
typedef struct { int fd; long count; const uint8_t *batch; size_t frame; long per_batch; const uint8_t *lat; } sender_t;

static void *sender(void *arg) {
    sender_t *s = arg;
    for (long sent = 0; sent < s->count;) {
        long n = s->count - sent < s->per_batch ? s->count - sent : s->per_batch;
        size_t len = s->frame * (size_t)n; const uint8_t *p = s->batch;
        while (len) { ssize_t w = write(s->fd, p, len); if (w < 0) { if (errno == EINTR) continue; perror("write"); exit(1); } p += w; len -= (size_t)w; }
        sent += n;
    }
    size_t len = FRAME_HEADER + 32; const uint8_t *p = s->lat;
    while (len) { ssize_t w = write(s->fd, p, len); if (w < 0) { if (errno == EINTR) continue; perror("write"); exit(1); } p += w; len -= (size_t)w; }
    /* read until the pong's 24-byte header (no payload) has arrived */
    uint8_t h[FRAME_HEADER]; size_t got = 0;
    while (got < FRAME_HEADER) { ssize_t r = read(s->fd, h + got, FRAME_HEADER - got); if (r <= 0) { if (r < 0 && errno == EINTR) continue; fprintf(stderr, "connection closed\n"); exit(1); } got += (size_t)r; }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: loadgen PORT throughput COUNT PAYLOAD | latency COUNT | quit\n"); return 2; }
    md = EVP_MD_fetch(NULL, "SHA3-256", NULL); ctx = EVP_MD_CTX_new();
    fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; connect(fd, (struct sockaddr *)&a, sizeof a) != 0; i++) {
        if (i > 200) { perror("connect"); return 1; }
        close(fd); fd = socket(AF_INET, SOCK_STREAM, 0); usleep(50000); /* engine still starting */
    }
    int one = 1; setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char command[13]; uint8_t reply[64];
    if (strcmp(argv[2], "quit") == 0) {
        /* Stay connected until the engine closes the connection as it stops: an engine may drop the
         * messages of a peer that is already gone (the Swift engine discards a closed peer's inbox). */
        struct timeval limit = { 10, 0 };
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
        send_cmd("quit", NULL, 0);
        uint8_t scratch[256];
        while (read(fd, scratch, sizeof scratch) > 0) {}
        return 0;
    }
    if (strcmp(argv[2], "throughput") == 0 && argc == 5) {
        long count = atol(argv[3]); uint32_t size = (uint32_t)atol(argv[4]);
        uint8_t *payload = malloc(size); for (uint32_t i = 0; i < size; i++) payload[i] = (uint8_t)(i * 7);
        size_t frame = FRAME_HEADER + size;
        long per_batch = size >= 65536 ? 1 : (long)(262144 / frame);
        uint8_t *batch = malloc(frame * (size_t)per_batch);
        for (long i = 0; i < per_batch; i++) encode_frame(ctx, md, "msg", payload, size, batch + frame * (size_t)i);
        uint64_t t0 = now_ns();
        for (long sent = 0; sent < count;) {
            long n = count - sent < per_batch ? count - sent : per_batch;
            write_all(batch, frame * (size_t)n); sent += n;
        }
        send_cmd("done", NULL, 0);
        read_frame(command, reply, sizeof reply);
        uint64_t t1 = now_ns();
        uint64_t got; memcpy(&got, reply, 8);
        if (strcmp(command, "stats") != 0 || got != (uint64_t)count) { fprintf(stderr, "engine counted %llu of %ld\n", (unsigned long long)got, count); return 1; }
        printf("msgs=%ld seconds=%.6f\n", count, (double)(t1 - t0) / 1e9);
        return 0;
    }
    if (strcmp(argv[2], "latency") == 0 && argc == 4) {
        long count = atol(argv[3]); uint8_t payload[32] = { 0 };
        for (long i = 0; i < count; i++) {
            uint64_t t = now_ns(); memcpy(payload, &t, 8);
            send_cmd("lat", payload, sizeof payload);
            read_frame(command, reply, sizeof reply);
            usleep(100); /* let the engine go idle: this measures wake-up latency of an idle node */
        }
        send_cmd("done", NULL, 0);
        read_frame(command, reply, sizeof reply);
        uint64_t stats[3]; memcpy(stats, reply, sizeof stats);
        printf("p50_ns=%llu p99_ns=%llu\n", (unsigned long long)stats[1], (unsigned long long)stats[2]);
        return 0;
    }
    if (strcmp(argv[2], "multi") == 0 && argc == 6) {
        int conns = atoi(argv[3]); long count = atol(argv[4]); uint32_t size = (uint32_t)atol(argv[5]);
        if (conns < 1 || conns > 256) { fprintf(stderr, "CONNS must be 1..256\n"); return 2; }
        uint8_t *payload = malloc(size); for (uint32_t i = 0; i < size; i++) payload[i] = (uint8_t)(i * 7);
        size_t frame = FRAME_HEADER + size;
        long per_batch = size >= 65536 ? 1 : (long)(262144 / frame);
        uint8_t *batch = malloc(frame * (size_t)per_batch);
        for (long i = 0; i < per_batch; i++) encode_frame(ctx, md, "msg", payload, size, batch + frame * (size_t)i);
        uint8_t lat[FRAME_HEADER + 32] = { 0 }, zero[32] = { 0 };
        encode_frame(ctx, md, "lat", zero, 32, lat); /* the engines record a meaningless sample; "done" resets */
        sender_t *senders = calloc((size_t)conns, sizeof *senders); pthread_t *threads = calloc((size_t)conns, sizeof *threads);
        uint16_t port = (uint16_t)atoi(argv[1]);
        for (int i = 0; i < conns; i++) {
            senders[i] = (sender_t){ dial_engine(port), count / conns + (i < count % conns), batch, frame, per_batch, lat };
        }
        uint64_t t0 = now_ns();
        for (int i = 0; i < conns; i++) pthread_create(&threads[i], NULL, sender, &senders[i]);
        for (int i = 0; i < conns; i++) pthread_join(threads[i], NULL);
        uint64_t t1 = now_ns();
        send_cmd("done", NULL, 0); /* on the control connection: the engine's count over all connections */
        read_frame(command, reply, sizeof reply);
        uint64_t got; memcpy(&got, reply, 8);
        if (strcmp(command, "stats") != 0 || got != (uint64_t)count) { fprintf(stderr, "engine counted %llu of %ld\n", (unsigned long long)got, count); return 1; }
        for (int i = 0; i < conns; i++) close(senders[i].fd);
        printf("msgs=%ld seconds=%.6f\n", count, (double)(t1 - t0) / 1e9);
        return 0;
    }
    fprintf(stderr, "bad arguments\n"); return 2;
}
