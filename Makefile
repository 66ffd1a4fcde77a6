# TinyVMI build.  Plain GNU make; every source file under src/ goes into the
# library, every tools/vmi-*.c is a tool, every tests/*/test_*.c a test.
#
#   make                 library (static + shared), tools, tests, benchmarks, examples
#   make check           unit tests, then integration tests on real guest images
#   make check-unit      unit tests only (no guest images needed)
#   make check-seam      the core calls the host only through src/util/sys.h
#   make check-freestanding  the core compiled with -ffreestanding against src/util/libc
#   make static          tools linked with -static
#   make bench           build and run the benchmarks
#   make install PREFIX=/usr/local
#   make SAN=1 ...       build with AddressSanitizer + UBSan
#   make CC=clang ...    any C11 compiler
#   make docs            the documentation site in build/site (docs/ + generated pages)
#   make check-docs      the documentation test: API comments, quick starts, browser
#   make fuzz            libFuzzer harnesses (tests/fuzz/, clang) in build-fuzz/fuzz;
#                        run one as build-fuzz/fuzz/fuzz_elf CORPUS_DIR
#   make fuzz-run SECONDS=N  every harness N s from real seeds, edges printed

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
O       ?= build

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-unused-parameter -Wformat=2 -Wvla
# OPT is the optimisation; CFLAGS given on the command line add to the
# flags the build needs instead of replacing them.
OPT     ?= -O2 -g
CFLAGS  ?=
PIC     ?= -fPIC
# Hidden by default: only what the public headers mark (visibility push
# default) leaves the library; tinyvmi.map says the same to the linker.
override CFLAGS += $(OPT) -std=c11 -D_GNU_SOURCE $(WARN) $(PIC) -fvisibility=hidden -Iinclude -Isrc
LDFLAGS ?=
LDLIBS  ?=

ifeq ($(SAN),1)
  override CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
  LDFLAGS += -fsanitize=address,undefined
  O       := build-san
endif
# The fuzzing build: the library instrumented for libFuzzer, ASan and UBSan.
ifeq ($(FUZZ),1)
  CC      := clang
  override CFLAGS += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=all
  LDFLAGS += -fsanitize=fuzzer,address,undefined
  O       := build-fuzz
endif
ifeq ($(WERROR),1)
  override CFLAGS += -Werror
endif

# Optional drivers are found at build time (see mk/detect.mk once they exist).
-include mk/*.mk

LIB_SRC   := $(sort $(wildcard src/*/*.c src/*/*/*.c))
# The live-QEMU driver (src/driver/qemu*.c) is in unless QEMU=0: a tool for
# memory images alone (or a minimal domain's) can leave it out.
QEMU ?= 1
ifeq ($(QEMU),0)
  LIB_SRC := $(filter-out src/driver/qemu%,$(LIB_SRC))
else
  override CFLAGS += -DTINYVMI_QEMU=1
