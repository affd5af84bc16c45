# onezone-tokend: the Onezone user-token REST API as FastCGI workers behind nginx.
#
#   make            build the daemon, the admin tool and the unit tests
#   make test       install missing packages, build, run every test suite
#   make run        serve the whole stack on https://localhost:8443 (foreground)
#   make start/stop the same, in the background
#   make run CLUSTER=1 / make start CLUSTER=1   the same with a local Redis
#                   Cluster (3 primaries, 3 replicas) and two daemons behind
#                   nginx; `make stop` stops whichever stack runs
#   make bench      benchmarks that print figures
#   make soak       a bounded mixed-load soak that prints its figures
#   make fuzz       run each libFuzzer target for FUZZ_SECONDS (default 60)
#   make SANITIZER=address ...   build and test with ASan and UBSan

CXX      ?= g++
STD      := -std=c++17
WARN     := -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wpedantic
OPT      := -O2
DEBUG    := -g
INCLUDES := -Iinclude -I/usr/include/jsoncpp
LIBS     := -lfcgi -ljsoncpp -lhiredis -lssl -lcrypto -largon2 -lpthread
# CLUSTER=1: `make run` and `make start` start the cluster stack
# (scripts/stack --cluster) instead of the single one.
CLUSTER  ?=
STACK_MODE := $(if $(filter-out 0 no,$(CLUSTER)),--cluster)
# Parallel jobs for the builds that `make test`, `run` and `bench` start.
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)

SANITIZER ?=
ifeq ($(SANITIZER),address)
  SAN   := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  BUILD := build-asan
else ifeq ($(SANITIZER),undefined)
  SAN   := -fsanitize=undefined -fno-sanitize-recover=undefined
  BUILD := build-ubsan
else ifeq ($(SANITIZER),)
  SAN   :=
  BUILD := build
else
  $(error SANITIZER must be address, undefined or empty)
endif

CXXFLAGS := $(STD) $(WARN) $(OPT) $(DEBUG) $(SAN) $(INCLUDES) -MMD -MP
LDFLAGS  := $(SAN)

