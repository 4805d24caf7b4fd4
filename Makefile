# kdom — one non-recursive Makefile.
#   make            build build/kdom, the tools and every test guest
#   make check      include directions, formatting, unit + integration tests (SANITIZE=1 for ASan+UBSan)
#   make format     apply .clang-format; make check-layers, make format-check alone
#   make run        boot the hello guest
#   make lab        a shell inside the lab (tests/lab/: nested KVM, VFIO, Linux)
#   V=1 verbose, WERROR=0 to build with warnings allowed

BUILD    := build
CC       ?= gcc
V        ?= 0
WERROR   ?= 1
SANITIZE ?= 0

ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = @printf '  %-7s %s\n' $(1) $(2);
endif

# ---- Host code ----------------------------------------------------------------
HOST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Wno-unused-parameter -MMD -MP \
	-Iinclude -I. -D_GNU_SOURCE -fno-strict-aliasing $(shell pkg-config --cflags jansson)
ifeq ($(WERROR),1)
HOST_CFLAGS += -Werror
endif
HOST_LDFLAGS :=
ifeq ($(SANITIZE),1)
HOST_CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer -O1
HOST_LDFLAGS += -fsanitize=address,undefined
endif
HOST_LIBS := -luring -lpthread $(shell pkg-config --libs jansson)

# The monitor core, devices and role code: linked into kdom and the unit tests.
LIB_SRCS := \
	vmm/log.c \
	vmm/guest-mem.c \
	vmm/host-memory.c \
	vmm/bus.c \
	vmm/kvm.c \
	vmm/vm.c \
	vmm/irq.c \
	vmm/ioeventfd.c \
	vmm/vcpu.c \
	vmm/x86/boot-regs.c \
	vmm/x86/cpuid.c \
	vmm/x86/mptable.c \
	vmm/x86/aml.c \
	vmm/x86/acpi.c \
	vmm/x86/loader.c \
	vmm/x86/loader-pvh.c \
	vmm/x86/loader-linux.c \
	vmm/console.c \
	vmm/event-loop.c \
	vmm/tap.c \
	devices/uart.c \
	devices/i8042.c \
	devices/pvpanic.c \
	devices/post.c \
	devices/hypercall-port.c \
	devices/acpi-pm.c \
	devices/xen/hypercall.c \
	devices/i8254-counter.c \
	devices/i8254.c \
	devices/host-ports.c \
	devices/pci.c \
	devices/virtio/queue.c \
	devices/virtio/pci.c \
	devices/virtio/pci-common.c \
	devices/virtio/pci-irq.c \
	devices/virtio/rng.c \
	devices/virtio/net.c \
	devices/virtio/blk.c \
	devices/virtio/blk-io.c \
	devices/virtio/blk-image.c \
	devices/xen/ops.c \
	devices/xen/ops-info.c \
	devices/xen/ops-sched.c \
	devices/xen/ops-memory.c \
	devices/xen/ops-evtchn.c \
	devices/xen/ops-control.c \
	hv-roles/domain.c \
	hv-roles/domain-config.c \
	hv-roles/hypercall.c \
	hv-roles/roles.c \
	hv-roles/policy.c \
	toolstack/config/xlcfg.c \
	toolstack/config/domain-config.c \
	toolstack/config/pci-spec.c \
	toolstack/config/disk-spec.c \
	toolstack/config/vif-spec.c \
	toolstack/config/xl-keys.c \
	toolstack/config/host-config.c \
	control/protocol.c \
	control/client.c \
	control/state-file.c \
	vfio/host-pci.c \
	vfio/vfio-user-wire.c \
	vfio/vfio-user.c \
	vfio/pci-config.c \
	vfio/vfio-kernel.c \
	vfio/passthrough.c \
	vfio/assign.c \
	machine/machine.c \
	machine/domain-process.c

KDOM_SRCS := toolstack/kdom.c toolstack/cmd-cpuid.c \
	toolstack/cli.c toolstack/cmd-create.c toolstack/cmd-list.c toolstack/cmd-info.c \
	toolstack/cmd-destroy.c toolstack/cmd-shutdown.c toolstack/cmd-pause.c \
	toolstack/cmd-console.c toolstack/cmd-events.c toolstack/cmd-launch.c \
	toolstack/cmd-pci.c toolstack/cmd-run.c