endif
LIB_OBJ   := $(LIB_SRC:%.c=$(O)/obj/%.o)
TOOL_COMMON_SRC := $(wildcard tools/common/*.c)
TOOL_COMMON_OBJ := $(TOOL_COMMON_SRC:%.c=$(O)/obj/%.o)
TOOL_SRC  := $(wildcard tools/vmi-*.c)
TOOLS     := $(TOOL_SRC:tools/%.c=$(O)/bin/%)
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(O)/tests/unit/%)
INTEG_SRC := $(wildcard tests/integration/test_*.c)
INTEG_BIN := $(INTEG_SRC:tests/integration/%.c=$(O)/tests/integration/%)
TEST_HELPER_SRC := $(wildcard tests/helpers/*.c)
TEST_HELPER_BIN := $(TEST_HELPER_SRC:tests/helpers/%.c=$(O)/tests/helpers/%)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN  := $(FUZZ_SRC:tests/fuzz/%.c=$(O)/fuzz/%)
# Examples that need only LibVMI's headers; those that include glib are
# built by tests/integration/examples.sh with glib's flags.
EXAMPLE_SRC := $(shell grep -L '<glib.h>' examples/*.c)
EXAMPLE_BIN := $(EXAMPLE_SRC:examples/%.c=$(O)/examples/%)
BENCH_SRC := $(wildcard bench/bench_*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(O)/bench/%)

STATIC_LIB := $(O)/lib/libtinyvmi.a
SHARED_LIB := $(O)/lib/libtinyvmi.so

.PHONY: all lib tools tests bench check check-unit check-integration static libs-private \
        install clean guests fuzz fuzz-bin fuzz-run docs check-docs check-seam check-freestanding
all: lib tools tests $(BENCH_BIN) $(EXAMPLE_BIN)

lib: $(STATIC_LIB) $(SHARED_LIB)
tools: $(TOOLS)
tests: $(UNIT_BIN) $(INTEG_BIN) $(TEST_HELPER_BIN)

# V=1 shows whole command lines.
ifeq ($(V),1)
  Q :=
  say = @true
else
  Q := @
  say = @echo "  $(1)	$(2)"
endif

$(O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS) -Itools -MMD -MP -c $< -o $@

$(STATIC_LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(call say,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(SHARED_LIB): $(LIB_OBJ) tinyvmi.map
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) -shared $(LDFLAGS) -Wl,-soname,libtinyvmi.so.0 -Wl,--version-script=tinyvmi.map \
	    -o $@ $(LIB_OBJ) $(LDLIBS)

# Tools and tests link the static library: no runtime dependency beyond libc.
$(O)/bin/%: tools/%.c $(TOOL_COMMON_OBJ) $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -MF $(@D)/.$(@F).d -Itools $(LDFLAGS) -o $@ $< $(TOOL_COMMON_OBJ) $(STATIC_LIB) $(LDLIBS) $(TOOL_LDFLAGS)

# Unit tests and fuzzers also see the tools' pure parsers (tools/common);
# their objects are kept, not removed as intermediates.
.SECONDARY: $(TOOL_COMMON_OBJ)
$(O)/tests/unit/%: tests/unit/%.c tests/unit/test.h $(TOOL_COMMON_OBJ) $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -MF $(@D)/.$(@F).d -Itests/unit -Itools $(LDFLAGS) -o $@ $< $(TOOL_COMMON_OBJ) $(STATIC_LIB) $(LDLIBS)

$(O)/tests/integration/%: tests/integration/%.c tests/integration/guest.h $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -MF $(@D)/.$(@F).d -Itests/unit -Itests/integration $(LDFLAGS) -o $@ $< $(STATIC_LIB) $(LDLIBS)

$(O)/tests/helpers/%: tests/helpers/%.c $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -MF $(@D)/.$(@F).d -Itests/helpers $(LDFLAGS) -o $@ $< $(STATIC_LIB) $(LDLIBS)

$(O)/bench/%: bench/%.c $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -MF $(@D)/.$(@F).d -Ibench $(LDFLAGS) -o $@ $< $(STATIC_LIB) $(LDLIBS)

# LibVMI-style programs: LibVMI's headers only, as a LibVMI program builds.
$(O)/examples/%: examples/%.c $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -MF $(@D)/.$(@F).d $(LDFLAGS) -o $@ $< $(STATIC_LIB) $(LDLIBS)

# Harnesses are built only here, never by `all`: they need clang's libFuzzer.
fuzz:
	$(MAKE) FUZZ=1 fuzz-bin
fuzz-bin: $(FUZZ_BIN)

SECONDS ?= 10
fuzz-run: all fuzz
	@sh tests/fuzz/run.sh $(SECONDS) $(O)

$(O)/fuzz/%: tests/fuzz/%.c tests/unit/hostile.h $(TOOL_COMMON_OBJ) $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(call say,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -Itools $(LDFLAGS) -o $@ $< $(TOOL_COMMON_OBJ) $(STATIC_LIB) $(LDLIBS)

check-unit: $(UNIT_BIN)
	@sh tests/run-unit.sh $(O)

# Builds (or reuses) the real guest images, then runs the integration tests.
check-integration: all
	@sh tests/run-integration.sh $(O)

check: check-unit check-integration

# The core's objects reference nothing of the C library beyond
# tests/seam/allowlist: the rest goes through src/util/sys.h.
check-seam: lib
	@sh tests/seam/check.sh $(O)

# The same core compiled with -ffreestanding -nostdinc: the compiler's own
# headers and src/util/libc (the allowlist's declarations) only, the jump
# of the fault guard from the compiler (util/sys.h); then the seam check
# over those objects.
FREE_SRC := $(filter-out src/driver/% src/util/sys_posix.c,$(LIB_SRC))
FREE_OBJ := $(FREE_SRC:%.c=$(O)/free/%.o)
FREE_CFLAGS := $(OPT) -std=c11 $(WARN) -Werror -fvisibility=hidden -ffreestanding -nostdinc \
               -isystem $(shell $(CC) -print-file-name=include) -Isrc/util/libc -Iinclude -Isrc \
               -DTINYVMI_FREESTANDING
$(O)/free/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC-FREE,$<)
	$(Q)$(CC) $(FREE_CFLAGS) -c $< -o $@
check-freestanding: $(FREE_OBJ) lib
	@sh tests/seam/check.sh $(O) $(O)/free/src

guests:
	sh tests/guests/build-guests.sh

# Static tools: with musl when musl-gcc is there (small, no glibc static-link
# caveats), with the default compiler and glibc otherwise.  Built for size:
# -Os with link-time optimisation (gcc-ar keeps the archive's LTO index),
# sections collected, no unwind tables, code not padded into its own pages,
# stripped; no interprocedural SRA (its specialised copies of functions cost
# the image-only vmi-process-list 288 bytes with gcc 12).  The sizes are
# printed.  `make static QEMU=0`: image tools without the live-QEMU driver
# (in build-static-images).
MUSL_GCC := $(shell command -v musl-gcc 2>/dev/null)
STATIC_CC := $(if $(MUSL_GCC),musl-gcc,$(CC))
STATIC_OPT := -Os -flto -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables \
              -fno-unwind-tables -fvisibility=hidden -fno-stack-protector -fno-ipa-sra
STATIC_LD := -static -no-pie -Wl,--gc-sections -s -Wl,--build-id=none -Wl,-z,norelro \
             -Wl,-z,noseparate-code -flto -Os -fno-ipa-sra
# STATIC_O names the output when QEMU=0 (image tools only) so the two builds
# never share objects.
STATIC_O := build-static$(if $(filter 0,$(QEMU)),-images)
static:
	$(MAKE) tools O=$(STATIC_O) CC=$(STATIC_CC) PIC=-fno-pic OPT="$(STATIC_OPT)" \
	        TOOL_LDFLAGS="$(STATIC_LD)" QEMU=$(QEMU) AR=gcc-ar
	@echo "static tools in $(STATIC_O) ($(if $(MUSL_GCC),musl,glibc), stripped; $(if $(filter 0,$(QEMU)),images only,with the QEMU driver)):"; \
	 for t in $(STATIC_O)/bin/vmi-*; do printf '  %-24s %7s bytes\n' $${t##*/} $$(stat -c %s $$t); done

