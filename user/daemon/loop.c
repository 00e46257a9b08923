// SPDX-License-Identifier: BSD-3-Clause
/* loop.c - epoll loop with fd callbacks and millisecond timers.
 * Owns registrations; callbacks may add or remove registrations. */
#include "daemon/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define LOOP_MAX_TIMERS 16

struct loop_fd {
	int fd;
	loop_fd_cb cb;
	void *arg;
	struct loop_fd *next;
};

struct loop_timer {
	int id;
	unsigned int interval_ms;
	uint64_t due;
	loop_timer_cb cb;
	void *arg;
};

struct loop {
	int epfd;
	bool stop;
	struct loop_fd *fds;
	struct loop_timer timers[LOOP_MAX_TIMERS];
	int next_timer_id;
};

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int loop_new(struct loop **out)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		int err = -errno;

		free(l);
		return err;
	}
	*out = l;
	return 0;
}

void loop_free(struct loop **lp)
{
	struct loop *l;

	if (!lp || !*lp)
		return;
	l = *lp;
	while (l->fds) {
		struct loop_fd *f = l->fds;

		l->fds = f->next;
		free(f);
	}
	close(l->epfd);
	free(l);
	*lp = NULL;
}

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb,
		void *arg)
{
	struct loop_fd *f = calloc(1, sizeof(*f));
	struct epoll_event ev = { .events = events };

	if (!f)
		return -ENOMEM;
	f->fd = fd;
	f->cb = cb;
	f->arg = arg;
	ev.data.ptr = f;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = -errno;

		free(f);
		return err;
	}
	f->next = l->fds;
	l->fds = f;
	return 0;
}

static struct loop_fd *find_fd(struct loop *l, int fd)
{
	for (struct loop_fd *f = l->fds; f; f = f->next)
		if (f->fd == fd)
			return f;
	return NULL;
}

int loop_mod_fd(struct loop *l, int fd, uint32_t events)
{
	struct loop_fd *f = find_fd(l, fd);
	struct epoll_event ev = { .events = events };

	if (!f)
		return -ENOENT;
	ev.data.ptr = f;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void loop_del_fd(struct loop *l, int fd)
{
	for (struct loop_fd **pp = &l->fds; *pp; pp = &(*pp)->next) {
		struct loop_fd *f = *pp;

		if (f->fd != fd)
			continue;
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
		/* Defer the free: epoll_wait may still hold a pointer in
		 * this round, so mark it dead instead. */
		f->cb = NULL;
		f->fd = -1;
		return;
	}
}

static void reap(struct loop *l)
{
	for (struct loop_fd **pp = &l->fds; *pp;) {
		struct loop_fd *f = *pp;

		if (f->cb) {
			pp = &f->next;
			continue;
		}
		*pp = f->next;
		free(f);
	}
}

int loop_add_timer(struct loop *l, unsigned int interval_ms,
		   loop_timer_cb cb, void *arg)
{
	for (int i = 0; i < LOOP_MAX_TIMERS; i++) {
		struct loop_timer *t = &l->timers[i];

		if (t->cb)
			continue;
		t->id = ++l->next_timer_id;
		t->interval_ms = interval_ms ? interval_ms : 1;
		t->due = loop_now_ms() + t->interval_ms;
		t->cb = cb;
		t->arg = arg;
		return t->id;
	}
	return -ENOSPC;
}

void loop_del_timer(struct loop *l, int id)
{
	for (int i = 0; i < LOOP_MAX_TIMERS; i++)
		if (l->timers[i].cb && l->timers[i].id == id)
			memset(&l->timers[i], 0, sizeof(l->timers[i]));
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}

static int next_timeout(struct loop *l)
{
	uint64_t now = loop_now_ms(), best = UINT64_MAX;

	for (int i = 0; i < LOOP_MAX_TIMERS; i++)
		if (l->timers[i].cb && l->timers[i].due < best)
			best = l->timers[i].due;
	if (best == UINT64_MAX)
		return 1000;
	return best <= now ? 0 : (int)(best - now);
}

static void run_timers(struct loop *l)
{
	uint64_t now = loop_now_ms();

	for (int i = 0; i < LOOP_MAX_TIMERS; i++) {
		struct loop_timer *t = &l->timers[i];

		if (!t->cb || t->due > now)
			continue;
		t->due = now + t->interval_ms;
		t->cb(l, t->arg);
	}
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[64];

	l->stop = false;
	while (!l->stop) {
		int n = epoll_wait(l->epfd, evs, 64, next_timeout(l));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !l->stop; i++) {
			struct loop_fd *f = evs[i].data.ptr;

			if (f->cb)
				f->cb(l, f->fd, evs[i].events, f->arg);
		}
		reap(l);
		run_timers(l);
	}
	return 0;
}
