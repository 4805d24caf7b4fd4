/* kvm-floor: the least a KVM monitor must do to boot a PVH test guest; kdom's cost floor. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kdom/abi.h"
#include "kdom/pvh.h"

/*
 * Deliberately minimal: one vCPU, no irqchip, no devices beyond what the
 * test guests need to print and stop.  Anything added here raises the
 * floor that kdom's startup time and exit latency are measured against.
 *
 * Usage: kvm-floor GUEST.elf [CMDLINE].  The exit status is what `kdom run`
 * would give (KDOM_EXIT_* in abi.h) for a SCHEDOP_shutdown: the test result
 * for poweroff, else the reason's code; 125 for anything else, including
 * a triple fault, which the floor does not tell apart.
 */

#define RAM_SIZE (64ull << 20)
#define START_INFO_GPA 0x6000ull
#define CMDLINE_GPA 0x20000ull
#define CMDLINE_MAX 4096u
#define KERNEL_MIN 0x100000ull
#define EBDA_GPA 0x9fc00ull
#define CPUID_MAX 256
#define UART_LSR (KDOM_PORT_COM1 + 5)
#define UART_LSR_IDLE 0x60 /* transmit holding register and shifter empty */

static uint8_t *ram;

static void __attribute__((noreturn)) die(const char *what)
{
	fflush(stdout);
	fprintf(stderr, "kvm-floor: %s\n", what);
	exit(KDOM_EXIT_KDOM_ERROR);
}

static void __attribute__((noreturn)) die_errno(const char *what)
{
	fflush(stdout);
	fprintf(stderr, "kvm-floor: %s: %s\n", what, strerror(errno));
	exit(KDOM_EXIT_KDOM_ERROR);
}

static void __attribute__((noreturn)) finish(int status)
{
	fflush(stdout);
	exit(status);
}

/* True when [gpa, gpa + len) lies in RAM; written so that it cannot overflow. */
static int gpa_ok(uint64_t gpa, uint64_t len)
{
	return gpa <= RAM_SIZE && len <= RAM_SIZE - gpa;
}

/* Map the file and copy its PT_LOAD segments into RAM; return the PVH entry. */
static uint32_t load_pvh(const char *path)
{
	struct stat st;
	uint32_t entry = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st) < 0)
		die_errno(path);
	if ((size_t)st.st_size < sizeof(Elf64_Ehdr))
		die("image too small");
	const uint8_t *img = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (img == MAP_FAILED)
		die_errno("mmap image");
	close(fd);

	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
	uint64_t size = st.st_size;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_machine != EM_X86_64 || eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff > size || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > size - eh->e_phoff)
		die("not an x86-64 ELF image");

	const Elf64_Phdr *ph = (const Elf64_Phdr *)(img + eh->e_phoff);
	for (unsigned int i = 0; i < eh->e_phnum; i++, ph++) {
		if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset)
			die("segment outside the file");
		if (ph->p_type == PT_LOAD) {
			if (ph->p_filesz > ph->p_memsz || ph->p_paddr < KERNEL_MIN ||
			    !gpa_ok(ph->p_paddr, ph->p_memsz))
				die("segment outside guest RAM");
			/* RAM is fresh anonymous memory, so the BSS is already zero. */
			memcpy(ram + ph->p_paddr, img + ph->p_offset, ph->p_filesz);
		} else if (ph->p_type == PT_NOTE) {
			uint64_t off = ph->p_offset, end = ph->p_offset + ph->p_filesz;

			while (end - off >= sizeof(Elf64_Nhdr)) {
				const Elf64_Nhdr *n = (const Elf64_Nhdr *)(img + off);
				uint64_t name = off + sizeof(*n);
				uint64_t desc = name + ((n->n_namesz + 3ull) & ~3ull);
				uint64_t next = desc + ((n->n_descsz + 3ull) & ~3ull);

				if (next > end)
					break;
				if (n->n_type == XEN_ELFNOTE_PHYS32_ENTRY && n->n_namesz == 4 &&
				    !memcmp(img + name, "Xen", 4) && n->n_descsz >= 4)
					memcpy(&entry, img + desc, 4);
				off = next;
			}
		}
	}
	if (!entry)
		die("no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)");
	return entry;
}

/* hvm_start_info, its memory map right after it, and the command line. */
static void write_start_info(const char *cmdline)
{
	struct hvm_start_info *si = (void *)(ram + START_INFO_GPA);
	struct hvm_memmap_table_entry *map = (void *)(si + 1);
	size_t len = strlen(cmdline);

	if (len >= CMDLINE_MAX)
		die("command line too long");
	memcpy(ram + CMDLINE_GPA, cmdline, len + 1);
	map[0] = (struct hvm_memmap_table_entry){ .addr = 0, .size = EBDA_GPA, .type = 1 };
	map[1] = (struct hvm_memmap_table_entry){ .addr = KERNEL_MIN,
						  .size = RAM_SIZE - KERNEL_MIN,
						  .type = 1 };
	*si = (struct hvm_start_info){
		.magic = XEN_HVM_START_MAGIC_VALUE,
		.version = 1,
		.cmdline_paddr = CMDLINE_GPA,
		.memmap_paddr = START_INFO_GPA + sizeof(*si),
		.memmap_entries = 2,
	};
}

