/* bootinfo: the hvm_start_info kdom hands a PVH kernel: memory map, modules, command line. */
#include "guest.h"

const char test_title[] = "bootinfo: hvm_start_info, memory map and initrd module";

/* memory=MiB: the RAM in the map must add up to the domain's memory. */
static void check_memory_map(const struct hvm_start_info *si)
{
	const struct hvm_memmap_table_entry *map = (const void *)(uintptr_t)si->memmap_paddr;
	uint64_t ram = 0, expected = cmdline_get_u64("memory", 0) << 20;
	bool low = false, kernel = false;

	report(si->version >= 1 && si->memmap_entries > 0 && si->memmap_entries < 128,
	       "start_info version %u with %u memory map entries", si->version, si->memmap_entries);
	if (!(si->memmap_entries > 0 && si->memmap_entries < 128))
		return;
	for (uint32_t i = 0; i < si->memmap_entries; i++) {
		printf("bootinfo: map %u: 0x%llx + 0x%llx type %u\n", i,
		       (unsigned long long)map[i].addr, (unsigned long long)map[i].size,
		       map[i].type);
		if (map[i].type != XEN_HVM_MEMMAP_TYPE_RAM)
			continue;
		ram += map[i].size;
		low |= map[i].addr == 0;
		kernel |= map[i].addr <= 0x100000 && map[i].addr + map[i].size > 0x200000;
	}
	report(low, "RAM from address 0 is in the map");
	report(kernel, "RAM holding the kernel at 1 MiB is in the map");
	if (expected) {
		/* The ISA hole below 1 MiB is reserved, not RAM. */
		uint64_t hole = 0x100000 - 0x9fc00;

		report(ram == expected - hole, "map holds %llu KiB of RAM (expected %llu KiB)",
		       (unsigned long long)(ram >> 10),
		       (unsigned long long)((expected - hole) >> 10));
	}
}

/* modules=N and module0=TEXT: the initrd arrives as module 0 holding TEXT. */
static void check_modules(const struct hvm_start_info *si)
{
	uint64_t expected = cmdline_get_u64("modules", 0);
	const char *text = cmdline_get("module0");

	report(si->nr_modules == expected, "%u modules (expected %llu)", si->nr_modules,
	       (unsigned long long)expected);
	if (!si->nr_modules || !si->modlist_paddr)
		return;
	const struct hvm_modlist_entry *mod = (const void *)(uintptr_t)si->modlist_paddr;
	report((mod->paddr & 0xfff) == 0, "module 0 at 0x%llx is page aligned",
	       (unsigned long long)mod->paddr);
	report(mod->paddr >= 0x100000 && mod->paddr + mod->size <= 0xc0000000ull,
	       "module 0 (0x%llx bytes) lies in low RAM above 1 MiB",
	       (unsigned long long)mod->size);
	if (text) {
		size_t len = strlen(text);

		report(mod->size >= len && !memcmp((const void *)(uintptr_t)mod->paddr, text, len),
		       "module 0 starts with \"%s\"", text);
	}
}

void test_main(void)
{
	const struct hvm_start_info *si = start_info();

	report(si != NULL, "hvm_start_info passed with its magic");
	if (!si)
		return;
	report(si->cmdline_paddr != 0 &&
		       !strcmp(cmdline(), (const char *)(uintptr_t)si->cmdline_paddr),
	       "command line at 0x%llx", (unsigned long long)si->cmdline_paddr);
	check_memory_map(si);
	check_modules(si);
}
