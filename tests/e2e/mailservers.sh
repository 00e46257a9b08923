#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# mailservers.sh - start and stop real mail servers for the e2e tests, each
# inside a network namespace, with a private configuration under a test
# directory (nothing of the host's own postfix or dovecot is touched).
# Source it; functions: mk_cert, postfix_start, postfix_stop,
# dovecot_start, dovecot_stop, mbox_add.

# mk_cert DIR: a self-signed pair DIR/cert.pem DIR/key.pem for mail.test
mk_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mail.test \
		-keyout "$1/key.pem" -out "$1/cert.pem" >/dev/null 2>&1
}

# postfix_start NS DIR IP SUBNET: postfix (start dovecot_start first for
# AUTH: postfix asks dovecot's auth service) listening on IP:25 (and 587) in
# namespace NS, accepting mail for mail.test from SUBNET, delivering to
# DIR/mail/<user>, STARTTLS offered with a self-signed certificate.
postfix_start() {
	local ns=$1 dir=$2 ip=$3 net=$4 c=$2/postfix
	mkdir -p "$c" "$dir/pf-queue" "$dir/pf-data" "$dir/mail"
	chown postfix "$dir/pf-data"
	chmod 1777 "$dir/mail"
	[ -f "$dir/cert.pem" ] || mk_cert "$dir"
	# no chroot: the test directory holds everything
	awk '!/^[#[:space:]]/ && NF >= 8 { $5 = "n" } { print }' /etc/postfix/master.cf.proto >"$c/master.cf"
	# submission (587) with the same settings
	printf 'submission inet n - n - - smtpd\n' >>"$c/master.cf"
	cat >"$c/main.cf" <<-CF
		compatibility_level = 3.6
		queue_directory = $dir/pf-queue
		data_directory = $dir/pf-data
		mail_owner = postfix
		setgid_group = postdrop
		myhostname = mail.test
		mydomain = mail.test
		myorigin = mail.test
		mydestination = mail.test, localhost
		inet_interfaces = $ip
		inet_protocols = ipv4
		mynetworks = 127.0.0.0/8 $net
		smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
		alias_maps =
		alias_database =
		local_recipient_maps =
		home_mailbox =
		mail_spool_directory = $dir/mail
		smtpd_banner = \$myhostname ESMTP mailtap-e2e
		smtpd_tls_cert_file = $dir/cert.pem
		smtpd_tls_key_file = $dir/key.pem
		smtpd_tls_security_level = may
		smtpd_tls_loglevel = 0
		maillog_file_prefixes = $dir
		maillog_file = $dir/postfix.log
		message_size_limit = 52428800
		mailbox_size_limit = 0
		# AUTH through dovecot's auth socket (dovecot_start with the same DIR)
		smtpd_sasl_auth_enable = yes
		smtpd_sasl_type = dovecot
		smtpd_sasl_path = $dir/dovecot/run/auth-postfix
		smtpd_tls_auth_only = no
		biff = no
	CF
	ip netns exec "$ns" postfix -c "$c" check >/dev/null 2>&1 || true
	ip netns exec "$ns" postfix -c "$c" start >/dev/null 2>&1
}

postfix_stop() {
	ip netns exec "$1" postfix -c "$2/postfix" stop >/dev/null 2>&1 || true
}

# dovecot_start NS DIR IP: dovecot-pop3d on IP:110 in NS with users from
# DIR/passwd (user:{PLAIN}password), mailboxes DIR/mbox/<user>/inbox,
# STLS with a self-signed certificate.
dovecot_start() {
	local ns=$1 dir=$2 ip=$3
	mkdir -p "$dir/dovecot" "$dir/mbox"
	[ -f "$dir/cert.pem" ] || mk_cert "$dir"
	chown -R mail:mail "$dir/mbox"
	cat >"$dir/dovecot/dovecot.conf" <<-CF
		protocols = pop3
		listen = $ip
		base_dir = $dir/dovecot/run
		state_dir = $dir/dovecot/state
		log_path = $dir/dovecot/dovecot.log
		ssl = yes
		ssl_cert = <$dir/cert.pem
		ssl_key = <$dir/key.pem
		disable_plaintext_auth = no
		auth_mechanisms = plain login
		first_valid_uid = 1
		mail_location = mbox:$dir/mbox/%u:INBOX=$dir/mbox/%u/inbox
		passdb {
		  driver = passwd-file
		  args = scheme=PLAIN $dir/passwd
		}
		userdb {
		  driver = static
		  args = uid=mail gid=mail home=$dir/mbox/%u
		}
		service pop3-login {
		  inet_listener pop3 {
		    port = 110
		  }
		  inet_listener pop3s {
		    port = 0
		  }
		}
		service auth {
		  unix_listener auth-postfix {
		    mode = 0666
		  }
		}
		service anvil {
		  chroot =
		}
		service pop3-login {
		  chroot =
		}
	CF
	ip netns exec "$ns" dovecot -c "$dir/dovecot/dovecot.conf" </dev/null >/dev/null 2>&1 &
	for _ in $(seq 50); do
		ip netns exec "$ns" bash -c "exec 3<>/dev/tcp/$ip/110" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

dovecot_stop() {
	doveadm -c "$2/dovecot/dovecot.conf" stop >/dev/null 2>&1 || true
}

# mbox_add DIR USER PASSWORD FILE...: create USER with PASSWORD and put
# each FILE (an RFC 5322 message) into the user's mbox inbox.
mbox_add() {
	local dir=$1 user=$2 pw=$3
	shift 3
	echo "$user:{PLAIN}$pw" >>"$dir/passwd"
	mkdir -p "$dir/mbox/$user"
	for f in "$@"; do
		printf 'From sender@example.org %s\n' "$(LC_ALL=C date -u '+%a %b %e %H:%M:%S %Y')"
		sed 's/^\(>*From \)/>\1/' "$f"
		echo
	done >>"$dir/mbox/$user/inbox"
	chown -R mail:mail "$dir/mbox"
}
