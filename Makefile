# onezone-tokend: the Onezone user-token REST API as FastCGI workers behind nginx.
#
#   make            build the daemon, the admin tool and the unit tests
#   make test       install missing packages, build, run every test suite
#   make run        serve the whole stack on https://localhost:8443 (foreground)
#   make start/stop the same, in the background
#   make bench      benchmarks that print figures
#   make SANITIZER=address ...   build and test with ASan and UBSan

CXX      ?= g++
STD      := -std=c++17
WARN     := -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wpedantic
OPT      := -O2
DEBUG    := -g
INCLUDES := -Iinclude -I/usr/include/jsoncpp
LIBS     := -lfcgi -ljsoncpp -lhiredis -lssl -lcrypto -lpthread

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

LIB_SRCS  := $(filter-out src/%_main.cpp,$(wildcard src/*.cpp))
LIB_OBJS  := $(LIB_SRCS:src/%.cpp=$(BUILD)/obj/%.o)
UNIT_SRCS := $(wildcard tests/unit/*.cpp)
UNIT_OBJS := $(UNIT_SRCS:tests/unit/%.cpp=$(BUILD)/obj/tests/%.o)
LIB       := $(BUILD)/libtokend.a

DAEMON    := $(BUILD)/bin/onezone-tokend
ADMIN     := $(BUILD)/bin/onezone-admin
UNIT      := $(BUILD)/tests/unit_tests
MACAROON_BENCH := $(BUILD)/bench/macaroon_bench
CEILING   := $(BUILD)/bench/ceiling_responder

.PHONY: all deps test unit run start stop bench clean format
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

$(DAEMON): $(BUILD)/obj/tokend_main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(LDFLAGS) $^ -o $@ $(LIBS)

$(ADMIN): $(BUILD)/obj/admin_main.o $(LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(LDFLAGS) $^ -o $@ $(LIBS)

$(UNIT): $(UNIT_OBJS) $(LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(LDFLAGS) $^ -o $@ $(LIBS) -lcppunit

$(MACAROON_BENCH): bench/macaroon_bench.cpp $(LIB)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) $< $(LIB) -o $@ $(LIBS) -lbenchmark -lmacaroons

# The benchmark's ceiling: a FastCGI responder that answers a fixed body.
$(CEILING): bench/ceiling_responder.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) $< -o $@ -lfcgi -lpthread

# Installs the Debian packages the build, the tests and `make run` need
# (only the missing ones; a no-op when all are present).
deps:
	@bash scripts/install-deps

test: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bash tests/run-all

unit: $(UNIT)
	$(UNIT)

run: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bash scripts/stack run

start: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bash scripts/stack start

bench: deps
	@$(MAKE) --no-print-directory all $(MACAROON_BENCH) $(CEILING)
	@BUILD=$(BUILD) bash scripts/bench

stop:
	@BUILD=$(BUILD) bash scripts/stack stop

clean:
	rm -rf build build-asan build-ubsan

format:
	clang-format -i include/tokend/*.h src/*.cpp tests/unit/*.cpp

include mk/install.mk

-include $(LIB_OBJS:.o=.d) $(UNIT_OBJS:.o=.d) $(BUILD)/obj/tokend_main.d $(BUILD)/obj/admin_main.d