/* The PVH entry state: flat 32-bit protected mode, paging off, ebx = start info. */
static void set_pvh_regs(int vcpu, uint32_t entry)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = entry, .rbx = START_INFO_GPA, .rflags = 2 };
	struct kvm_segment seg = { .limit = 0xffffffff, .present = 1, .s = 1, .db = 1, .g = 1 };

	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		die_errno("KVM_GET_SREGS");
	seg.selector = 0x10;
	seg.type = 3; /* read/write, accessed */
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = seg;
	seg.selector = 0x08;
	seg.type = 11; /* execute/read, accessed */
	sregs.cs = seg;
	sregs.cr0 = 0x11; /* PE | ET */
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0 || ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		die_errno("KVM_SET_SREGS/REGS");
}

static void set_cpuid(int kvm, int vcpu)
{
	struct kvm_cpuid2 *cpuid =
		calloc(1, sizeof(*cpuid) + CPUID_MAX * sizeof(struct kvm_cpuid_entry2));

	if (!cpuid)
		die_errno("calloc");
	cpuid->nent = CPUID_MAX;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) < 0 ||
	    ioctl(vcpu, KVM_SET_CPUID2, cpuid) < 0)
		die_errno("KVM_SET_CPUID2");
	free(cpuid);
}

/* kdom run's exit status for a shutdown, so that scripts can treat both alike. */
static int shutdown_status(uint64_t reason, uint64_t result)
{
	static const int by_result[] = {
		[KDOM_RESULT_SUCCESS] = KDOM_EXIT_SUCCESS,
		[KDOM_RESULT_SKIP] = KDOM_EXIT_SKIP,
		[KDOM_RESULT_ERROR] = KDOM_EXIT_ERROR,
		[KDOM_RESULT_FAILURE] = KDOM_EXIT_FAILURE,
	};

	switch (reason) {
	case KDOM_SHUTDOWN_POWEROFF:
		return result <= KDOM_RESULT_FAILURE ? by_result[result] : KDOM_EXIT_ERROR;
	case KDOM_SHUTDOWN_REBOOT:
		return KDOM_EXIT_REBOOT;
	case KDOM_SHUTDOWN_SUSPEND:
		return KDOM_EXIT_SUSPEND;
	case KDOM_SHUTDOWN_WATCHDOG:
		return KDOM_EXIT_WATCHDOG;
	default:
		return KDOM_EXIT_CRASH;
	}
}

/* Serve the request block at gpa in place; a bad address is ignored. */
static void hypercall(uint32_t gpa)
{
	struct kdom_hypercall *hc = (void *)(ram + gpa);

	if (gpa % 8 || !gpa_ok(gpa, sizeof(*hc)))
		return;
	if (hc->op == KDOM_HC_SCHED_OP && hc->cmd == KDOM_SCHEDOP_SHUTDOWN)
		finish(shutdown_status(hc->arg[0], hc->arg[1]));
	hc->ret = -KDOM_ENOSYS;
}

static void port_io(struct kvm_run *run)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	size_t len = (size_t)run->io.size * run->io.count;

	if (run->io.direction == KVM_EXIT_IO_IN) {
		memset(data, run->io.port == UART_LSR ? UART_LSR_IDLE : 0xff, len);
		return;
	}
	if (run->io.port == KDOM_PORT_COM1)
		fwrite(data, 1, len, stdout);
	else if (run->io.port == KDOM_PORT_HYPERCALL && run->io.size == 4)
		hypercall(*(uint32_t *)data);
}

/* Anything else ends the run: say what and where. */
static void __attribute__((noreturn)) exit_unhandled(int vcpu, const struct kvm_run *run)
{
	struct kvm_regs regs = { 0 };

	fflush(stdout);
	ioctl(vcpu, KVM_GET_REGS, &regs);
	fprintf(stderr, "kvm-floor: exit reason %u", run->exit_reason);
	if (run->exit_reason == KVM_EXIT_SHUTDOWN)
		fprintf(stderr, " (triple fault)");
	else if (run->exit_reason == KVM_EXIT_HLT)
		fprintf(stderr, " (hlt)");
	else if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		fprintf(stderr, " (internal error, suberror %u)", run->internal.suberror);
	else if (run->exit_reason == KVM_EXIT_MMIO)
		fprintf(stderr, " (MMIO %s at 0x%llx)", run->mmio.is_write ? "write" : "read",
			run->mmio.phys_addr);
	fprintf(stderr, " at rip 0x%llx\n", regs.rip);
	exit(KDOM_EXIT_KDOM_ERROR);
}

int main(int argc, char **argv)
{
	int kvm, vm, vcpu;
	struct kvm_run *run;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s GUEST.elf [CMDLINE]\n", argv[0]);
		return KDOM_EXIT_KDOM_ERROR;
	}
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die_errno("/dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0 || ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000ul) < 0)
		die_errno("KVM_CREATE_VM");
	uint64_t identity_map = 0xfffbc000;
	if (ioctl(vm, KVM_SET_IDENTITY_MAP_ADDR, &identity_map) < 0)
		die_errno("KVM_SET_IDENTITY_MAP_ADDR");

	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED)
		die_errno("mmap RAM");
	struct kvm_userspace_memory_region region = { .slot = 0,
						      .guest_phys_addr = 0,
						      .memory_size = RAM_SIZE,
						      .userspace_addr = (uintptr_t)ram };
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		die_errno("KVM_SET_USER_MEMORY_REGION");

	uint32_t entry = load_pvh(argv[1]);
	write_start_info(argc > 2 ? argv[2] : "");

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu < 0 || run_size < 0)
		die_errno("KVM_CREATE_VCPU");
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		die_errno("mmap kvm_run");
	set_cpuid(kvm, vcpu);
	set_pvh_regs(vcpu, entry);

	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die_errno("KVM_RUN");
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			port_io(run);
			break;
		default:
			exit_unhandled(vcpu, run);
		}
	}
}
