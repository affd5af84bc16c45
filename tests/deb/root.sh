# Sourced by tests/deb/run: a clean Debian root for the package test, made
# with debootstrap (minbase) from the mirror this machine's apt uses, and
# taken down again without ever deleting through a live mount.
#
#   root_make DIR    a fresh root in DIR (from the cached pristine tarball, or
#                    debootstrap then the tarball): 0, or 1 with the reason on
#                    stderr (no debootstrap, mirror unreachable, ...)
#   root_enter       mounts proc and /dev (bind), resolv.conf, policy-rc.d,
#                    the machine's apt sources; apt-get update in the root
#   root_pids DIR    pids of the processes whose root is DIR
#   root_remove DIR  unmounts everything under DIR, then deletes it; refuses
#                    (and says so) while anything is still mounted there
#
# Settings (environment): DEB_TEST_SUITE (bookworm), DEB_TEST_MIRROR (the
# first non-security URI of the machine's apt sources, else deb.debian.org),
# DEB_TEST_CACHE (the pristine tarball, build/deb/<suite>-minbase.tar; a
# cached root is only ever extracted afresh, never reused).

DEB_TEST_SUITE=${DEB_TEST_SUITE:-bookworm}

# The mirror the machine's apt sources name (deb822 or one-line format),
# leaving out the security archive; deb.debian.org when there is none.
root_mirror() {
  local uri
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
        sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' | grep -v -- '-security' | head -n 1)
  [ -n "$uri" ] || uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*\).*/\2/p' |
        grep -v -- '-security' | head -n 1)
  echo "${uri:-http://deb.debian.org/debian}"
}

# The mounts under DIR (not DIR itself), deepest first.
root_mounts() {
  local dir
  dir=$(realpath -m "$1")
  awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

root_unmount() {
  local m
  for m in $(root_mounts "$1"); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || echo "cannot unmount $m" >&2
  done
  [ -z "$(root_mounts "$1")" ]
}

root_pids() {
  local dir p r
  dir=$(realpath -m "$1")
  for p in /proc/[0-9]*; do
    r=$(readlink "$p/root" 2>/dev/null) || continue
    [ "$r" = "$dir" ] && echo "${p#/proc/}"
  done
}

root_remove() {
  local dir=$1
  [ -n "$dir" ] && [ -d "$dir" ] || return 0
  if ! root_unmount "$dir"; then
    echo "NOT removing $dir: still mounted there: $(root_mounts "$dir" | tr '\n' ' ')" >&2
    return 1
  fi
  # --one-file-system as well: never descend into anything mounted after all.
  rm -rf --one-file-system "$dir"
}

# Writes a pristine root to the cache tarball with debootstrap (in a
# scratch directory beside it, removed after, mounts or not).
root_bootstrap() {
  local cache=$1 mirror scratch rc=0
  command -v debootstrap >/dev/null || { echo "debootstrap is not installed" >&2; return 1; }
  mirror=${DEB_TEST_MIRROR:-$(root_mirror)}
  # Cheap reachability test first: no 10-minute wait on a machine offline.
  if ! curl -fsS -o /dev/null --max-time 20 "$mirror/dists/$DEB_TEST_SUITE/Release"; then
    echo "the mirror $mirror does not answer for $DEB_TEST_SUITE" >&2
    return 1
  fi
  mkdir -p "$(dirname "$cache")"
  scratch=$(mktemp -d "$(dirname "$cache")/debootstrap.XXXXXX")
  echo "debootstrap --variant=minbase $DEB_TEST_SUITE from $mirror (once; cached in $cache)"
  local started=$SECONDS
  if timeout 600 debootstrap --variant=minbase "$DEB_TEST_SUITE" "$scratch/root" "$mirror" \
       >"$scratch.log" 2>&1; then
    # debootstrap's own downloads are not part of a pristine root.
    rm -f "$scratch"/root/var/cache/apt/archives/*.deb
    if tar -C "$scratch/root" --numeric-owner -cf "$cache.tmp" . ; then
      mv "$cache.tmp" "$cache"
      echo "debootstrap took $((SECONDS - started)) s"
    else
      rc=1; rm -f "$cache.tmp"; echo "cannot write $cache" >&2
    fi
  else
    rc=1
    echo "debootstrap failed:" >&2; tail -n 15 "$scratch.log" >&2
  fi
  root_remove "$scratch" || rc=1
  rm -f "$scratch.log"
  return $rc
}

root_make() {
  local dir=$1 cache=${DEB_TEST_CACHE:-build/deb/$DEB_TEST_SUITE-minbase.tar}
  if [ ! -s "$cache" ]; then
    root_bootstrap "$cache" || return 1
  else
    echo "pristine root: $cache (remove it to debootstrap again)"
  fi
  mkdir -p "$dir" && tar -C "$dir" --numeric-owner -xf "$cache" ||
    { echo "cannot extract $cache into $dir" >&2; return 1; }
}

# Everything the root needs before apt runs in it. ROOT must be set.
root_enter() {
  mount -t proc proc "$ROOT/proc" || return 1
  mount --bind /dev "$ROOT/dev" || return 1
  cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
  # No service starts on its own in the root (nginx's and redis-server's
  # postinst would): the test starts what it runs, by pid.
  printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
  chmod 0755 "$ROOT/usr/sbin/policy-rc.d"
  # The archive this machine reaches: its mirror for the suite and its
  # updates, and its security archive (the .deb was built against their
  # libraries), in place of debootstrap's one line. Only Debian's archive,
  # signed by the root's own keyring: no other repository the machine has.
  local security
  security=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
             sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*-security[^[:space:]]*\).*/\1/p' | head -n 1)
  rm -f "$ROOT/etc/apt/sources.list"
  cat >"$ROOT/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: ${DEB_TEST_MIRROR:-$(root_mirror)}
Suites: $DEB_TEST_SUITE $DEB_TEST_SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${security:-http://deb.debian.org/debian-security}
Suites: $DEB_TEST_SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  timeout 300 chroot "$ROOT" apt-get update -q
}
