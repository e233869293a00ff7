# invsync build: the nginx module (against Debian's nginx-dev tree or
# NGINX_SRC), the portable core library, unit tests, and test targets.

SHELL       := /bin/bash
NGINX_SRC   ?= /usr/share/nginx/src
BUILD       ?= build
CC          ?= cc
CXX         ?= c++
CFLAGS      ?= -O2 -g
WARN        := -Wall -Wextra -Werror
LIBS        := -lhiredis -ljansson -lyajl -lsimdjson -lstdc++ -lssl -lcrypto -lm
WORKER_LIBS := -lcurl

# One folder per layer (docs/architecture.md), one rule per artefact:
#   libinvsync.a          src/core (pure) and src/channels (one room each)
#   libinvsync_runtime.a  src/runtime: what the worker and the CLI share
#   invsync-worker        src/worker and src/actions, with both libraries
#   invsyncctl            src/ctl, with both libraries
#   libinvsync_route.a    src/actions/route: the routing decision, for the
#                         programs that run it without the worker (its
#                         unit test, its benchmark; with the runtime, its
#                         fuzz target)
# nginx links src/core and the channels' schemes, as `config` lists them.
LAYERS      := core channels runtime worker actions ctl
INCS        := $(LAYERS:%=-Isrc/%)
ALL_CFLAGS  := -std=gnu99 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(INCS)
ALL_CXXFLAGS := -std=c++17 -fno-rtti $(WARN) $(CFLAGS) $(INCS)
HDRS        := $(wildcard src/*/*.h src/channels/*/*.h src/actions/*/*.h)

layer        = $(wildcard src/$(1)/*.c $(if $(2),src/$(1)/*/*.c))
CORE_SRCS   := $(call layer,core) $(call layer,channels,deep)
CORE_CXX    := $(wildcard src/core/*.cpp)
RT_SRCS     := $(call layer,runtime)
WORKER_SRCS := $(call layer,worker) $(call layer,actions,deep)
CTL_SRCS    := $(call layer,ctl)
CTL_ACTIONS := $(call layer,actions,deep)
# the routing folder as an archive: a program that calls only the decision
# (its unit test, its benchmark, its fuzz target) links only the decision's
# objects, the linker taking from an archive just what is called
ROUTE_SRCS  := $(call layer,actions/route)
objs         = $(patsubst src/%.cpp,$(1)/%.o,$(patsubst src/%.c,$(1)/%.o,$(2)))

MOD_SRCS    := $(wildcard ngx_invsync_module/*.c ngx_invsync_module/*.h)
UNIT_SRCS   := $(wildcard t/unit/test_*.c)
UNIT_BINS   := $(UNIT_SRCS:t/unit/test_%.c=$(BUILD)/t/unit_%)
# the unit tests' TAP output, one copy (t/unit/tap.h)
UNIT_TAP    := t/unit/tap.c
# what tests share (tap.h, the normalizer's and the channel cases' helpers)
UNIT_HDRS   := $(wildcard t/unit/*.h)

LIB         := $(BUILD)/libinvsync.a
RT_LIB      := $(BUILD)/libinvsync_runtime.a
ROUTE_LIB   := $(BUILD)/libinvsync_route.a
WORKER      := $(BUILD)/invsync-worker
CTL         := $(BUILD)/invsyncctl

MODULE      := $(BUILD)/ngx_http_invsync_module.so
ASAN_MODULE := $(BUILD)/asan/ngx_http_invsync_module.so
PROVE       ?= prove

.PHONY: FORCE all module lib unit deps test test-unit test-integration asan \
        test-asan test-static bench bench-json demo deb lint clean fuzz fuzz-ci \
        fuzz-build chaos chaos-ci

all: lib module $(WORKER) $(CTL)

lib: $(LIB)

module: $(MODULE)

src/core/invsync_scripts.c: src/core/gen_scripts.pl $(wildcard src/core/lua/*.lua)
	perl src/core/gen_scripts.pl src/core/lua > $@.tmp && mv $@.tmp $@

# the console's page and scripts, compiled into the module (kept in the
# tree: nginx's own build of `config` runs no generator)
CONSOLE_IN  := $(wildcard ngx_invsync_module/console/*.html \
                 ngx_invsync_module/console/*.css \
                 ngx_invsync_module/console/*.js \
                 ngx_invsync_module/console/lua/*.lua)

ngx_invsync_module/ngx_http_invsync_console_blobs.c: \
        ngx_invsync_module/console/gen_console.pl $(CONSOLE_IN)
	perl ngx_invsync_module/console/gen_console.pl > $@.tmp && mv $@.tmp $@

# objects: $(BUILD)/obj/<layer>/... for the programs, $(BUILD)/asan/obj/...
# with the sanitizers
$(BUILD)/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: src/%.cpp $(HDRS)
	@mkdir -p $(dir $@)
	$(CXX) $(ALL_CXXFLAGS) -c $< -o $@

$(BUILD)/asan/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) -c $< -o $@

$(BUILD)/asan/obj/%.o: src/%.cpp $(HDRS)
	@mkdir -p $(dir $@)
	$(CXX) $(ALL_CXXFLAGS) $(ASAN_FLAGS) -c $< -o $@

# $(call archive,objects): the rule body of a static library
archive      = rm -f $@ && ar rcs $@ $(1)

$(LIB): $(call objs,$(BUILD)/obj,$(CORE_SRCS) $(CORE_CXX))
	$(call archive,$^)

$(RT_LIB): $(call objs,$(BUILD)/obj,$(RT_SRCS))
	$(call archive,$^)

$(ROUTE_LIB): $(call objs,$(BUILD)/obj,$(ROUTE_SRCS))
	$(call archive,$^)

$(WORKER): $(call objs,$(BUILD)/obj,$(WORKER_SRCS)) $(RT_LIB) $(LIB)
	$(CC) $(ALL_CFLAGS) $^ -o $@ $(LIBS) $(WORKER_LIBS)

# route dry-run and retry run the worker's routing code (actions/route/,
# declared in invsync_runtime.h), with the actions it resolves SKUs by
$(CTL): $(call objs,$(BUILD)/obj,$(CTL_SRCS) $(CTL_ACTIONS)) $(RT_LIB) $(LIB)
	$(CC) $(ALL_CFLAGS) $^ -o $@ $(LIBS) $(WORKER_LIBS)

# nginx's own build compiles the module from `config`; a private copy of
# the source tree keeps the system one untouched.  Debian's tree records
# the flags its nginx was configured with, for binary compatibility.
define nginx_build
	@mkdir -p $(1)
	cp -a $(NGINX_SRC)/. $(1)/
	cd $(1) && flags=""; \
	if [ -f conf_flags ]; then . ./conf_flags; \
	    flags="$${NGX_CONF_FLAGS[*]}"; fi; \
	bash -c "./configure $$flags --with-compat \
	    --with-cc-opt='$(2)' --with-ld-opt='$(3)' \
	    --add-dynamic-module=$(CURDIR)" > configure.log 2>&1 \
	    || { tail -30 configure.log; exit 1; }
endef

# nginx's objs/Makefile names the files config found: configure again when
# the list changes, not only when config does (the core's and the
# channels' by glob, the module's own as config lists them, so that a file
# added or removed there is seen too)
NGX_LINKED  := $(wildcard src/core/*.c src/core/*.cpp \
                 src/channels/invsync_schemes.c \
                 src/channels/*/invsync_scheme_*.c \
                 ngx_invsync_module/*.c ngx_invsync_module/*.h)

$(BUILD)/nginx.srcs: FORCE
	@mkdir -p $(BUILD)
	@echo '$(NGX_LINKED)' | cmp -s - $@ || echo '$(NGX_LINKED)' > $@

FORCE:

$(BUILD)/nginx/objs/Makefile: config $(BUILD)/nginx.srcs
	rm -rf $(BUILD)/nginx
	$(call nginx_build,$(BUILD)/nginx,-g -O2 -fPIC -Wextra \
	    -Wno-unused-parameter -Wno-sign-compare,-fPIC)

$(MODULE): $(BUILD)/nginx/objs/Makefile $(MOD_SRCS) $(CORE_SRCS) $(CORE_CXX) \
           $(HDRS)
	$(MAKE) -C $(BUILD)/nginx -f objs/Makefile modules
	@# a new file, not overwritten in place: a running nginx maps the old one
	cp $(BUILD)/nginx/objs/ngx_http_invsync_module.so $@.tmp && mv $@.tmp $@

$(BUILD)/nginx-asan/objs/Makefile: config $(BUILD)/nginx.srcs
	rm -rf $(BUILD)/nginx-asan
	$(call nginx_build,$(BUILD)/nginx-asan,-g -O1 -fPIC \
	    -fsanitize=address -fno-omit-frame-pointer,-fPIC -fsanitize=address)

$(ASAN_MODULE): $(BUILD)/nginx-asan/objs/Makefile $(MOD_SRCS) $(CORE_SRCS) \
                $(CORE_CXX) $(HDRS)
	$(MAKE) -C $(BUILD)/nginx-asan -f objs/Makefile modules
	@mkdir -p $(dir $@)
	cp $(BUILD)/nginx-asan/objs/ngx_http_invsync_module.so $@.tmp \
	    && mv $@.tmp $@

$(BUILD)/t/unit_%: t/unit/test_%.c $(UNIT_TAP) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(UNIT_TAP) -o $@ $(LIB) $(LIBS)

# the runtime's key builders: the one unit test that links the runtime
$(BUILD)/t/unit_keys: t/unit/test_keys.c $(UNIT_TAP) $(RT_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(UNIT_TAP) -o $@ $(RT_LIB) $(LIB) $(LIBS) \
	    $(WORKER_LIBS)

# the routing table: the decision and its configuration reader too
$(BUILD)/t/unit_routing: t/unit/test_routing.c $(UNIT_TAP) $(ROUTE_LIB) \
    $(RT_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(UNIT_TAP) -o $@ $(ROUTE_LIB) $(RT_LIB) $(LIB) \
	    $(LIBS)

# the restock rules: the pure decision and its configuration reader
RESTOCK_OBJ := $(BUILD)/obj/actions/refund/invsync_restock_rules.o
$(BUILD)/t/unit_returns: t/unit/test_returns.c $(UNIT_TAP) $(RESTOCK_OBJ) \
    $(RT_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(UNIT_TAP) -o $@ $(RESTOCK_OBJ) $(RT_LIB) $(LIB) \
	    $(LIBS) $(WORKER_LIBS)

# the journal's line builder: a pure function, with its cases as data
$(BUILD)/t/unit_journal: t/unit/test_journal.c $(UNIT_TAP) \
    src/actions/refund/invsync_journal_lines.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc/actions/refund $< $(UNIT_TAP) \
	    src/actions/refund/invsync_journal_lines.c -o $@ $(LIB) $(LIBS)

# a unit test is built again when a header of t/unit changes
$(UNIT_BINS): $(UNIT_HDRS)

unit: $(UNIT_BINS)

# routing with the ledger step (t/bench/route_ledger): the worker's code
BENCH_RL_OBJS := $(call objs,$(BUILD)/obj,$(CTL_ACTIONS))
$(BUILD)/t/bench_route_ledger: t/bench/route_ledger.c $(BENCH_RL_OBJS) \
		$(RT_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< -o $@ $(BENCH_RL_OBJS) $(RT_LIB) $(LIB) \
	    $(LIBS) $(WORKER_LIBS)

# the routing decision's benchmark (t/bench/route)
$(BUILD)/t/bench_route: t/bench/route_decide.c $(ROUTE_LIB) $(RT_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(UNIT_TAP) -o $@ $(ROUTE_LIB) $(RT_LIB) $(LIB) $(LIBS)

# the README's test command: the missing packages of t/packages.txt (as
# make demo does), then unit tests, the integration suite, and the
# integration suite again with the module under AddressSanitizer; in that
# order, the packages first even under -j
test:
	t/install-deps
	$(MAKE) test-unit test-integration test-asan

# only the missing packages: t/install-deps (refuses without root, printing
# the sudo line)
deps:
	t/install-deps

test-unit: unit
	$(PROVE) --exec '' $(UNIT_BINS)

test-integration: all
	INVSYNC_MODULE=$(CURDIR)/$(MODULE) $(PROVE) t/

# the integration suite again, the module built with AddressSanitizer and
# its runtime preloaded into the system nginx, the programs built with it
ASAN_FLAGS  := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=undefined

$(BUILD)/asan/libinvsync.a: $(call objs,$(BUILD)/asan/obj,$(CORE_SRCS) \
                            $(CORE_CXX))
	$(call archive,$^)

$(BUILD)/asan/libinvsync_runtime.a: $(call objs,$(BUILD)/asan/obj,$(RT_SRCS))
	$(call archive,$^)

$(BUILD)/asan/invsync-worker: $(call objs,$(BUILD)/asan/obj,$(WORKER_SRCS)) \
        $(BUILD)/asan/libinvsync_runtime.a $(BUILD)/asan/libinvsync.a
	$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) $^ -o $@ $(LIBS) $(WORKER_LIBS)

$(BUILD)/asan/invsyncctl: $(call objs,$(BUILD)/asan/obj,$(CTL_SRCS) \
        $(CTL_ACTIONS)) \
        $(BUILD)/asan/libinvsync_runtime.a $(BUILD)/asan/libinvsync.a
	$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) $^ -o $@ $(LIBS) $(WORKER_LIBS)

asan: $(ASAN_MODULE) $(BUILD)/asan/invsync-worker $(BUILD)/asan/invsyncctl

test-asan: asan
	INVSYNC_MODULE=$(CURDIR)/$(ASAN_MODULE) INVSYNC_ASAN=1 $(PROVE) t/

# --add-module: an nginx built statically with the module, from
# NGINX_SOURCE, a full source tree (Debian's nginx-dev has headers only:
# `apt-get source nginx`, or nginx.org's tarball), the suite run against it
test-static: all
	@test -f "$(NGINX_SOURCE)/src/core/nginx.c" || { echo "test-static:" \
	    "NGINX_SOURCE must name a full nginx source tree" >&2; exit 1; }
	rm -rf $(BUILD)/nginx-static && mkdir -p $(BUILD)/nginx-static
	cp -a $(NGINX_SOURCE)/. $(BUILD)/nginx-static/
	cd $(BUILD)/nginx-static && ./configure --with-http_ssl_module \
	    --add-module=$(CURDIR) > configure.log 2>&1 \
	    || { tail -30 configure.log; exit 1; }
	$(MAKE) -C $(BUILD)/nginx-static -f objs/Makefile
	INVSYNC_NGINX=$(CURDIR)/$(BUILD)/nginx-static/objs/nginx \
	    INVSYNC_MODULE=static $(PROVE) t/

# libFuzzer targets (t/fuzz/README.md): the core and the channels built
# again with clang, the sanitizers and the fuzzer's coverage hooks, in
# their own folder; seeds and dictionaries made from t/vectors and
# t/fixtures.  `make fuzz` runs each target FUZZ_SECONDS after replaying
# its regression cases; `make fuzz-ci` is the short run CI does.
FUZZ_SECONDS ?= 180
FUZZ_CC     ?= clang
FUZZ_CXX    ?= clang++
FUZZ_FLAGS  := -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=all \
               -fsanitize=fuzzer-no-link,address,undefined
FUZZ_NAMES  := $(patsubst t/fuzz/fuzz_%.c,%,$(wildcard t/fuzz/fuzz_*.c))
FUZZ_BINS   := $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)
FUZZ_INPUTS := $(wildcard t/vectors/*/*/* t/fixtures/*/*/* t/routing/*.json \
                 t/journal/*.json \
                 t/channels/*/*/*/* t/providers/*/*/*/*) \
               t/fuzz/json.dict \
               src/channels/invsync_schemes.c src/channels/invsync_channel.c

$(BUILD)/fuzz/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -c $< -o $@

$(BUILD)/fuzz/obj/%.o: src/%.cpp $(HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(ALL_CXXFLAGS) $(FUZZ_FLAGS) -c $< -o $@

$(BUILD)/fuzz/libinvsync.a: $(call objs,$(BUILD)/fuzz/obj,$(CORE_SRCS) \
                            $(CORE_CXX))
	$(call archive,$^)

$(BUILD)/fuzz/fuzz_%: t/fuzz/fuzz_%.c $(BUILD)/fuzz/libinvsync.a
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -c $< -o $@.o
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer $@.o -o $@ \
	    $(BUILD)/fuzz/libinvsync.a $(LIBS)

# fuzz_routing: the routing reader and the decision too
FUZZ_ROUTE  := $(ROUTE_SRCS) $(RT_SRCS)

$(BUILD)/fuzz/libinvsync_route.a: $(call objs,$(BUILD)/fuzz/obj,$(FUZZ_ROUTE))
	$(call archive,$^)

$(BUILD)/fuzz/fuzz_routing: t/fuzz/fuzz_routing.c \
        $(BUILD)/fuzz/libinvsync_route.a $(BUILD)/fuzz/libinvsync.a
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -c $< -o $@.o
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer $@.o -o $@ \
	    $(BUILD)/fuzz/libinvsync_route.a $(BUILD)/fuzz/libinvsync.a $(LIBS)

# fuzz_pairs: the ledger reader of routing's HGETALLs (src/runtime)
$(BUILD)/fuzz/fuzz_pairs: t/fuzz/fuzz_pairs.c \
        $(BUILD)/fuzz/libinvsync_route.a $(BUILD)/fuzz/libinvsync.a
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -c $< -o $@.o
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer $@.o -o $@ \
	    $(BUILD)/fuzz/libinvsync_route.a $(BUILD)/fuzz/libinvsync.a $(LIBS) \
	    $(WORKER_LIBS)

# fuzz_journal: the journal's line builder (a pure function of actions/)
FUZZ_JOURNAL := src/actions/refund/invsync_journal_lines.c

$(BUILD)/fuzz/fuzz_journal: t/fuzz/fuzz_journal.c \
        $(call objs,$(BUILD)/fuzz/obj,$(FUZZ_JOURNAL)) $(BUILD)/fuzz/libinvsync.a
	$(FUZZ_CC) $(ALL_CFLAGS) $(FUZZ_FLAGS) -c $< -o $@.o
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer $@.o -o $@ \
	    $(call objs,$(BUILD)/fuzz/obj,$(FUZZ_JOURNAL)) \
	    $(BUILD)/fuzz/libinvsync.a $(LIBS)

$(BUILD)/fuzz/seeds.stamp: t/fuzz/seeds.pl $(FUZZ_INPUTS)
	@mkdir -p $(dir $@)
	perl t/fuzz/seeds.pl $(BUILD)/fuzz
	touch $@

fuzz-build: $(FUZZ_BINS) $(BUILD)/fuzz/seeds.stamp

fuzz: fuzz-build
	@for t in $(FUZZ_NAMES); do \
	    t/fuzz/run $(BUILD) $$t $(FUZZ_SECONDS) || exit 1; \
	done

# CI's run is reproducible: a fixed seed and a fixed number of inputs per
# target (the time only a cap), so that a run that passed here passes on
# CI; `make fuzz` explores, with a new seed each time
fuzz-ci:
	FUZZ_SEED=1 FUZZ_RUNS=200000 $(MAKE) fuzz FUZZ_SECONDS=300

# the fault run (t/chaos/run, docs/reliability.md): signed webhooks
# delivered several times while workers, nginx workers and Redis are
# killed, then the sender's record against the stream, the orders, the
# ledger and the audit; twice, the second time with the workers held back
# until half of the deliveries are in, so that the faults meet them
# working through a backlog.  Sizes from CHAOS_* in the environment; `make
# chaos` is the full run (20,000 orders x 3), `make chaos-ci` CI's short
# one (1,500 orders x 3, each kind of fault once; the backlog shape
# without fulfilment, CHAOS_SHIP=0, to keep CI's time: each shape with it
# waits out the 20 s lease of the shipments a kill leaves in flight).
CHAOS_CI    := CHAOS_ORDERS=$${CHAOS_ORDERS:-1500} CHAOS_KILLS=1 \
               CHAOS_NGINX_KILLS=1 CHAOS_REDIS_RESTARTS=1

chaos: all
	t/chaos/run
	CHAOS_BACKLOG=50 t/chaos/run

chaos-ci: all
	$(CHAOS_CI) t/chaos/run
	$(CHAOS_CI) CHAOS_BACKLOG=50 CHAOS_SHIP=0 t/chaos/run

bench: all $(BUILD)/t/bench_route $(BUILD)/t/bench_route_ledger
	t/bench/run

# the JSON body check alone, on the fixtures' orders (docs/performance.md)
BENCH_JSON_FILES ?= $(wildcard t/fixtures/shopify/*/body.json)