# Every folder of src/ is one layer (see README, Layout); each program's
# main.cpp is the only file left out of the library.
MAIN_SRCS := src/server/main.cpp src/admin/main.cpp
LIB_SRCS  := $(filter-out $(MAIN_SRCS),$(wildcard src/*/*.cpp))
LIB_OBJS  := $(LIB_SRCS:src/%.cpp=$(BUILD)/obj/%.o)
UNIT_SRCS := $(wildcard tests/unit/*.cpp tests/unit/*/*.cpp)
UNIT_OBJS := $(UNIT_SRCS:tests/unit/%.cpp=$(BUILD)/obj/tests/%.o)
LIB       := $(BUILD)/libtokend.a

DAEMON    := $(BUILD)/bin/onezone-tokend
ADMIN     := $(BUILD)/bin/onezone-admin
UNIT      := $(BUILD)/tests/unit_tests
MACAROON_BENCH := $(BUILD)/bench/macaroon_bench
CEILING   := $(BUILD)/bench/ceiling_responder

.PHONY: all deps test unit run start stop bench soak clean format fuzz
all: $(DAEMON) $(ADMIN) $(UNIT)

$(BUILD)/obj/%.o: src/%.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -c $< -o $@

$(BUILD)/obj/tests/%.o: tests/unit/%.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(DAEMON): $(BUILD)/obj/server/main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(LDFLAGS) $^ -o $@ $(LIBS)

$(ADMIN): $(BUILD)/obj/admin/main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(LDFLAGS) $^ -o $@ $(LIBS)

$(UNIT): $(UNIT_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(LDFLAGS) $^ -o $@ $(LIBS) -lcppunit

$(MACAROON_BENCH): bench/macaroon_bench.cpp $(LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) $< $(LIB) -o $@ $(LIBS) -lbenchmark -lmacaroons

# The benchmark's ceiling: a FastCGI responder that answers a fixed body
# (its `kept` mode uses the service's own connection loop from $(LIB)).
$(CEILING): bench/ceiling_responder.cpp $(LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) $< $(LIB) -o $@ $(LIBS)

# Installs the Debian packages the build, the tests and `make run` need
# (only the missing ones; a no-op when all are present).
deps:
	@bash scripts/install-deps

test: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@BUILD=$(BUILD) bash tests/run-all

unit: $(UNIT)
	$(UNIT)

run: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@BUILD=$(BUILD) bash scripts/stack run $(STACK_MODE)

start: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@BUILD=$(BUILD) bash scripts/stack start $(STACK_MODE)

bench: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all $(MACAROON_BENCH) $(CEILING)
	@BUILD=$(BUILD) CLUSTER=$(CLUSTER) bash scripts/bench

# A bounded soak through nginx TLS (SOAK_SECONDS, default 60) that prints
# its figures; not part of `make test`.
soak: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@BUILD=$(BUILD) bash scripts/soak

stop:
	@BUILD=$(BUILD) bash scripts/stack stop

clean:
	rm -rf build build-asan build-ubsan build-fuzz

format:
	clang-format -i include/tokend/*/*.h src/*/*.cpp tests/unit/*.cpp tests/unit/*/*.cpp

# Fuzzing: libFuzzer targets built with clang, ASan and UBSan, each run for
# FUZZ_SECONDS on a scratch copy of its seed corpus in fuzz/corpus/.
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := build-fuzz
FUZZ_CXX     := clang++
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_FLAGS   := $(STD) -g -O1 $(INCLUDES) $(FUZZ_SAN)
FUZZ_OBJS    := $(LIB_SRCS:src/%.cpp=$(FUZZ_BUILD)/obj/%.o)
FUZZ_TARGETS := $(patsubst fuzz/%_fuzzer.cpp,$(FUZZ_BUILD)/%_fuzzer,$(wildcard fuzz/*_fuzzer.cpp))

$(FUZZ_BUILD)/obj/%.o: src/%.cpp
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_BUILD)/%_fuzzer: fuzz/%_fuzzer.cpp $(FUZZ_OBJS)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer $^ -o $@ $(LIBS)

fuzz: deps
	@$(MAKE) --no-print-directory -j$(JOBS) $(FUZZ_TARGETS)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_BUILD=$(FUZZ_BUILD) bash scripts/fuzz

# The Debian package (issue 16). debian/changelog is the one place the
# version is set; the .deb and its build records go to build/deb/.
#   make deb        build onezone-tokend_$(VERSION)_<arch>.deb
#   make deb-test   build it, install, run, upgrade, remove and purge it in a
#                   clean Debian root (debootstrap minbase bookworm, cached as
#                   build/deb/bookworm-minbase.tar, a fresh extract each run),
#                   or on this machine where no root can be made (it says
#                   which); not part of `make test`. Bounded at 20 minutes: a
#                   first debootstrap takes about 3, a run from the cache 1.
VERSION  = $(shell dpkg-parsechangelog -l debian/changelog -S Version)
DEB_ARCH = $(shell dpkg --print-architecture)
DEB_OUT  := build/deb

.PHONY: deb deb-test
deb:
	@bash scripts/install-deps
	@bash scripts/install-deb-deps
	dpkg-buildpackage --no-sign -b -J$(JOBS)
	@mkdir -p $(DEB_OUT)
	mv ../onezone-tokend_$(VERSION)_$(DEB_ARCH).deb ../onezone-tokend-dbgsym_$(VERSION)_$(DEB_ARCH).deb \
	   ../onezone-tokend_$(VERSION)_$(DEB_ARCH).buildinfo ../onezone-tokend_$(VERSION)_$(DEB_ARCH).changes $(DEB_OUT)/
	@echo "built $(DEB_OUT)/onezone-tokend_$(VERSION)_$(DEB_ARCH).deb"

deb-test: deb
	@DEB=$(DEB_OUT)/onezone-tokend_$(VERSION)_$(DEB_ARCH).deb VERSION=$(VERSION) \
	  timeout 1200 bash tests/deb/run

include mk/install.mk

-include $(LIB_OBJS:.o=.d) $(FUZZ_OBJS:.o=.d) $(UNIT_OBJS:.o=.d) $(MAIN_SRCS:src/%.cpp=$(BUILD)/obj/%.d)
