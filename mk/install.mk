# make install / make uninstall (owned by the install work; see issue 5).
.PHONY: install uninstall
install:
	@echo "install: not written yet" >&2; exit 1
uninstall:
	@echo "uninstall: not written yet" >&2; exit 1
