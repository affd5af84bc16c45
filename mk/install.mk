# make install / make uninstall: a system install laid out the way a Debian
# package lays it out (issue 5). Included by the Makefile.
#
#   make install   [PREFIX=/usr/local] [DESTDIR=]
#   make uninstall [PREFIX=/usr/local] [DESTDIR=]
#
# then, as root: onezone-tokend-setup (user, master secret, certificate,
# enabling; see scripts/setup-host).
#
# Programs and documentation go under $(PREFIX). Configuration, the nginx
# site, the Redis instance config and the systemd unit go under /etc and
# /lib/systemd/system whatever PREFIX is, as Debian does for packages and for
# software in /usr/local alike: that is where the daemon's unit, nginx, Redis
# and systemd look for them. DESTDIR is prepended to every path.
#
# What install owns and replaces on every run: the programs, the setup
# script, the unit, the nginx site, the Redis config, the config example and
# the README. The one exception is /etc/onezone-tokend/onezone-tokend.conf:
# install creates it (the example with system paths) only when there is none,
# and never overwrites it. Uninstall removes exactly the files install adds;
# onezone-tokend.conf goes only if it is unchanged from what install would
# write, an edited one is kept (and reported). Uninstall also removes the
# enablement links onezone-tokend-setup made (nginx's sites-enabled link,
# the units' .wants links), because they would point at files that are gone
# and keep nginx or the boot from working. The host's state stays: the
# master secret, the certificate, the user, the Redis password and ACL file
# (setup writes them) and the Redis data.

PREFIX  ?= /usr/local
DESTDIR ?=
INSTALL ?= install

