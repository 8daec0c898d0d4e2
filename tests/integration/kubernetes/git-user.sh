#!/usr/bin/env bash
# Makes sure the `git` user the test Git server (cluster.ts) logs in exists: shell git-shell (Git only, no
# login), no password. Its password field must be `*`, not useradd's `!`: sshd without PAM refuses a locked
# account ("User git not allowed because account is locked") even for key logins. Idempotent; needs root.
set -euo pipefail
shell=$(command -v git-shell)
if ! id git >/dev/null 2>&1; then
  useradd --system --create-home --home-dir /var/lib/git-test --shell "$shell" git
fi
[[ "$(getent passwd git | cut -d: -f7)" == "$shell" ]] || usermod --shell "$shell" git
[[ "$(getent shadow git | cut -d: -f2)" == "*" ]] || usermod --password '*' git
