#!/usr/bin/env bash
# Runs a command with a private dovecot IMAP server on 127.0.0.1 and stops it when the command ends,
# however it ends. Works as root (CI) or as a normal user.
#   scripts/with-dovecot.sh [--] COMMAND [ARGS...]
# Exports to the command:
#   DOCKHAND_IMAP_HOST=127.0.0.1  DOCKHAND_IMAP_PORT (plain + STARTTLS)  DOCKHAND_IMAPS_PORT (TLS)
#   DOCKHAND_IMAP_USER  DOCKHAND_IMAP_PASSWORD  DOCKHAND_IMAP_CA (the self-signed certificate, for verification)
#   DOCKHAND_DOVECOT_DELIVER  script: deliver FILE [MAILBOX]  (dovecot-lda: arrives unseen, like real mail)
#   DOCKHAND_DOVECOT_DOVEADM  script: doveadm ARGS...  (runs doveadm for the test user, e.g. mailbox delete X)
set -euo pipefail
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; break ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "with-dovecot: no command given" >&2; exit 2; }
command -v dovecot >/dev/null || { echo "with-dovecot: dovecot is not installed (run scripts/setup.sh)" >&2; exit 2; }
lda=/usr/lib/dovecot/dovecot-lda
[ -x "$lda" ] || lda=$(command -v dovecot-lda || true)
[ -n "$lda" ] || { echo "with-dovecot: dovecot-lda not found" >&2; exit 2; }

tmp=$(mktemp -d /tmp/dockhand-dovecot.XXXXXX)
chmod 755 "$tmp"
conf="$tmp/dovecot.conf"
dovecot_pid=""
cleanup() {
  if [ -n "$dovecot_pid" ]; then
    kill "$dovecot_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$dovecot_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$dovecot_pid" 2>/dev/null || true
    wait "$dovecot_pid" 2>/dev/null || true
  fi
  if [ "${DOCKHAND_KEEP_DOVECOT:-0}" = 1 ]; then echo "with-dovecot: kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Who the mail processes run as: root may not own mail, so as root use the packaged dovecot user.
if [ "$(id -u)" -eq 0 ]; then
  mail_user=dovecot; login_user=dovenull
  id "$mail_user" >/dev/null 2>&1 || { echo "with-dovecot: user $mail_user missing" >&2; exit 2; }
  id "$login_user" >/dev/null 2>&1 || login_user=$mail_user
else
  mail_user=$(id -un); login_user=$mail_user
fi
uid=$(id -u "$mail_user"); gid=$(id -g "$mail_user")

# Ports below the kernel's ephemeral range, so no process's outgoing connection holds one; a port another
# test took between this pick and dovecot's bind makes start_dovecot try again with new ports.
ephemeral_low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( 20000 + (RANDOM * 32768 + RANDOM) % (ephemeral_low - 20000) ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

user=dockhand
password="pw-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
mkdir -p "$tmp/run" "$tmp/home/$user" "$tmp/state"
printf '%s:{PLAIN}%s\n' "$user" "$password" >"$tmp/passwd"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1
chmod 644 "$tmp/cert.pem"; chmod 600 "$tmp/key.pem"

chown -R "$uid:$gid" "$tmp/home" "$tmp/state"
chmod 644 "$tmp/passwd"

# In the foreground, as our child: stopping it is a kill + wait, even where nothing reaps orphans.
start_dovecot() {  # returns 0 once dovecot listens on $port and $tls_port, 1 if it died (e.g. a port taken)
  port=$(free_port); tls_port=$(free_port)
  [ "$port" != "$tls_port" ] || tls_port=$(free_port)
  cat >"$conf" <<EOF
  base_dir = $tmp/run
  state_dir = $tmp/state
  log_path = $tmp/dovecot.log
  info_log_path = $tmp/dovecot.log
  protocols = imap
  listen = 127.0.0.1
  ssl = yes
  ssl_cert = <$tmp/cert.pem
  ssl_key = <$tmp/key.pem
  disable_plaintext_auth = no
  auth_mechanisms = plain login xoauth2 oauthbearer
  auth_failure_delay = 0
  lda_mailbox_autocreate = yes
  default_internal_user = $mail_user
  default_internal_group = $(id -gn "$mail_user")
  default_login_user = $login_user
  first_valid_uid = $uid
  first_valid_gid = $gid
  mail_location = maildir:~/Maildir
  mail_uid = $uid
  mail_gid = $gid
  namespace inbox {
    inbox = yes
    separator = /
  }
  passdb {
    driver = passwd-file
    args = scheme=PLAIN username_format=%u $tmp/passwd
  }
  userdb {
    driver = static
    args = uid=$uid gid=$gid home=$tmp/home/%u
  }
  service imap-login {
    chroot =
    inet_listener imap {
      address = 127.0.0.1
      port = $port
    }
    inet_listener imaps {
      address = 127.0.0.1
      port = $tls_port
      ssl = yes
    }
  }
  service anvil {
    chroot =
  }
  service stats {
    unix_listener stats-reader {
      mode = 0666
    }
    unix_listener stats-writer {
      mode = 0666
    }
  }
EOF
  dovecot -F -c "$conf" >>"$tmp/dovecot.log" 2>&1 &
  dovecot_pid=$!
  for _ in $(seq 1 600); do  # up to 30 s: a loaded machine starts it slowly
    kill -0 "$dovecot_pid" 2>/dev/null || { wait "$dovecot_pid" 2>/dev/null; dovecot_pid=""; return 1; }
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$tls_port") 2>/dev/null && return 0
    sleep 0.05
  done
  return 0  # not listening yet: said below
}
started=0
for attempt in 1 2 3; do
  if start_dovecot; then started=1; break; fi
  echo "with-dovecot: dovecot did not start (attempt $attempt), trying other ports" >&2
done
[ "$started" = 1 ] || { cat "$tmp/dovecot.log" >&2; echo "with-dovecot: dovecot failed to start" >&2; exit 2; }
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { cat "$tmp/dovecot.log" >&2; echo "with-dovecot: not listening" >&2; exit 2; }

cat >"$tmp/deliver" <<EOF
#!/bin/sh
# deliver FILE [MAILBOX]: delivers FILE to the test user's MAILBOX (default INBOX) through dovecot-lda.
set -e
box=\${2:-INBOX}
exec $lda -c "$conf" -d "$user" -m "\$box" <"\$1"
EOF
cat >"$tmp/doveadm" <<EOF
#!/bin/sh
# doveadm GROUP COMMAND ARGS...: doveadm against the private server, as the test user
# (e.g. doveadm mailbox delete Requests).
group=\$1; cmd=\$2; shift 2
exec doveadm -c "$conf" "\$group" "\$cmd" -u "$user" "\$@"
EOF
chmod 755 "$tmp/deliver" "$tmp/doveadm"

export DOCKHAND_IMAP_HOST=127.0.0.1 DOCKHAND_IMAP_PORT=$port DOCKHAND_IMAPS_PORT=$tls_port
export DOCKHAND_IMAP_USER=$user DOCKHAND_IMAP_PASSWORD=$password DOCKHAND_IMAP_CA=$tmp/cert.pem
export DOCKHAND_DOVECOT_DELIVER=$tmp/deliver DOCKHAND_DOVECOT_DOVEADM=$tmp/doveadm DOCKHAND_DOVECOT_LOG=$tmp/dovecot.log

"$@" &
child=$!
set +e
wait "$child"
exit $?
