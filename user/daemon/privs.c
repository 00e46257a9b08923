// SPDX-License-Identifier: BSD-3-Clause
/* privs.c - dropping root: uid/gid switch and capability sets (libcap).
 * Owns every setuid/setgid/capset in mailtap; nothing else may call them. */
#include "daemon/privs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

int privs_lookup(const char *user, struct privs_target *t)
{
	const struct passwd *pw = getpwnam(user ? user : "mailtap");

	t->found = false;
	if (!pw)
		return user ? -ENOENT : 0;
	t->uid = pw->pw_uid;
	t->gid = pw->pw_gid;
	t->found = true;
	return 0;
}

static int set_caps(bool keep_net_admin)
{
	cap_value_t keep[2] = { CAP_BPF, CAP_NET_ADMIN };
	int nkeep = keep_net_admin ? 2 : 1;
	cap_t caps = cap_init(); /* all clear */
	int err = 0;

	if (!caps)
		return -errno;
	if (cap_set_flag(caps, CAP_PERMITTED, nkeep, keep, CAP_SET) ||
	    cap_set_flag(caps, CAP_EFFECTIVE, nkeep, keep, CAP_SET) ||
	    cap_set_proc(caps))
		err = -errno;
	cap_free(caps);
	return err;
}

static int drop_bounding(bool keep_net_admin)
{
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
		if (c == CAP_BPF || (keep_net_admin && c == CAP_NET_ADMIN))
			continue;
		if (cap_drop_bound(c) && errno != EINVAL)
			return -errno;
	}
	return 0;
}

int privs_drop(const struct privs_target *t, bool keep_net_admin)
{
	int err;

	if (!t->found)
		return 0;
	if (geteuid() != 0)
		return t->uid == geteuid() ? 0 : -EPERM;
	/* The bounding set can only be lowered while we hold CAP_SETPCAP. */
	err = drop_bounding(keep_net_admin);
	if (err)
		return err;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		return -errno;
	if (setgroups(0, NULL) && errno != EPERM)
		return -errno;
	if (setresgid(t->gid, t->gid, t->gid) ||
	    setresuid(t->uid, t->uid, t->uid))
		return -errno;
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0))
		return -errno;
	err = set_caps(keep_net_admin);
	if (err)
		return err;
	/* After this no exec can gain privileges back. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return 0;
}

void privs_describe(char *buf, size_t len)
{
	cap_t caps = cap_get_proc();
	char *txt = caps ? cap_to_text(caps, NULL) : NULL;

	snprintf(buf, len, "uid=%u gid=%u caps=%s", (unsigned int)geteuid(),
		 (unsigned int)getegid(), txt ? txt : "?");
	cap_free(txt);
	cap_free(caps);
}
