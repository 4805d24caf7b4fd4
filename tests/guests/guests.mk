# Test guests: freestanding x86-64 PVH kernels, tests/guests/NAME/ each (included by the Makefile).
#   make guests          build $(GUEST_DIR)/NAME.elf for every guest below
#   scripts/new-guest N  scaffold tests/guests/N/main.c and add N to GUESTS
#
# A guest is tests/guests/NAME/main.c plus GUEST_SRCS_NAME (extra .c/.S files
# of its own), linked with the library in tests/guests/lib/.  Guest flags are
# independent of HOST_CFLAGS and SANITIZE: these are never sanitized.  The
# 32-bit guests (xen-hello32) have rules of their own below.

GUEST_DIR := $(BUILD)/guests
GUEST_OBJ := $(GUEST_DIR)/obj

GUESTS := hello exception smp shutdown fail exitloop cpuid bootinfo features pit cpuid-roles idle control echo irq pci passthrough hwdev edu hcbench xen-hello64 virtio-rng acpi virtio-net virtio-blk
GUEST_SRCS_xen-hello64 := tests/guests/xen-hello64/manage.c tests/guests/xen-hello64/release.c

GUEST_LIB_SRCS := \
	tests/guests/lib/entry.S \
	tests/guests/lib/setup.c \
	tests/guests/lib/traps.c \
	tests/guests/lib/console.c \
	tests/guests/lib/report.c \
	tests/guests/lib/hypercall.c \
	tests/guests/lib/cmdline.c \
	tests/guests/lib/time.c \
	tests/guests/lib/smp.c \
	tests/guests/lib/string.c \
	tests/guests/lib/irq.c \
	tests/guests/lib/pci.c \
	tests/guests/lib/virtio.c \
	tests/guests/lib/xen-hypercall.c

# head.S is linked into every guest directly (the entry point and the PVH
# note); the rest comes from an archive, so a guest carries only what it uses.
GUEST_HEAD_OBJ := $(GUEST_OBJ)/lib/head.o
GUEST_LIB := $(GUEST_OBJ)/libguest.a
GUEST_LDS := tests/guests/lib/link.ld

# -fno-tree-loop-distribute-patterns: memset()/memcpy() must not become calls to themselves.
# -fcf-protection=none: no ENDBR64 for an instruction emulator to trip over.
GUEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Wno-unused-parameter -MMD -MP \
	-ffreestanding -fno-pic -fno-pie -fno-stack-protector -mno-red-zone \
	-mgeneral-regs-only -fno-asynchronous-unwind-tables -fcf-protection=none \
	-fno-tree-loop-distribute-patterns -fno-strict-aliasing \
	-Iinclude -Itests/guests/lib
ifeq ($(WERROR),1)
GUEST_CFLAGS += -Werror
endif
GUEST_ASFLAGS := -D__ASSEMBLY__ -Wa,--noexecstack
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-T,$(GUEST_LDS) \
	-Wl,--no-dynamic-linker

# Guest objects are rebuilt when these flags change (WERROR=0 <-> 1).
GUEST_FLAGS_STAMP := $(GUEST_DIR)/.flags
GUEST_FLAGS_NOW := $(CC) $(GUEST_CFLAGS) $(GUEST_ASFLAGS) $(GUEST_LDFLAGS)
$(GUEST_FLAGS_STAMP): guest-flags-check
	@mkdir -p $(@D)
	@echo '$(GUEST_FLAGS_NOW)' | cmp -s - $@ || echo '$(GUEST_FLAGS_NOW)' > $@
.PHONY: guest-flags-check
guest-flags-check:

guest_obj = $(patsubst tests/guests/%,$(GUEST_OBJ)/%.o,$(basename $(1)))

GUEST_LIB_OBJS := $(call guest_obj,$(GUEST_LIB_SRCS))
GUEST_ELFS := $(GUESTS:%=$(GUEST_DIR)/%.elf)

