/* Raw loopback limits of this machine for scripts/bench: the best a minimal C program does with plain
 * blocking sockets on 127.0.0.1, no framing, no hashing. A server thread and a client thread in one
 * process; the kernel's loopback path is the same one every engine uses.
 *
 *   tcp_limits bandwidth SECONDS       one connection, 1 MiB writes, server reads 1 MiB at a time
 *                                      -> "mbs=X sender_cpu_s_per_gb=Y" (Y: the writing thread's
 *                                      CPU-seconds per GB written: the floor for serving bytes)
 *   tcp_limits rtt COUNT               one connection, 32 bytes each way, one round trip at a time
 *                                      -> "rate=X p50_us=Y p99_us=Z"
 *   tcp_limits sha3 SECONDS            (no socket) SHA3-256 over a 1 MiB buffer, OpenSSL EVP, one
 *                                      thread: the checksum's speed limit -> "mbs=X"
 *   tcp_limits connect COUNT ROUNDS    COUNT connections one after another: connect(), ROUNDS 32-byte
 *                                      round trips, close (RST); the server accepts and echoes.
 *                                      Time per connection from connect() to the last echo.
 *                                      -> "rate=X p50_us=Y p99_us=Z"
 * Every address is 127.0.0.1; the port is chosen by the kernel. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* CPU time of the calling thread (what writing into the socket costs the sender, the kernel's
 * copy and loopback processing included). */
static uint64_t thread_cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) { perror(what); exit(1); }

static int read_full(int fd, void *buf, size_t n) {
    uint8_t *p = buf;
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r; n -= (size_t)r;
    }
    return 0;
}

static int write_full(int fd, const void *buf, size_t n) {
    const uint8_t *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w; n -= (size_t)w;
    }
    return 0;
}

static void nodelay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static struct sockaddr_in server_addr;
static int listen_fd;
static const char *mode;
static long rounds;

static void listen_loopback(void) {
    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (listen_fd < 0) die("socket");
    memset(&server_addr, 0, sizeof server_addr);
    server_addr.sin_family = AF_INET;
    server_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof server_addr;
    if (bind(listen_fd, (struct sockaddr *)&server_addr, len) || listen(listen_fd, 1024)) die("bind/listen");
    if (getsockname(listen_fd, (struct sockaddr *)&server_addr, &len)) die("getsockname");
}

static int dial(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr *)&server_addr, sizeof server_addr)) die("connect");
    nodelay(fd);
    return fd;
}

/* Closes with RST so that thousands of short connections leave no TIME_WAIT behind. */
static void close_reset(int fd) {
    struct linger l = { 1, 0 };
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close(fd);
}

static void *server(void *arg) {
    (void)arg;
    static uint8_t buf[1 << 20];
    for (;;) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0) { if (errno == EINTR) continue; return NULL; }
        nodelay(fd);
        if (strcmp(mode, "bandwidth") == 0) {
            while (read(fd, buf, sizeof buf) > 0) {}
        } else {
            /* rtt / connect: echo 32-byte messages until the client goes away */
            while (read_full(fd, buf, 32) == 0 && write_full(fd, buf, 32) == 0) {}
        }
        close(fd);
    }
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void print_latencies(uint64_t *samples, long count, uint64_t total_ns) {
    qsort(samples, (size_t)count, sizeof *samples, cmp_u64);
    printf("rate=%.1f p50_us=%.2f p99_us=%.2f\n", (double)count / ((double)total_ns / 1e9),
           (double)samples[count / 2] / 1e3, (double)samples[(count * 99) / 100] / 1e3);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: tcp_limits bandwidth SECONDS | rtt COUNT | connect COUNT ROUNDS | sha3 SECONDS\n");
        return 2;
    }
    mode = argv[1];
    if (strcmp(mode, "sha3") == 0) {
        double seconds = atof(argv[2]);
        size_t size = 1 << 20;
        uint8_t *buf = malloc(size), digest[32];
        for (size_t i = 0; i < size; i++) buf[i] = (uint8_t)(i * 131);
        EVP_MD *md = EVP_MD_fetch(NULL, "SHA3-256", NULL);
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        unsigned int n = 0;
        uint64_t start = now_ns(), deadline = start + (uint64_t)(seconds * 1e9), bytes = 0, end;
        do {
            EVP_DigestInit_ex(ctx, md, NULL);
            EVP_DigestUpdate(ctx, buf, size);
            EVP_DigestFinal_ex(ctx, digest, &n);
            bytes += size;
            end = now_ns();
        } while (end < deadline);
        printf("mbs=%.1f\n", (double)bytes / ((double)(end - start) / 1e9) / 1e6 + 0 * digest[0]);
        return 0;
    }
    listen_loopback();
    pthread_t thread;
    pthread_create(&thread, NULL, server, NULL);

    if (strcmp(mode, "bandwidth") == 0) {
        double seconds = atof(argv[2]);
        size_t chunk = 1 << 20;
        uint8_t *buf = malloc(chunk);
        for (size_t i = 0; i < chunk; i++) buf[i] = (uint8_t)(i * 131);
        int fd = dial();
        uint64_t cpu_start = thread_cpu_ns();
        uint64_t start = now_ns(), deadline = start + (uint64_t)(seconds * 1e9), bytes = 0, end;
        do {
            if (write_full(fd, buf, chunk)) die("write");
            bytes += chunk;
            end = now_ns();
        } while (end < deadline);
        uint64_t cpu = thread_cpu_ns() - cpu_start;
        close(fd);
        printf("mbs=%.1f sender_cpu_s_per_gb=%.4f\n", (double)bytes / ((double)(end - start) / 1e9) / 1e6,
               ((double)cpu / 1e9) / ((double)bytes / 1e9));
        return 0;
    }
    if (strcmp(mode, "rtt") == 0) {
        long count = atol(argv[2]);
        uint64_t *samples = malloc(sizeof(uint64_t) * (size_t)count);
        uint8_t msg[32] = { 1 };
        int fd = dial();
        for (int i = 0; i < 1000; i++) { write_full(fd, msg, 32); read_full(fd, msg, 32); } /* warm-up */
        uint64_t start = now_ns();
        for (long i = 0; i < count; i++) {
            uint64_t t = now_ns();
            if (write_full(fd, msg, 32) || read_full(fd, msg, 32)) die("echo");
            samples[i] = now_ns() - t;
        }
        uint64_t total = now_ns() - start;
        close(fd);
        print_latencies(samples, count, total);
        return 0;
    }
    if (strcmp(mode, "connect") == 0 && argc == 4) {
        long count = atol(argv[2]);
        rounds = atol(argv[3]);
        uint64_t *samples = malloc(sizeof(uint64_t) * (size_t)count);
        uint8_t msg[32] = { 2 };
        uint64_t start = now_ns();
        for (long i = 0; i < count; i++) {
            uint64_t t = now_ns();
            int fd = dial();
            for (long r = 0; r < rounds; r++)
                if (write_full(fd, msg, 32) || read_full(fd, msg, 32)) die("echo");
            samples[i] = now_ns() - t;
            close_reset(fd);
        }
        uint64_t total = now_ns() - start;
        print_latencies(samples, count, total);
        return 0;
    }
    fprintf(stderr, "tcp_limits: bad arguments\n");
    return 2;
}