KDOMD_SRCS := toolstack/kdomd.c toolstack/kdomd-clients.c toolstack/kdomd-domains.c \
	toolstack/kdomd-process.c toolstack/kdomd-state.c toolstack/kdomd-manage.c

UNIT_SRCS := \
	tests/unit/main.c \
	tests/unit/helpers.c \
	tests/unit/fake-vm.c \
	tests/unit/test-guest-mem.c \
	tests/unit/test-bus.c \
	tests/unit/test-loader.c \
	tests/unit/test-config.c \
	tests/unit/test-hypercall.c \
	tests/unit/test-devices.c \
	tests/unit/test-cpuid.c \
	tests/unit/test-roles.c \
	tests/unit/test-i8254.c \
	tests/unit/test-protocol.c \
	tests/unit/test-pci.c \
	tests/unit/test-vfio-user.c \
	tests/unit/test-vfio-user-wire.c \
	tests/unit/vfio-sim.c \
	tests/unit/test-pci-config.c \
	tests/unit/test-vfio-kernel.c \
	tests/unit/test-event-loop.c \
	tests/unit/test-xen-page.c \
	tests/unit/test-xen-ops.c \
	tests/unit/test-xl-compat.c \
	tests/unit/test-virtio-queue.c \
	tests/unit/test-virtio-pci.c \
	tests/unit/test-virtio-net.c \
	tests/unit/test-acpi.c \
	tests/unit/test-virtio-blk.c

BENCH_SRCS := bench/kvm-floor.c

LIB_OBJS   := $(LIB_SRCS:%.c=$(BUILD)/%.o)
KDOM_OBJS  := $(KDOM_SRCS:%.c=$(BUILD)/%.o)
KDOMD_OBJS := $(KDOMD_SRCS:%.c=$(BUILD)/%.o)
UNIT_OBJS  := $(UNIT_SRCS:%.c=$(BUILD)/%.o)
BENCH_OBJS := $(BENCH_SRCS:%.c=$(BUILD)/%.o)
HOST_OBJS  := $(LIB_OBJS) $(KDOM_OBJS) $(KDOMD_OBJS) $(UNIT_OBJS) $(BENCH_OBJS)

KDOM       := $(BUILD)/kdom
KDOMD      := $(BUILD)/kdomd
UNIT_TESTS := $(BUILD)/unit-tests
KVM_FLOOR  := $(BUILD)/kvm-floor

.PHONY: all
all: $(KDOM) $(KDOMD) $(KVM_FLOOR) guests

# Host objects are rebuilt when the flags change (SANITIZE=1 <-> 0).
FLAGS_STAMP := $(BUILD)/.host-flags
$(FLAGS_STAMP): FORCE
	@mkdir -p $(@D)
	@echo '$(CC) $(HOST_CFLAGS) $(HOST_LDFLAGS)' | cmp -s - $@ || \
		echo '$(CC) $(HOST_CFLAGS) $(HOST_LDFLAGS)' > $@
.PHONY: FORCE
FORCE:

$(HOST_OBJS): $(BUILD)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(HOST_CFLAGS) -c -o $@ $<

$(BUILD)/libkdom.a: $(LIB_OBJS)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

$(KDOM): $(KDOM_OBJS) $(BUILD)/libkdom.a
	$(call say,LD,$@)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(HOST_LIBS)

$(KDOMD): $(KDOMD_OBJS) $(BUILD)/libkdom.a
	$(call say,LD,$@)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(HOST_LIBS)

$(KVM_FLOOR): $(BENCH_OBJS)
	$(call say,LD,$@)$(CC) $(HOST_LDFLAGS) -o $@ $^

$(UNIT_TESTS): $(UNIT_OBJS) $(BUILD)/libkdom.a
	$(call say,LD,$@)$(CC) $(HOST_LDFLAGS) -o $@ $^ $(HOST_LIBS) \
		$$(pkg-config --libs check)

# ---- Tools: standalone programs that link libc and the vfio-user wire layer only ----
# vfio-user-testdev serves a test PCI device over vfio-user; -check drives it.
TOOLS_SRCS := tools/vfio-user-testdev.c tools/vfio-user-testdev-check.c
TOOLS_OBJS := $(TOOLS_SRCS:%.c=$(BUILD)/%.o)
TOOLS      := $(TOOLS_SRCS:tools/%.c=$(BUILD)/%)
TOOLS_WIRE := $(BUILD)/vfio/vfio-user-wire.o