# One link rule per guest, from its explicit source list.
define guest_rules
GUEST_OBJS_$(1) := $$(call guest_obj,tests/guests/$(1)/main.c $$(GUEST_SRCS_$(1)))
GUEST_ALL_OBJS += $$(GUEST_OBJS_$(1))
$$(GUEST_DIR)/$(1).elf: $$(GUEST_HEAD_OBJ) $$(GUEST_OBJS_$(1)) $$(GUEST_LIB) $$(GUEST_LDS) \
		$$(GUEST_FLAGS_STAMP)
	$$(call say,LD,$$@)$$(CC) $$(GUEST_LDFLAGS) -o $$@ \
		$$(GUEST_HEAD_OBJ) $$(GUEST_OBJS_$(1)) $$(GUEST_LIB)
endef
GUEST_ALL_OBJS := $(GUEST_HEAD_OBJ) $(GUEST_LIB_OBJS)
$(foreach g,$(GUESTS),$(eval $(call guest_rules,$(g))))

# xen-hello64 again in an ELF32 container (EM_X86_64 in ELFCLASS32): the loader's other class.
GUEST_ELFS += $(GUEST_DIR)/xen-hello64-elf32.elf
$(GUEST_DIR)/xen-hello64-elf32.elf: $(GUEST_DIR)/xen-hello64.elf
	$(call say,OBJCOPY,$@)objcopy -O elf32-x86-64 $< $@

# ---- 32-bit guests: -m32 code entered by lib32/head32.S, without the 64-bit library ----
# A 32-bit guest is tests/guests/NAME/main.c with guest32_main(start_info gpa)
# and the bitness-neutral lib/xen-hypercall.c; xen-hello32 is linked twice,
# with paging off and (head32-pae.o) with PAE paging.
GUEST32_OBJ := $(GUEST_DIR)/obj32
GUEST32_LDS := tests/guests/lib32/link32.ld
GUEST32_CFLAGS := $(filter-out -mno-red-zone,$(GUEST_CFLAGS)) -m32
GUEST32_LDFLAGS := -m32 -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-T,$(GUEST32_LDS) \
	-Wl,--no-dynamic-linker
GUEST32_OBJS := $(GUEST32_OBJ)/xen-hello32/main.o $(GUEST32_OBJ)/lib/xen-hypercall.o
GUEST32_HEADS := $(GUEST32_OBJ)/lib32/head32.o $(GUEST32_OBJ)/lib32/head32-pae.o
GUEST_ALL_OBJS += $(GUEST32_OBJS) $(GUEST32_HEADS)
GUEST_ELFS += $(GUEST_DIR)/xen-hello32.elf $(GUEST_DIR)/xen-hello32-pae.elf

$(GUEST_DIR)/xen-hello32.elf: $(GUEST32_OBJ)/lib32/head32.o
$(GUEST_DIR)/xen-hello32-pae.elf: $(GUEST32_OBJ)/lib32/head32-pae.o
$(GUEST_DIR)/xen-hello32.elf $(GUEST_DIR)/xen-hello32-pae.elf: $(GUEST32_OBJS) $(GUEST32_LDS) \
		$(GUEST_FLAGS_STAMP)
	$(call say,LD,$@)$(CC) $(GUEST32_LDFLAGS) -o $@ $(filter %.o,$^)

$(GUEST32_OBJ)/%.o: tests/guests/%.c $(GUEST_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(GUEST32_CFLAGS) -c -o $@ $<

$(GUEST32_OBJ)/lib32/head32.o: tests/guests/lib32/head32.S $(GUEST_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(call say,AS,$<)$(CC) $(GUEST32_CFLAGS) $(GUEST_ASFLAGS) -c -o $@ $<

$(GUEST32_OBJ)/lib32/head32-pae.o: tests/guests/lib32/head32.S $(GUEST_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(call say,AS,$<)$(CC) $(GUEST32_CFLAGS) $(GUEST_ASFLAGS) -DGUEST32_PAGING_PAE -c -o $@ $<

.PHONY: guests
guests: $(GUEST_ELFS)

$(GUEST_LIB): $(GUEST_LIB_OBJS)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

$(GUEST_OBJ)/%.o: tests/guests/%.c $(GUEST_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(GUEST_OBJ)/%.o: tests/guests/%.S $(GUEST_FLAGS_STAMP)
	@mkdir -p $(@D)
	$(call say,AS,$<)$(CC) $(GUEST_CFLAGS) $(GUEST_ASFLAGS) -c -o $@ $<

-include $(GUEST_ALL_OBJS:.o=.d)
