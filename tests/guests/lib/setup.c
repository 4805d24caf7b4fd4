/* Guest start-up in C: per-CPU GS/TSS/IDT set-up and the run of test_main(). */
#include "lib.h"

/*
 * All of these live in the BSS, which the loader zeroes: clearing them
 * here would cost emulated CPL0 instructions on the hosts we care about.
 */
char kernel_stacks[MAX_CPUS][KSTACK_SIZE] __attribute__((aligned(16)));
static char user_stacks[MAX_CPUS][USTACK_SIZE] __attribute__((aligned(16)));
static struct cpu cpus[MAX_CPUS];

/*
 * The TSSes share one all-zero I/O permission bitmap placed after them:
 * IOPL 3 already lets CPL3 code use every port, but hosts that run CPL3
 * natively may keep the real IOPL at 0 and consult only the bitmap.
 */
#define IO_BITMAP_BYTES (65536 / 8)
static struct {
	struct tss64 tss[MAX_CPUS];
	uint8_t io_bitmap[IO_BITMAP_BYTES + 1]; /* + the 0xff byte the CPU may read past the end */
} tss_area __attribute__((aligned(16)));

struct idt_entry {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
};

#define IDT_INTERRUPT_GATE 0x8e /* present, DPL 0, 64-bit interrupt gate */
#define EXCEPTION_STUB_SIZE 16	/* entry.S aligns each stub to 16 bytes */

static struct idt_entry idt[256] __attribute__((aligned(16)));

extern const char exception_stubs[];
extern const char irq_stubs[];

static void idt_set(unsigned int vector, const void *handler, uint8_t type_attr)
{
	uint64_t addr = (uint64_t)handler;

	idt[vector] = (struct idt_entry){
		.offset_low = addr & 0xffff,
		.selector = KERNEL_CS,
		.type_attr = type_attr,
		.offset_mid = (addr >> 16) & 0xffff,
		.offset_high = addr >> 32,
	};
}

void idt_init(void)
{
	for (unsigned int vector = 0; vector < 32; vector++)
		idt_set(vector, exception_stubs + vector * EXCEPTION_STUB_SIZE, IDT_INTERRUPT_GATE);
	for (unsigned int vector = 32; vector < 256; vector++)
		idt_set(vector, irq_stubs + (vector - 32) * EXCEPTION_STUB_SIZE,
			IDT_INTERRUPT_GATE);
	tss_area.io_bitmap[IO_BITMAP_BYTES] = 0xff;
}

/* A 16-byte available 64-bit TSS descriptor in GDT slots index, index + 1. */
static void gdt_set_tss(unsigned int index, const struct tss64 *t, uint64_t limit)
{
	uint64_t base = (uint64_t)t;

	gdt[index] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ull << 40 |
		     ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	gdt[index + 1] = base >> 32;
}

void cpu_init(unsigned int index)
{
	struct cpu *cpu = &cpus[index];
	struct tss64 *t = &tss_area.tss[index];
	struct desc_ptr idtr = { .limit = sizeof(idt) - 1, .base = (uint64_t)idt };
	uint64_t io_bitmap_offset = (uint64_t)tss_area.io_bitmap - (uint64_t)t;

	cpu->self = cpu;
	cpu->index = index;
	cpu->tss = t;
	cpu->user_stack_top = (uint64_t)user_stacks[index] + USTACK_SIZE;
	t->rsp0 = (uint64_t)kernel_stacks[index] + KSTACK_SIZE;
	t->iomap_base = io_bitmap_offset;
	gdt_set_tss(GDT_FIRST_TSS + 2 * index, t, io_bitmap_offset + IO_BITMAP_BYTES);

	wrmsr(MSR_GS_BASE, (uint64_t)cpu);
	ltr(TSS_SELECTOR(index));
	lidt(&idtr);
}

void user_port_deny(uint16_t port, bool deny)
{
	uint8_t bit = 1u << (port % 8);

	if (deny)
		tss_area.io_bitmap[port / 8] |= bit;
	else
		tss_area.io_bitmap[port / 8] &= ~bit;
}

unsigned int smp_processor_id(void)
{
	return this_cpu()->index;
}

/* Guests that need nothing before their title is printed do not define test_setup(). */
void __attribute__((weak)) test_setup(void)
{
}

/* The BSP's C entry, from head.S, on CPU 0's stack. */
void lib_main(uint32_t start_info_gpa)
{
	idt_init();
	cpu_init(0);
	start_info_set(start_info_gpa);
	test_setup();

	printf("--- kdom test guest: %s ---\n", test_title);
	test_main();
	test_exit();
}