all: $(TOOLS)
integration-check: $(TOOLS)

$(TOOLS_OBJS): $(BUILD)/%.o: %.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(HOST_CFLAGS) -c -o $@ $<

$(TOOLS): $(BUILD)/%: $(BUILD)/tools/%.o $(TOOLS_WIRE)
	$(call say,LD,$@)$(CC) $(HOST_LDFLAGS) -o $@ $^

-include $(TOOLS_OBJS:.o=.d)

# ---- Test guests (freestanding, never sanitized) ----------------------------------
include tests/guests/guests.mk

# ---- Dependencies, tests, running -----------------------------------------------
.PHONY: deps
deps:
	$(Q)scripts/deps.sh

.PHONY: run
run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(KDOM) run $(GUEST_DIR)/hello.elf

# make check: unit tests here; the integration suites natively where /dev/kvm
# works, else inside the lab; the lab scenarios inside the lab (tests/check).
.PHONY: check unit-check integration-check lab-check lab check-layers
check: deps check-layers format-check
	$(Q)$(MAKE) --no-print-directory all $(UNIT_TESTS)
	$(Q)KDOM=$(KDOM) KDOMD=$(KDOMD) GUEST_DIR=$(GUEST_DIR) UNIT_TESTS=$(UNIT_TESTS) \
		TESTDEV_CHECK=$(BUILD)/vfio-user-testdev-check SANITIZE=$(SANITIZE) tests/check

# Every #include points down the layer table (docs/architecture.md); the
# self-test shows that a wrong-direction include is caught.
check-layers:
	$(Q)scripts/check-layers --self-test
	$(Q)scripts/check-layers

unit-check: $(UNIT_TESTS)
	$(Q)CK_DEFAULT_TIMEOUT=30 $(UNIT_TESTS)

# The integration suites on this machine's own /dev/kvm.
integration-check: $(KDOM) $(KDOMD) guests
	$(Q)KDOM=$(KDOM) GUEST_DIR=$(GUEST_DIR) tests/integration/run-tests
	$(Q)KDOM=$(KDOM) KDOMD=$(KDOMD) GUEST_DIR=$(GUEST_DIR) tests/integration/daemon-tests
	$(Q)$(BUILD)/vfio-user-testdev-check

# The scenarios that need the lab, inside it; `make lab` opens a shell there.
lab-check: all
	$(Q)tests/lab/lab run --edu --cpus 1 --memory 4096 -- tests/lab/run-lab-tests

lab: all
	$(Q)tests/lab/lab shell --edu --cpus 2 --memory 4096

.PHONY: bench
bench: all
	$(Q)bench/run-all

.PHONY: format format-check
format:
	$(Q)clang-format -i $$(git ls-files '*.c' '*.h')

# The tree stays formatted: make check fails on any file `make format` would change.
format-check:
	$(Q)clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

# Install the binaries, man pages and systemd unit (PREFIX=/usr/local, DESTDIR for packaging).
PREFIX ?= /usr/local
DESTDIR ?=
.PHONY: install uninstall
install: $(KDOM) $(KDOMD)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 0755 $(KDOM) $(KDOMD) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 docs/kdom.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 docs/kdom.cfg.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0644 docs/kdomd.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	sed 's|/usr/local/bin/kdomd|$(PREFIX)/bin/kdomd|' contrib/kdomd.service \
		> $(DESTDIR)$(PREFIX)/lib/systemd/system/kdomd.service

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/kdom $(DESTDIR)$(PREFIX)/bin/kdomd \
		$(DESTDIR)$(PREFIX)/share/man/man1/kdom.1 $(DESTDIR)$(PREFIX)/share/man/man5/kdom.cfg.5 \
		$(DESTDIR)$(PREFIX)/share/man/man8/kdomd.8 \
		$(DESTDIR)$(PREFIX)/lib/systemd/system/kdomd.service

.PHONY: clean
clean:
	rm -rf $(BUILD)

-include $(HOST_OBJS:.o=.d)
