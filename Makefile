# invsync build: the nginx module (against Debian's nginx-dev tree or
# NGINX_SRC), the portable core library, unit tests, and test targets.

SHELL       := /bin/bash
NGINX_SRC   ?= /usr/share/nginx/src
BUILD       ?= build
CC          ?= cc
CXX         ?= c++
CFLAGS      ?= -O2 -g
WARN        := -Wall -Wextra -Werror
ALL_CFLAGS  := -std=gnu99 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Isrc
ALL_CXXFLAGS := -std=c++17 -fno-rtti $(WARN) $(CFLAGS) -Isrc
LIBS        := -lhiredis -ljansson -lyajl -lsimdjson -lstdc++ -lssl -lcrypto
WORKER_LIBS := -lcurl

CORE_SRCS   := $(filter-out src/invsync_worker% src/invsyncctl%, \
                 $(wildcard src/invsync_*.c))
CORE_CXX    := $(wildcard src/invsync_*.cpp)
CORE_OBJS   := $(CORE_SRCS:src/%.c=$(BUILD)/core/%.o) \
               $(CORE_CXX:src/%.cpp=$(BUILD)/core/%.o)
MOD_SRCS    := $(wildcard ngx_invsync_module/*.c ngx_invsync_module/*.h)
UNIT_SRCS   := $(wildcard t/unit/test_*.c)
UNIT_BINS   := $(UNIT_SRCS:t/unit/test_%.c=$(BUILD)/t/unit_%)

WORKER_SRCS := $(wildcard src/invsync_worker*.c)
CTL_SRCS    := $(wildcard src/invsyncctl*.c)
WORKER      := $(BUILD)/invsync-worker
CTL         := $(BUILD)/invsyncctl

MODULE      := $(BUILD)/ngx_http_invsync_module.so
ASAN_MODULE := $(BUILD)/asan/ngx_http_invsync_module.so
PROVE       ?= prove

.PHONY: all module lib unit test test-unit test-integration asan test-asan \
        test-static bench demo lint clean

all: lib module $(if $(WORKER_SRCS),$(WORKER)) $(if $(CTL_SRCS),$(CTL))

lib: $(BUILD)/libinvsync.a

module: $(MODULE)

src/invsync_scripts.c: src/gen_scripts.pl $(wildcard src/lua/*.lua)
	perl src/gen_scripts.pl src/lua > $@.tmp && mv $@.tmp $@

$(BUILD)/core/%.o: src/%.c src/invsync.h src/invsync_canon.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/core/%.o: src/%.cpp src/invsync.h
	@mkdir -p $(dir $@)
	$(CXX) $(ALL_CXXFLAGS) -c $< -o $@

$(WORKER): $(WORKER_SRCS) src/invsync_worker.h src/invsync_canon.h \
           src/invsync_worker_push.h src/invsync_worker_reconcile.h \
           src/invsync_stock.h $(BUILD)/libinvsync.a
	$(CC) $(ALL_CFLAGS) $(WORKER_SRCS) -o $@ $(BUILD)/libinvsync.a $(LIBS) \
	    $(WORKER_LIBS)

# the CLI shares the worker's configuration, Redis session and logging,
# and its reconciliation pass (which reads the channels with libcurl)
CTL_SHARED  := src/invsync_worker_config.c src/invsync_worker_redis.c \
               src/invsync_worker_log.c src/invsync_worker_reconcile.c \
               src/invsync_worker_http.c src/invsync_worker_exception.c

$(CTL): $(CTL_SRCS) $(CTL_SHARED) src/invsyncctl.h src/invsync_worker.h \
        src/invsync_worker_reconcile.h $(BUILD)/libinvsync.a
	$(CC) $(ALL_CFLAGS) $(CTL_SRCS) $(CTL_SHARED) -o $@ \
	    $(BUILD)/libinvsync.a $(LIBS) $(WORKER_LIBS)

$(BUILD)/libinvsync.a: $(CORE_OBJS)
	rm -f $@
	ar rcs $@ $^

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

$(BUILD)/nginx/objs/Makefile: config
	rm -rf $(BUILD)/nginx
	$(call nginx_build,$(BUILD)/nginx,-g -O2 -fPIC -Wextra \
	    -Wno-unused-parameter -Wno-sign-compare,-fPIC)

$(MODULE): $(BUILD)/nginx/objs/Makefile $(MOD_SRCS) $(CORE_SRCS) $(CORE_CXX) \
           src/invsync.h
	$(MAKE) -C $(BUILD)/nginx -f objs/Makefile modules
	@# a new file, not overwritten in place: a running nginx maps the old one
	cp $(BUILD)/nginx/objs/ngx_http_invsync_module.so $@.tmp && mv $@.tmp $@

$(BUILD)/nginx-asan/objs/Makefile: config
	rm -rf $(BUILD)/nginx-asan
	$(call nginx_build,$(BUILD)/nginx-asan,-g -O1 -fPIC \
	    -fsanitize=address -fno-omit-frame-pointer,-fPIC -fsanitize=address)

$(ASAN_MODULE): $(BUILD)/nginx-asan/objs/Makefile $(MOD_SRCS) $(CORE_SRCS) \
                $(CORE_CXX)
	$(MAKE) -C $(BUILD)/nginx-asan -f objs/Makefile modules
	@mkdir -p $(dir $@)
	cp $(BUILD)/nginx-asan/objs/ngx_http_invsync_module.so $@.tmp \
	    && mv $@.tmp $@

$(BUILD)/t/unit_%: t/unit/test_%.c $(BUILD)/libinvsync.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< -o $@ $(BUILD)/libinvsync.a $(LIBS)

unit: $(UNIT_BINS)

# the README's test command: unit tests, the integration suite, and the
# integration suite again with the module under AddressSanitizer
test: test-unit test-integration test-asan

test-unit: unit
	$(PROVE) --exec '' $(UNIT_BINS)

test-integration: all
	INVSYNC_MODULE=$(CURDIR)/$(MODULE) $(PROVE) t/

# the integration suite again, the module built with AddressSanitizer and
# its runtime preloaded into the system nginx, the programs built with it
ASAN_FLAGS  := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=undefined

$(BUILD)/asan/libinvsync.a: $(CORE_SRCS) $(CORE_CXX) src/invsync.h \
                            src/invsync_canon.h
	@mkdir -p $(BUILD)/asan/core
	cd $(BUILD)/asan/core && for f in $(CORE_SRCS:%=$(CURDIR)/%); do \
	    $(CC) $(ALL_CFLAGS:-Isrc=-I$(CURDIR)/src) $(ASAN_FLAGS) -c $$f \
	    || exit 1; done && for f in $(CORE_CXX:%=$(CURDIR)/%); do \
	    $(CXX) $(ALL_CXXFLAGS:-Isrc=-I$(CURDIR)/src) $(ASAN_FLAGS) -c $$f \
	    || exit 1; done
	rm -f $@ && ar rcs $@ $(BUILD)/asan/core/*.o

$(BUILD)/asan/invsync-worker: $(WORKER_SRCS) $(BUILD)/asan/libinvsync.a
	$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) $(WORKER_SRCS) -o $@ \
	    $(BUILD)/asan/libinvsync.a $(LIBS) $(WORKER_LIBS)

$(BUILD)/asan/invsyncctl: $(CTL_SRCS) $(CTL_SHARED) $(BUILD)/asan/libinvsync.a
	$(CC) $(ALL_CFLAGS) $(ASAN_FLAGS) $(CTL_SRCS) $(CTL_SHARED) -o $@ \
	    $(BUILD)/asan/libinvsync.a $(LIBS) $(WORKER_LIBS)

asan: $(ASAN_MODULE) $(if $(WORKER_SRCS),$(BUILD)/asan/invsync-worker) \
      $(if $(CTL_SRCS),$(BUILD)/asan/invsyncctl)

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

bench: all
	t/bench/run

# the README's first command: Redis and nginx with the module on loopback.
# No prerequisite: t/demo/run installs the missing packages, then builds.
demo:
	t/demo/run

lint:
	perl .ci/lint-style $(CORE_SRCS) $(CORE_CXX) $(MOD_SRCS) $(UNIT_SRCS) \
	    $(WORKER_SRCS) $(CTL_SRCS) $(wildcard src/*.h)

clean:
	rm -rf $(BUILD)
