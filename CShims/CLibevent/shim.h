// CLibevent: libevent 2.1 (Debian libevent-dev) for the reactor module only.
// libc headers come first: event2/util.h uses fd_set and friends, and test builds fail
// on `fd_set` when the event2 headers are seen before sys/select.h.
#ifndef DILITHION_CLIBEVENT_SHIM_H
#define DILITHION_CLIBEVENT_SHIM_H
#include <sys/types.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <errno.h>
#include <unistd.h>
#ifdef __linux__
// accept4(2): an accepted socket that is non-blocking and close-on-exec in one call. glibc declares
// it only under _GNU_SOURCE, which the Swift Glibc module is built without.
int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);
#endif
#include <event2/event.h>
#include <event2/thread.h>
#include <event2/util.h>
#endif