$(BUILD)/t/bench_json_check: t/bench/json_check.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< -o $@ $(LIB) $(LIBS)

bench-json: $(BUILD)/t/bench_json_check
	$< $(BENCH_JSON_FILES)

# the README's first command: Redis, nginx with the module, the worker and
# the channels' simulators on loopback, and the story of t/demo/story.
# No prerequisite: t/demo/run installs the missing packages, then builds.
demo:
	t/demo/run

# the Debian packages libnginx-mod-http-invsync and invsync, in
# $(BUILD)/deb, from what `make` built (src/pkg/deb/README.md)
deb: all
	NGINX_SRC=$(NGINX_SRC) src/pkg/deb/build $(BUILD) $(BUILD)/deb

# the house style, and the layering: includes point down, no channel named
# outside src/channels (docs/architecture.md)
lint:
	perl .ci/lint-style $(CORE_SRCS) $(CORE_CXX) $(RT_SRCS) $(WORKER_SRCS) \
	    $(CTL_SRCS) $(HDRS) $(MOD_SRCS) $(UNIT_SRCS) $(UNIT_TAP) $(UNIT_HDRS) \
	    $(wildcard t/fuzz/*.c t/bench/*.c)
	perl .ci/check-layers .

clean:
	rm -rf $(BUILD)