bench: all
	@sh bench/run.sh $(O)

# The site needs the library (for the architecture diagram's symbols) and
# the tools (their --help); figures come from the last `make bench`.
docs: lib tools
	@sh scripts/docs/build.sh $(O)

check-docs: lib tools
	@sh tests/docs/run.sh $(O)

install: all
	install -d $(DESTDIR)$(PREFIX)/include/tinyvmi/libvmi $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	           $(DESTDIR)$(PREFIX)/bin
	install -m 644 include/libvmi/*.h $(DESTDIR)$(PREFIX)/include/tinyvmi/libvmi/
	install -m 644 $(STATIC_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SHARED_LIB) $(DESTDIR)$(PREFIX)/lib/libtinyvmi.so.0
	ln -sf libtinyvmi.so.0 $(DESTDIR)$(PREFIX)/lib/libtinyvmi.so
	install -m 755 $(TOOLS) $(DESTDIR)$(PREFIX)/bin/
	sh scripts/mkman.sh $(O)/bin $(O)/man
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 $(O)/man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|0.1.0|g' \
	  -e 's|@LIBS_PRIVATE@|$(PC_LIBS_PRIVATE)|g' tinyvmi.pc.in \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/tinyvmi.pc

# What a program linking libtinyvmi.a needs after it (a driver's libraries).
libs-private:
	@echo $(PC_LIBS_PRIVATE)

clean:
	rm -rf build build-clang build-san build-static build-static-images build-fuzz

-include $(LIB_OBJ:.o=.d) $(TOOL_COMMON_OBJ:.o=.d)
-include $(foreach b,$(TOOLS) $(UNIT_BIN) $(INTEG_BIN) $(TEST_HELPER_BIN) $(BENCH_BIN) $(EXAMPLE_BIN),$(dir $(b)).$(notdir $(b)).d)
