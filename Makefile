# Outpost build entry points. `make help` lists the targets.
#
# The host build and the tests use SwiftPM. The firmware (Embedded Swift, -no-allocations) is built
# here with swiftc and the board's gcc, because SwiftPM's link step for a `-none-` triple passes
# bare-metal flags that a Linux gcc refuses (docs/BUILDING.md).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

SWIFT ?= swift
SWIFTC ?= swiftc
# Extra SwiftPM options, e.g. SWIFTPM_FLAGS="--scratch-path /tmp/sp-me" to keep a private build folder.
SWIFTPM_FLAGS ?=
ARCH ?= aarch64
PROFILE ?= medium

ARCHS := aarch64 armv7 x86_64
PROFILES := low medium high test
BUILD := build
FW := $(BUILD)/firmware

# ---- per-architecture settings ----------------------------------------------------------------
SWIFT_TARGET_aarch64 := -target aarch64-none-none-elf
SWIFT_TARGET_armv7 := -target armv7-none-none-eabi -Xcc -mfloat-abi=hard -Xcc -mfpu=vfpv3-d16
SWIFT_TARGET_x86_64 := -target x86_64-unknown-linux-gnu
CC_aarch64 := aarch64-linux-gnu-gcc
CC_armv7 := arm-linux-gnueabihf-gcc
CC_x86_64 := gcc
# The Swift objects use the VFP register calling convention: the C side must match it.
CARCH_aarch64 :=
CARCH_armv7 := -march=armv7-a -mfpu=vfpv3-d16 -mfloat-abi=hard
CARCH_x86_64 :=
# aarch64 kernels use 4, 16 (Raspberry Pi 5) or 64 KiB pages, and ld aligns segments for 64 KiB by
# default, which pads the file by up to 64 KiB. 16 KiB alignment loads on 4 and 16 KiB kernels;
# build with AARCH64_PAGE_BYTES=65536 for a 64 KiB-page kernel.
AARCH64_PAGE_BYTES ?= 16384
LDARCH_aarch64 := -Wl,-z,max-page-size=$(AARCH64_PAGE_BYTES)
LDARCH_armv7 :=
LDARCH_x86_64 :=
# Link mode (docs/BUILDING.md, "Link mode"). The ARM boards link dynamically against the board's
# glibc: a static glibc costs about 600 KB on aarch64 (the low profile's whole budget is
# 256 KiB), and the board's libc pages are shared by all of its processes. The x86_64 firmware is
# static-pie: mapped glibc (libc, ld.so, libm, whole 64 KiB fault-around chunks) kept 1.7 MiB
# resident of the 2 MiB RSS target; linked statically only the parts the daemon calls are mapped,
# and it stays position independent (ASLR). LD_PRELOAD cannot enter a static binary: the interop
# malloc counter runs `outpost-dynamic`, the same objects linked the ARM way.
LINK_aarch64 :=
LINK_armv7 :=
LINK_x86_64 := -static-pie
# The ARM boards link with LLVM's lld (shipped with the Swift toolchain) through the board's gcc,
# which still supplies glibc and its start files. GNU ld pads the file so that the RELRO region
# ends on a max-page-size (16 KiB) boundary: up to 16 KiB of zeros in every aarch64 binary (7 KiB
# in the low profile's, 3 % of its 256 KiB budget). lld keeps RELRO and pads only in memory
# (a .relro_padding NOBITS section); it also maps .rodata without execute permission. gcc finds
# `ld.lld` only in its -B folders, so a folder holding a link to the toolchain's ld.lld is passed.
LLD := $(shell command -v ld.lld 2>/dev/null)
LLD_BIN := $(BUILD)/firmware/lld-bin
LDUSE_aarch64 := -B$(LLD_BIN) -fuse-ld=lld
LDUSE_armv7 := -B$(LLD_BIN) -fuse-ld=lld
LDUSE_x86_64 :=
LDDEP_aarch64 := $(LLD_BIN)/ld.lld
LDDEP_armv7 := $(LLD_BIN)/ld.lld
LDDEP_x86_64 :=
# Link-time optimisation for the boards linked by lld: swiftc writes LLVM bitcode objects and lld
# optimises and generates code for the three Swift modules as one program (code only the daemon
# reaches, inlining across modules): 25 KB less on aarch64 low. GNU ld (x86_64) cannot read bitcode.
# The -no-allocations check still runs in each swiftc; the nm check runs on the linked binary.
LTO_aarch64 := -lto=llvm-full
LTO_armv7 := -lto=llvm-full
LTO_x86_64 :=
BINUTILS_aarch64 := aarch64-linux-gnu-
BINUTILS_armv7 := arm-linux-gnueabihf-
BINUTILS_x86_64 :=

