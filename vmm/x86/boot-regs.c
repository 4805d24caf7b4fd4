/* Initial register state for PVH and the Linux 64-bit boot protocol. */
#include "vmm/x86/boot-regs.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/x86/layout.h"
#include "vmm/log.h"

#define X86_CR0_PE (1ull << 0)
#define X86_CR0_ET (1ull << 4)
#define X86_CR0_PG (1ull << 31)
#define X86_CR4_PAE (1ull << 5)
#define X86_EFER_LME (1ull << 8)
#define X86_EFER_LMA (1ull << 10)
#define PTE_PRESENT 0x1ull
#define PTE_WRITE 0x2ull
#define PTE_LARGE 0x80ull

/* Linux's boot protocol expects __BOOT_CS = 0x10 and __BOOT_DS = 0x18. */
#define BOOT_GDT_CODE 2
#define BOOT_GDT_DATA 3

static struct kvm_segment flat_segment(uint16_t selector, uint8_t type, bool long_mode)
{
	return (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = selector,
		.type = type,
		.present = 1,
		.dpl = 0,
		.db = long_mode ? 0 : 1,
		.s = 1,
		.l = long_mode && (type & 0x8) ? 1 : 0,
		.g = 1,
	};
}

/* A 64-bit GDT descriptor from a segment's fields. */
static uint64_t gdt_entry(const struct kvm_segment *seg)
{
	uint64_t limit = seg->g ? seg->limit >> 12 : seg->limit;

	return (limit & 0xffffull) | ((seg->base & 0xffffffull) << 16) |
	       ((uint64_t)seg->type << 40) | ((uint64_t)seg->s << 44) | ((uint64_t)seg->dpl << 45) |
	       ((uint64_t)seg->present << 47) | (((limit >> 16) & 0xfull) << 48) |
	       ((uint64_t)seg->l << 53) | ((uint64_t)seg->db << 54) | ((uint64_t)seg->g << 55) |
	       (((uint64_t)seg->base >> 24 & 0xffull) << 56);
}

/* Identity map of the first 4 GiB in 2 MiB pages. */
static int boot_write_page_tables(const struct guest_mem *mem)
{
	uint64_t pml4 = LAYOUT_PDPT | PTE_PRESENT | PTE_WRITE;
	uint64_t *pd = gmem_ptr(mem, LAYOUT_PD, 4 * 4096);
	uint64_t *pdpt = gmem_ptr(mem, LAYOUT_PDPT, 4096);

	if (!pd || !pdpt || gmem_write(mem, LAYOUT_PML4, &pml4, sizeof(pml4)))
		return -EFAULT;
	for (unsigned int i = 0; i < 4; i++)
		pdpt[i] = (LAYOUT_PD + i * 4096ull) | PTE_PRESENT | PTE_WRITE;
	for (unsigned int i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_PRESENT | PTE_WRITE | PTE_LARGE;
	return 0;
}

int boot_regs_setup(int vcpu_fd, const struct guest_mem *mem, const struct boot_setup *boot)
{
	bool long_mode = boot->mode == BOOT_LINUX64;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_segment code, data;

	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		goto fail;

	code = flat_segment(BOOT_GDT_CODE * 8, 0xb, long_mode); /* execute/read, accessed */
	data = flat_segment(BOOT_GDT_DATA * 8, 0x3, long_mode); /* read/write, accessed */
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	/* VMX wants a usable busy TSS even though no task switch ever happens. */
	sregs.tr = (struct kvm_segment){ .limit = 0x67, .type = 0xb, .present = 1 };

	uint64_t gdt[4] = { 0, 0, gdt_entry(&code), gdt_entry(&data) };
	if (gmem_write(mem, LAYOUT_BOOT_GDT, gdt, sizeof(gdt)))
		return -EFAULT;
	sregs.gdt.base = LAYOUT_BOOT_GDT;
	sregs.gdt.limit = sizeof(gdt) - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;

	if (long_mode) {
		if (boot_write_page_tables(mem))
			return -EFAULT;
		sregs.cr3 = LAYOUT_PML4;
		sregs.cr4 = X86_CR4_PAE;
		sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_PG;
		sregs.efer = X86_EFER_LME | X86_EFER_LMA;
	} else {
		sregs.cr0 = X86_CR0_PE | X86_CR0_ET;
		sregs.cr3 = 0;
		sregs.cr4 = 0;
		sregs.efer = 0;
	}
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		goto fail;

	memset(&regs, 0, sizeof(regs));
	regs.rflags = 0x2;
	regs.rip = boot->entry;
	if (long_mode)
		regs.rsi = boot->boot_info;
	else
		regs.rbx = boot->boot_info;
	if (ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0)
		goto fail;
	return 0;
fail:;
	int saved = errno;
	log_error("cannot set boot vCPU registers: %s", strerror(saved));
	return -saved;
}