bindir  := $(PREFIX)/bin
sbindir := $(PREFIX)/sbin
docdir  := $(PREFIX)/share/doc/onezone-tokend
# What onezone-tokend-setup reads: the Redis ACL rule it renders.
datadir := $(PREFIX)/share/onezone-tokend
# The token page's static files, which the nginx site serves.
webdir  := $(datadir)/web
WEB_FILES := $(wildcard web/*.html web/*.js web/*.css)

# System locations, independent of PREFIX (see above).
confdir      := /etc/onezone-tokend
nginxsites   := /etc/nginx/sites-available
nginxenabled := /etc/nginx/sites-enabled
redisconfdir := /etc/redis
unitdir      := /lib/systemd/system
wantsdir     := /etc/systemd/system/multi-user.target.wants

# The paths a system install's rendered files name. The FastCGI socket lives
# in the unit's RuntimeDirectory, the master secret in its StateDirectory,
# the Redis socket in the runtime directory of redis-server@onezone-tokend.
SYSTEM_FASTCGI := unix:/run/onezone-tokend/fcgi.sock
SYSTEM_REDIS   := unix:/run/redis-onezone-tokend/redis-server.sock
SYSTEM_SECRET  := /var/lib/onezone-tokend/master.key
# The Redis user the daemon logs in as, and its password (made by
# onezone-tokend-setup, with the instance's ACL file).
SYSTEM_REDIS_USER     := onezone-tokend
SYSTEM_REDIS_PASSWORD := $(confdir)/redis.password
SYSTEM_CERT    := $(confdir)/tls/cert.pem
SYSTEM_KEY     := $(confdir)/tls/key.pem
SYSTEM_LISTEN  := 8443
SYSTEM_ACCESS_LOG := /var/log/nginx/onezone-tokend.access.log
# nginx makes it at start (see the hop server in the site); /run is emptied at
# boot, so a socket left by a killed nginx cannot outlive a reboot.
SYSTEM_HOP_DIR := /run/onezone-tokend-nginx

# Rendered files are staged here before they are installed.
STAGE := $(BUILD)/install

# $(call render,TEMPLATE,OUTPUT,SED-ARGUMENTS): writes TEMPLATE through sed to
# OUTPUT and fails if a @PLACEHOLDER@ is left.
define render
	@mkdir -p $(dir $(2))
	sed $(3) $(1) >$(2).tmp
	@if grep -n '@[A-Z_]*@' $(2).tmp >&2; then \
	  rm -f $(2).tmp; echo "unrendered placeholders in $(2) (from $(1))" >&2; exit 1; fi
	@mv $(2).tmp $(2)
endef

# The daemon config of a system install: the documented example with the
# keys that locate things set to the system paths. Each of them must be
# found, so a change of the example's format cannot go unnoticed.
define render_system_config
	@mkdir -p $(STAGE)
	@{ echo "# onezone-tokend configuration, written by 'make install' from"; \
	   echo "# onezone-tokend.conf.example (next to this file, which documents every"; \
	   echo "# key) with the paths of a system install. Yours to edit: install never"; \
	   echo "# overwrites it. Apply changes with: systemctl reload onezone-tokend"; \
	   echo "# (a change of \`listen\` needs: systemctl restart onezone-tokend)"; \
	   echo; \
	   sed -e 's|^listen = .*|listen = $(SYSTEM_FASTCGI)|' \
	       -e 's|^socket_mode = .*|socket_mode = 0660|' \
	       -e 's|^redis = .*|redis = $(SYSTEM_REDIS)|' \
	       -e 's|^redis_user =.*|redis_user = $(SYSTEM_REDIS_USER)|' \
	       -e 's|^redis_password_file =.*|redis_password_file = $(SYSTEM_REDIS_PASSWORD)|' \
	       -e 's|^master_secret_file = .*|master_secret_file = $(SYSTEM_SECRET)|' \
	       config/onezone-tokend.conf.example; } >$(STAGE)/onezone-tokend.conf.tmp
	@for line in 'listen = $(SYSTEM_FASTCGI)' 'socket_mode = 0660' \
	             'redis = $(SYSTEM_REDIS)' 'redis_user = $(SYSTEM_REDIS_USER)' \
	             'redis_password_file = $(SYSTEM_REDIS_PASSWORD)' \
	             'master_secret_file = $(SYSTEM_SECRET)'; do \
	  grep -qxF "$$line" $(STAGE)/onezone-tokend.conf.tmp || { \
	    echo "cannot set '$$line' in the system config (has the example's format changed?)" >&2; \
	    rm -f $(STAGE)/onezone-tokend.conf.tmp; exit 1; }; \
	done
	@mv $(STAGE)/onezone-tokend.conf.tmp $(STAGE)/onezone-tokend.conf
endef

SITE_SED := -e 's|@LISTEN@|$(SYSTEM_LISTEN)|g' -e 's|@CERT@|$(SYSTEM_CERT)|g' \
            -e 's|@KEY@|$(SYSTEM_KEY)|g' -e 's|@FASTCGI@|$(SYSTEM_FASTCGI)|g' \
            -e 's|@ACCESS_LOG@|$(SYSTEM_ACCESS_LOG)|g' -e 's|@HOP_DIR@|$(SYSTEM_HOP_DIR)|g' \
            -e 's|@WEB_ROOT@|$(webdir)|g'
UNIT_SED := -e 's|@BINDIR@|$(bindir)|g' -e 's|@DOCDIR@|$(docdir)|g'

.PHONY: install uninstall
install: $(DAEMON) $(ADMIN)
	$(call render_system_config)
	$(call render,nginx/onezone-tokend.site.conf.in,$(STAGE)/onezone-tokend.site,$(SITE_SED))
	$(call render,systemd/onezone-tokend.service,$(STAGE)/onezone-tokend.service,$(UNIT_SED))
	$(INSTALL) -d $(DESTDIR)$(bindir) $(DESTDIR)$(sbindir) $(DESTDIR)$(docdir) $(DESTDIR)$(datadir) \
	  $(DESTDIR)$(confdir) $(DESTDIR)$(nginxsites) $(DESTDIR)$(redisconfdir) \
	  $(DESTDIR)$(unitdir)
	$(INSTALL) -m 0755 $(DAEMON) $(DESTDIR)$(bindir)/onezone-tokend
	$(INSTALL) -m 0755 $(ADMIN) $(DESTDIR)$(bindir)/onezone-admin
	$(INSTALL) -m 0755 scripts/setup-host $(DESTDIR)$(sbindir)/onezone-tokend-setup
	$(INSTALL) -m 0644 config/redis-users.acl.in $(DESTDIR)$(datadir)/redis-users.acl.in
	$(INSTALL) -d $(DESTDIR)$(webdir)
	$(INSTALL) -m 0644 $(WEB_FILES) $(DESTDIR)$(webdir)/
	$(INSTALL) -m 0644 config/onezone-tokend.conf.example \
	  $(DESTDIR)$(confdir)/onezone-tokend.conf.example
	@if [ -e $(DESTDIR)$(confdir)/onezone-tokend.conf ]; then \
	  echo "keeping the existing $(DESTDIR)$(confdir)/onezone-tokend.conf"; \
	else \
	  echo "$(INSTALL) -m 0644 $(STAGE)/onezone-tokend.conf $(DESTDIR)$(confdir)/onezone-tokend.conf"; \
	  $(INSTALL) -m 0644 $(STAGE)/onezone-tokend.conf $(DESTDIR)$(confdir)/onezone-tokend.conf; \
	fi
	$(INSTALL) -m 0644 $(STAGE)/onezone-tokend.site $(DESTDIR)$(nginxsites)/onezone-tokend
	$(INSTALL) -m 0644 $(STAGE)/onezone-tokend.service $(DESTDIR)$(unitdir)/onezone-tokend.service
	$(INSTALL) -m 0644 config/redis-onezone-tokend.conf \
	  $(DESTDIR)$(redisconfdir)/redis-onezone-tokend.conf
	$(INSTALL) -m 0644 README.md $(DESTDIR)$(docdir)/README.md
	@echo "installed; now run (as root): $(sbindir)/onezone-tokend-setup"

uninstall:
	$(call render_system_config)
	rm -f $(DESTDIR)$(bindir)/onezone-tokend $(DESTDIR)$(bindir)/onezone-admin \
	  $(DESTDIR)$(sbindir)/onezone-tokend-setup \
	  $(DESTDIR)$(datadir)/redis-users.acl.in \
	  $(addprefix $(DESTDIR)$(webdir)/,$(notdir $(WEB_FILES))) \
	  $(DESTDIR)$(confdir)/onezone-tokend.conf.example \
	  $(DESTDIR)$(nginxsites)/onezone-tokend \
	  $(DESTDIR)$(unitdir)/onezone-tokend.service \
	  $(DESTDIR)$(redisconfdir)/redis-onezone-tokend.conf \
	  $(DESTDIR)$(docdir)/README.md
	@conf=$(DESTDIR)$(confdir)/onezone-tokend.conf; \
	if [ -f "$$conf" ] && ! cmp -s "$$conf" $(STAGE)/onezone-tokend.conf; then \
	  echo "keeping $$conf: it differs from the installed default (edited)"; \
	else \
	  echo "rm -f $$conf"; rm -f "$$conf"; \
	fi
	@# Links onezone-tokend-setup made, removed only if they point at what
	@# uninstall just removed (or at the Redis template, whose instance
	@# config is gone). systemctl may have written /usr/lib for /lib.
	@for link in $(DESTDIR)$(nginxenabled)/onezone-tokend:$(nginxsites)/onezone-tokend \
	             $(DESTDIR)$(wantsdir)/onezone-tokend.service:$(unitdir)/onezone-tokend.service \
	             $(DESTDIR)$(wantsdir)/redis-server@onezone-tokend.service:$(unitdir)/redis-server@.service; do \
	  path=$${link%%:*}; target=$${link#*:}; \
	  if [ -L "$$path" ]; then \
	    case "$$(readlink "$$path")" in \
	      "$$target"|"/usr$$target") echo "rm -f $$path"; rm -f "$$path" ;; \
	    esac; \
	  fi; \
	done
	-@rmdir $(DESTDIR)$(docdir) $(DESTDIR)$(webdir) $(DESTDIR)$(datadir) $(DESTDIR)$(confdir) 2>/dev/null || true
	@if [ -d $(DESTDIR)$(confdir) ]; then \
	  echo "kept $(DESTDIR)$(confdir) (host state: certificate, Redis password, edited config)"; fi
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
	  echo "now run: systemctl daemon-reload (and stop onezone-tokend and redis-server@onezone-tokend if they run)"; fi