# ---- per-profile settings ---------------------------------------------------------------------
# Size of CHAL's static arena (.bss): the profile type's `arenaBytes` (Profiles/<name>/), repeated here because
# make cannot read Swift; ProfileFactsTests fails when the two differ. It holds the profile's core state (pipeline and server, whose
# limits the footprint tests assert: 64 KiB, 1 MiB, 4 MiB) plus the daemon's I/O buffers (console,
# receive/send batches, replay input). Pages never touched cost no resident memory.
ARENA_BYTES_low := 262144
ARENA_BYTES_test := 262144
ARENA_BYTES_medium := 3145728
ARENA_BYTES_high := 6291456
PROFILE_DEFINE_low := -D OUTPOST_PROFILE_LOW
PROFILE_DEFINE_medium :=
PROFILE_DEFINE_high := -D OUTPOST_PROFILE_HIGH
PROFILE_DEFINE_test := -D OUTPOST_PROFILE_TEST

# TLS and DTLS (Sources/CHAL/chal_tls.c, chal_dtls.c) on Debian's mbedTLS 2.28, linked from its
# static libraries so the binary needs no library path under qemu or on the board. The low profile
# leaves it out: mbedTLS alone is about 300 KiB on aarch64 against the low profile's 256 KiB
# stripped budget (docs/SECURITY.md, "Footprint"); CHAL then answers every TLS call
# CHAL_EOPNOTSUPP and the daemon refuses --listen-dtls.
TLS_low :=
TLS_medium := yes
TLS_high := yes
TLS_test := yes
TLS_TRIPLE_aarch64 := aarch64-linux-gnu
TLS_TRIPLE_armv7 := arm-linux-gnueabihf
TLS_TRIPLE_x86_64 := x86_64-linux-gnu
TLS_LIBS = $(foreach l,mbedtls mbedx509 mbedcrypto,/usr/lib/$(TLS_TRIPLE_$(1))/lib$(l).a)
# The headers are the same for every architecture (Debian's multiarch packages share them), but a
# cross gcc does not search /usr/include: a folder holding only a link to them keeps the host's
# other headers out of the board's compile.
TLS_INCLUDE := $(BUILD)/firmware/tls-include
TLS_CFLAGS = $(if $(TLS_$(1)),-DCHAL_WITH_MBEDTLS -I$(TLS_INCLUDE))

