/* SPDX-License-Identifier: BSD-3-Clause */
/* privs.h - the one place that touches uids, gids and capabilities.
 * Order (written once, in main): load BPF, attach, open the ring consumer,
 * open the socket and logs, then privs_drop() - before any untrusted byte
 * is parsed. */
#ifndef MAILTAP_PRIVS_H
#define MAILTAP_PRIVS_H

#include <stdbool.h>
#include <sys/types.h>

struct privs_target {
	uid_t uid;
	gid_t gid;
	bool found;
};

/* Resolve USER (NULL = "mailtap" if that user exists, else stay root).
 * Returns 0 (found may be false when the default user is absent) or
 * -ENOENT when an explicitly named user does not exist. */
int privs_lookup(const char *user, struct privs_target *t);
/* Switch to t's uid/gid keeping only CAP_BPF (map updates) and, when
 * keep_net_admin, CAP_NET_ADMIN (re-attaching on interface hot-plug).
 * All other capabilities are dropped from every set, and the bounding set.
 * Returns 0 or -errno. A no-op when !t->found. */
int privs_drop(const struct privs_target *t, bool keep_net_admin);
/* Human-readable summary of the current credentials for logs. */
void privs_describe(char *buf, size_t len);

#endif
