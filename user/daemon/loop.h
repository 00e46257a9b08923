/* SPDX-License-Identifier: BSD-3-Clause */
/* loop.h - the daemon's single-threaded epoll loop (after Redis's ae.c):
 * file descriptors with callbacks, and periodic timers.
 * Owns the epoll fd and the registrations; never reads or writes fds. */
#ifndef MAILTAP_LOOP_H
#define MAILTAP_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;

/* events: EPOLLIN/EPOLLOUT/... as reported by epoll. */
typedef void (*loop_fd_cb)(struct loop *l, int fd, uint32_t events,
			   void *arg);
typedef void (*loop_timer_cb)(struct loop *l, void *arg);

int loop_new(struct loop **out);
void loop_free(struct loop **l);
/* Register fd for 'events' (EPOLLIN, EPOLLOUT). Returns 0 or -errno. */
int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb,
		void *arg);
int loop_mod_fd(struct loop *l, int fd, uint32_t events);
void loop_del_fd(struct loop *l, int fd);
/* Call cb every interval_ms (first call after interval_ms). Returns a
 * timer id > 0, or -errno. */
int loop_add_timer(struct loop *l, unsigned int interval_ms,
		   loop_timer_cb cb, void *arg);
void loop_del_timer(struct loop *l, int id);
/* Run until loop_stop(). Returns 0 or -errno. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);
/* Monotonic milliseconds. */
uint64_t loop_now_ms(void);

#endif