# ---- sources ----------------------------------------------------------------------------------
# As SwiftPM does, every file under a target's folder, subfolders included.
CORE_SOURCES := $(sort $(shell find Sources/OutpostCore -name '*.swift'))
PROFILE_SOURCES := $(sort $(shell find Profiles -name '*.swift'))
DAEMON_SOURCES := $(sort $(shell find Sources/outpost -name '*.swift'))
HAL_C := $(sort $(shell find Sources/CHAL -name '*.c'))
MODELS_C := $(sort $(shell find Sources/CProfileModels -name '*.c'))
C_HEADERS := $(wildcard Sources/CHAL/include/*) $(wildcard Sources/CProfileModels/include/*)
# A main.swift holds top-level code; without one the daemon's entry point is an @main type.
DAEMON_PARSE := $(if $(filter %/main.swift,$(DAEMON_SOURCES)),,-parse-as-library)

EMBEDDED_FLAGS := -enable-experimental-feature Embedded -wmo -Osize -no-allocations -Xcc -fPIC \
	-Xfrontend -function-sections -Xfrontend -disable-stack-protector
# No unwind tables: nothing unwinds through the firmware's C (Embedded Swift has no exceptions, the C
# none), and .eh_frame is dead weight against the low profile's size budget.
C_FLAGS := -Os -ffunction-sections -fdata-sections -fPIC -Wall -fno-asynchronous-unwind-tables -fno-unwind-tables \
	-ISources/CHAL/include -ISources/CProfileModels/include
# A Swift allocation entry point in a firmware binary means something allocates: fail the build.
FORBIDDEN_SYMBOLS := swift_allocObject|swift_slowAlloc|swift_allocBox

# The firmware set `make test` builds and `make bench` measures: every arch x low/medium/high,
# plus the test profile once.
FIRMWARE_SET := $(foreach a,$(ARCHS),$(foreach p,low medium high,$(FW)/$(a)-$(p)/outpost)) \
	$(FW)/aarch64-test/outpost

.PHONY: help build test run interop-test models firmware firmware-set firmware-budget qemu-test bench fuzz clean tools check-args deb

help:
	@echo "Outpost make targets"
	@echo "  make build                 swift build (host: daemon, outpost-tool, bench, tests' deps)"
	@echo "  make test                  everything CI runs: tools, build, swift test, firmware, qemu-test, interop, fuzz smoke"
	@echo "  make run                   the host daemon (medium): CoAP on 127.0.0.1:5683, dashboard on http://127.0.0.1:8080/ (RUN_FLAGS=... adds flags)"
	@echo "  make interop-test          libcoap/aiocoap/serial interop and zero allocations through real sockets"
	@echo "  make models                retrain and bake the profiles' forests (scripts/make-models.sh)"
	@echo "  make firmware ARCH=aarch64|armv7|x86_64 PROFILE=low|medium|high|test"
	@echo "                             -> $(FW)/<arch>-<profile>/outpost (+ outpost.stripped)"
	@echo "  make firmware-set          the firmware set of make test (all arches x low/medium/high, aarch64-test), then firmware-budget"
	@echo "  make firmware-budget       fail when a built firmware is over its stripped-size budget (aarch64 low: 256 KiB)"
	@echo "  make deb ARCH=aarch64|armv7|x86_64 PROFILE=low|medium|high"
	@echo "                             -> $(BUILD)/deb/outpost_<version>_<arm64|armhf|amd64>.deb (scripts/make-deb.sh)"
	@echo "  make qemu-test             firmware under qemu-user: --self-test, replay byte-identical to host"
	@echo "  make bench                 benchmarks -> $(BUILD)/bench/results.json"
	@echo "  make fuzz                  fuzzers (scripts/fuzz.sh; FUZZ_SECONDS=5 per target, FUZZ_TARGETS=...)"
	@echo "  make clean                 remove $(BUILD)/ and SwiftPM's build folder"
	@echo "Variables: SWIFTPM_FLAGS (e.g. --scratch-path /tmp/sp-me), ARCH, PROFILE. Tool installs: scripts/ensure-tools.sh"

tools:
	@scripts/ensure-tools.sh cross qemu peers venv tls browser deb operator

build:
	$(SWIFT) build $(SWIFTPM_FLAGS)

test:
	@SWIFT="$(SWIFT)" SWIFTPM_FLAGS="$(SWIFTPM_FLAGS)" MAKE="$(MAKE)" scripts/test-all.sh

# The daemon with the default (medium) profile on CoAP's port on loopback; Ctrl-C stops it.
# RUN_FLAGS adds daemon flags, e.g. RUN_FLAGS="--serial /dev/ttyUSB0@115200:slip".
RUN_FLAGS ?=
run:
	$(SWIFT) build $(SWIFTPM_FLAGS) --product outpost
	bin="$$($(SWIFT) build $(SWIFTPM_FLAGS) --show-bin-path)"; \
	echo "outpost: dashboard at http://127.0.0.1:8080/ (Prometheus: http://127.0.0.1:8080/metrics)"; \
	exec "$$bin/outpost" --listen 127.0.0.1:5683 --http 127.0.0.1:8080 $(RUN_FLAGS)

# The interop checks of make test on their own (libcoap, aiocoap, serial, zero allocations).
interop-test:
	@SWIFT="$(SWIFT)" SWIFTPM_FLAGS="$(SWIFTPM_FLAGS)" MAKE="$(MAKE)" scripts/interop-test.sh

# OUTPOST_SCRATCH_PATH (environment) selects make-models.sh's SwiftPM scratch folder.
models:
	@if [ -f scripts/make-models.sh ]; then \
		bash scripts/make-models.sh; \
	else \
		echo "make models: scripts/make-models.sh does not exist yet (written by the tools engineer)" >&2; exit 1; \
	fi

# FUZZ_SECONDS per target (default 5), FUZZ_TARGETS (default: all of scripts/fuzz.sh).
FUZZ_SECONDS ?= 5
FUZZ_TARGETS ?=
fuzz:
	@if [ -f scripts/fuzz.sh ]; then \
		bash scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS); \
	else \
		echo "make fuzz: scripts/fuzz.sh does not exist yet (the fuzzers are being written); nothing was fuzzed" >&2; exit 1; \
	fi

clean:
	rm -rf $(BUILD)
	$(SWIFT) package $(SWIFTPM_FLAGS) clean

# ---- firmware ---------------------------------------------------------------------------------
check-args:
	@case " $(ARCHS) " in *" $(ARCH) "*) ;; *) echo "ARCH must be one of: $(ARCHS) (got '$(ARCH)')" >&2; exit 2;; esac
	@case " $(PROFILES) " in *" $(PROFILE) "*) ;; *) echo "PROFILE must be one of: $(PROFILES) (got '$(PROFILE)')" >&2; exit 2;; esac

firmware: check-args
	@scripts/ensure-tools.sh cross tls
	@$(MAKE) --no-print-directory $(FW)/$(ARCH)-$(PROFILE)/outpost

# A Debian package of one firmware (binary, systemd unit, example config, man page): scripts/make-deb.sh.
deb: check-args
	@case "$(PROFILE)" in test) echo "make deb: PROFILE must be low, medium or high (test is for the tests)" >&2; exit 2;; esac
	@scripts/ensure-tools.sh cross deb
	@$(MAKE) --no-print-directory $(FW)/$(ARCH)-$(PROFILE)/outpost
	@scripts/make-deb.sh $(ARCH) $(PROFILE)

firmware-set:
	@scripts/ensure-tools.sh cross tls
	@$(MAKE) --no-print-directory --keep-going $(FIRMWARE_SET)
	@$(MAKE) --no-print-directory firmware-budget

# Stripped-size budgets, ARCH-PROFILE:BYTES (docs/BUILDING.md, "Size budget"): firmware-set (so
# `make test` and `make bench`) fails when a built firmware is over its budget.
FIRMWARE_BUDGETS := aarch64-low:262144
firmware-budget:
	@status=0; \
	for entry in $(FIRMWARE_BUDGETS); do \
		name=$${entry%%:*}; max=$${entry##*:}; stripped=$(FW)/$$name/outpost.stripped; \
		if [ ! -f "$$stripped" ]; then \
			echo "FAIL: $$stripped does not exist: build it first (make firmware ARCH=$${name%%-*} PROFILE=$${name#*-})" >&2; status=1; continue; \
		fi; \
		bytes=$$(stat -c %s "$$stripped"); \
		if [ "$$bytes" -gt "$$max" ]; then \
			echo "FAIL: $$name firmware is $$bytes bytes stripped, over its budget of $$max by $$((bytes - max)) (docs/BUILDING.md, \"Size budget\")" >&2; status=1; \
		else \
			echo "budget  $$name  $$bytes of $$max bytes stripped ($$((max - bytes)) to spare)"; \
		fi; \
	done; \
	exit $$status

# swiftc leaves an object file untouched when its contents did not change, so each Swift rule
# touches its target: otherwise make would see it as out of date forever.
#
# The modules a firmware is made of, per architecture (they do not depend on the profile):
# OutpostCore, then OutpostProfiles (all profiles; imports OutpostCore and CProfileModels).
define ARCH_RULES
$(FW)/obj/$(1)/OutpostCore.o: $(CORE_SOURCES) Makefile
	@mkdir -p $$(@D)
	@echo "swiftc  $(1)  OutpostCore"
	@$(SWIFTC) $(SWIFT_TARGET_$(1)) $(EMBEDDED_FLAGS) $(LTO_$(1)) -parse-as-library -module-name OutpostCore \
		-module-cache-path $(FW)/obj/$(1)/module-cache \
		-emit-module -emit-module-path $(FW)/obj/$(1)/OutpostCore.swiftmodule \
		$(CORE_SOURCES) -c -o $$@
	@touch $$@

$(FW)/obj/$(1)/OutpostProfiles.o: $(PROFILE_SOURCES) $(FW)/obj/$(1)/OutpostCore.o $(C_HEADERS)
	@echo "swiftc  $(1)  OutpostProfiles"
	@$(SWIFTC) $(SWIFT_TARGET_$(1)) $(EMBEDDED_FLAGS) $(LTO_$(1)) -parse-as-library -module-name OutpostProfiles \
		-module-cache-path $(FW)/obj/$(1)/module-cache \
		-I $(FW)/obj/$(1) -I Sources/CHAL/include -I Sources/CProfileModels/include \
		-emit-module -emit-module-path $(FW)/obj/$(1)/OutpostProfiles.swiftmodule \
		$(PROFILE_SOURCES) -c -o $$@
	@touch $$@
endef

# One firmware binary per architecture and profile: the daemon as the main module, the C HAL and
# the baked models compiled by the board's gcc, linked by that gcc against the board's glibc.
define FIRMWARE_RULES
$(FW)/$(1)-$(2)/obj/outpost.o: $(DAEMON_SOURCES) $(FW)/obj/$(1)/OutpostProfiles.o $(C_HEADERS)
	@mkdir -p $$(@D)
	@echo "swiftc  $(1)-$(2)  outpost"
	@$(SWIFTC) $(SWIFT_TARGET_$(1)) $(EMBEDDED_FLAGS) $(LTO_$(1)) $(DAEMON_PARSE) $(PROFILE_DEFINE_$(2)) -module-name outpost \
		-module-cache-path $(FW)/$(1)-$(2)/obj/module-cache \
		-I $(FW)/obj/$(1) -I Sources/CHAL/include -I Sources/CProfileModels/include \
		$(DAEMON_SOURCES) -c -o $$@
	@touch $$@

$(FW)/$(1)-$(2)/obj/c/%.o: Sources/%.c $(C_HEADERS) Makefile $(if $(TLS_$(2)),$(TLS_INCLUDE)/mbedtls)
	@mkdir -p $$(@D)
	@$(CC_$(1)) $(CARCH_$(1)) $(C_FLAGS) $(call TLS_CFLAGS,$(2)) -DOUTPOST_ARENA_BYTES=$(ARENA_BYTES_$(2)) -c $$< -o $$@

$(FW)/$(1)-$(2)/outpost: $(FW)/$(1)-$(2)/obj/outpost.o $(FW)/obj/$(1)/OutpostCore.o $(FW)/obj/$(1)/OutpostProfiles.o \
		$(patsubst Sources/%.c,$(FW)/$(1)-$(2)/obj/c/%.o,$(HAL_C) $(MODELS_C)) | $(LDDEP_$(1))
	@echo "link    $(1)-$(2)"
	@$(CC_$(1)) $(CARCH_$(1)) $(LDARCH_$(1)) $(LDUSE_$(1)) $(LINK_$(1)) $$^ $(if $(TLS_$(2)),$(call TLS_LIBS,$(1))) -Wl,--gc-sections -lm -o $$@.tmp
	@if $(BINUTILS_$(1))nm $$@.tmp | grep -E '$(FORBIDDEN_SYMBOLS)'; then \
		echo "FAIL: $(1)-$(2) firmware references a Swift allocation entry point (above)" >&2; rm -f $$@.tmp $$@ $$@.stripped; exit 1; \
	fi
	@$(BINUTILS_$(1))strip -o $$@.stripped $$@.tmp
	@mv $$@.tmp $$@
	@echo "built   $$@  ($$$$(stat -c %s $$@.stripped) bytes stripped, no Swift allocation symbols)"

# The same objects linked dynamically whatever LINK_$(1) says: for LD_PRELOAD tools (the interop
# malloc counter), which a static binary ignores.
$(FW)/$(1)-$(2)/outpost-dynamic: $(FW)/$(1)-$(2)/obj/outpost.o $(FW)/obj/$(1)/OutpostCore.o $(FW)/obj/$(1)/OutpostProfiles.o \
		$(patsubst Sources/%.c,$(FW)/$(1)-$(2)/obj/c/%.o,$(HAL_C) $(MODELS_C)) | $(LDDEP_$(1))
	@echo "link    $(1)-$(2)  (dynamic)"
	@$(CC_$(1)) $(CARCH_$(1)) $(LDARCH_$(1)) $(LDUSE_$(1)) $$^ $(if $(TLS_$(2)),$(call TLS_LIBS,$(1))) -Wl,--gc-sections -lm -o $$@.tmp
	@if $(BINUTILS_$(1))nm $$@.tmp | grep -E '$(FORBIDDEN_SYMBOLS)'; then \
		echo "FAIL: $(1)-$(2) firmware references a Swift allocation entry point (above)" >&2; rm -f $$@.tmp $$@; exit 1; \
	fi
	@mv $$@.tmp $$@
endef

$(LLD_BIN)/ld.lld:
	@if [ -z "$(LLD)" ]; then echo "ld.lld not found: it comes with the Swift toolchain (docs/BUILDING.md)" >&2; exit 1; fi
	@mkdir -p $(@D)
	@ln -sfn "$(LLD)" $@

$(TLS_INCLUDE)/mbedtls:
	@mkdir -p $(@D)
	@ln -sfn /usr/include/mbedtls $@

# ---- CRC-32C shim (Sources/CCRC32C) -------------------------------------------------------------
# OutpostCore imports the C module CCRC32C (hardware CRC-32C behind a CPU check, <stdint.h>-only
# header): every Embedded swiftc needs its include folder, and every firmware links its object.
CRC_C := $(sort $(shell find Sources/CCRC32C -name '*.c'))
EMBEDDED_FLAGS += -I Sources/CCRC32C/include
C_FLAGS += -ISources/CCRC32C/include
C_HEADERS += $(wildcard Sources/CCRC32C/include/*)
$(foreach a,$(ARCHS),$(eval $(FW)/obj/$(a)/OutpostCore.o: $(wildcard Sources/CCRC32C/include/*)))
$(foreach a,$(ARCHS),$(foreach p,$(PROFILES),$(eval \
	$(FW)/$(a)-$(p)/outpost $(FW)/$(a)-$(p)/outpost-dynamic: $(patsubst Sources/%.c,$(FW)/$(a)-$(p)/obj/c/%.o,$(CRC_C)))))

$(foreach a,$(ARCHS),$(eval $(call ARCH_RULES,$(a))))
$(foreach a,$(ARCHS),$(foreach p,$(PROFILES),$(eval $(call FIRMWARE_RULES,$(a),$(p)))))

# ---- qemu and benchmarks ----------------------------------------------------------------------
qemu-test:
	@scripts/ensure-tools.sh cross qemu peers venv tls
	@SWIFT="$(SWIFT)" SWIFTPM_FLAGS="$(SWIFTPM_FLAGS)" MAKE="$(MAKE)" scripts/qemu-test.sh

bench:
	@scripts/ensure-tools.sh cross
	@SWIFT="$(SWIFT)" SWIFTPM_FLAGS="$(SWIFTPM_FLAGS)" MAKE="$(MAKE)" scripts/bench.sh
