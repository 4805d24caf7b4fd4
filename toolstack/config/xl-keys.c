/* Every xl.cfg(5) domain key kdom does not serve, with what kdom does instead and why. */
#include "toolstack/config/xl-keys.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/*
 * Ignored: the key tunes something kdom does its own way, or adds a device
 * the guest notices is missing and copes without (display, sound, USB,
 * channels); the domain runs as kdom builds it.  Refused: the key asks for
 * a guest type, a boot path, a privilege or a security property kdom does
 * not give, where running anyway would run another guest than the one
 * asked for, or a less confined one.  The keys kdom serves are in
 * domain-config.c's table.
 */
#define WHY_POOL                                                                             \
	"kdom has no CPU pools or scheduler settings: the host schedules vCPU threads (use " \
	"cgroups or taskset)"
#define WHY_PIN \
	"kdom does not pin vCPUs (the host's hwdom_vcpus_pin excepted): use taskset or cgroups"
#define WHY_FIRMWARE                                                                         \
	"kdom loads no firmware: it boots kernel = (a PVH ELF, a Linux bzImage or vmlinux) " \
	"directly"
#define WHY_SECLABEL \
	"an XSM/FLASK label: kdom has no XSM; its policy uses label = and kdomd's policy file"
#define WHY_GRANTS "kdom's Xen interface (xen = 1) has fixed grant-table and event-channel limits"
#define WHY_ARM "an Arm setting; kdom builds x86 guests"
#define WHY_DISPLAY "kdom has no graphical console: the guest's console is its serial port COM1"
#define WHY_USB "kdom has no USB controller"
#define WHY_PRIVILEGE                                                                        \
	"kdom grants no domain direct access to host I/O ports, memory or interrupts (pass " \
	"devices through with pci =)"
#define WHY_DM "kdom has no device model: its few devices are built in"
#define WHY_BOOTLOADER "used only with bootloader =, which kdom refuses"
#define WHY_PAGING "KVM's nested paging (EPT/NPT) maps the guest's memory; kdom has nothing to tune"
#define WHY_CPUID \
	"the guest's CPUID is its role's policy with cpuid = changes (e.g. cpuid = \"host,nx=0\")"
#define WHY_ACPI "kdom gives the guest no ACPI tables yet (an MP table describes its CPUs)"
#define WHY_TABLES "kdom gives the guest no ACPI or SMBIOS tables yet"
#define WHY_TIME \
	"kdom has no RTC and no TSC or timer modes yet: the guest keeps time with KVM's clock"
#define WHY_HVM_PT                                                             \
	"an HVM pass-through setting; kdom's pass-through has no such option " \
	"(docs/passthrough.md)"
#define WHY_PVSHIM "used only with pvshim = 1, which kdom refuses"

#define IGNORED(key, same, why)                \
	{                                      \
		key, XL_KEY_IGNORED, same, why \
	}
#define REFUSED(key, same, why)                \
	{                                      \
		key, XL_KEY_REFUSED, same, why \
	}

static const struct xl_key xl_key_table[] = {
	/* General: CPU allocation and scheduling, memory, events */
	IGNORED("pool", NULL, WHY_POOL),
	IGNORED("cpus", NULL, WHY_PIN),
	IGNORED("cpus_soft", NULL, WHY_PIN),
	IGNORED("cpu_weight", NULL, WHY_POOL),
	IGNORED("cap", NULL, WHY_POOL),
	IGNORED("vnuma", NULL, "kdom gives the guest one NUMA node"),
	IGNORED("on_soft_reset", NULL, "kdom has no soft reset (a kexec happens inside the guest)"),
	/* Boot */
	REFUSED("firmware", NULL, WHY_FIRMWARE),
	REFUSED("pvshim", "0",
		"the PV shim runs a PV guest inside a PVH domain: kdom runs no PV guests"),
	IGNORED("pvshim_path", NULL, WHY_PVSHIM),
	IGNORED("pvshim_cmdline", NULL, WHY_PVSHIM),
	IGNORED("pvshim_extra", NULL, WHY_PVSHIM),
	REFUSED("bootloader", NULL,
		"kdom runs no bootloader (pygrub): give kernel =, ramdisk = and cmdline ="),
	IGNORED("bootloader_args", NULL, WHY_BOOTLOADER),
	IGNORED("bootloader_restrict", NULL, WHY_BOOTLOADER),
	IGNORED("bootloader_user", NULL, WHY_BOOTLOADER),
	/* Other options */
	REFUSED("seclabel", NULL, WHY_SECLABEL),
	REFUSED("init_seclabel", NULL, WHY_SECLABEL),
	IGNORED("max_grant_frames", NULL, WHY_GRANTS),
	IGNORED("max_maptrack_frames", NULL, WHY_GRANTS),
	IGNORED("max_grant_version", NULL, WHY_GRANTS),
	IGNORED("max_event_channels", NULL, WHY_GRANTS),
	IGNORED("nomigrate", "1", "kdom does not migrate domains"),
	IGNORED("device_tree", NULL, WHY_ARM),
	IGNORED("passthrough", NULL,
		"kdom maps all of a domain's memory for its pass-through devices (VFIO); there is "
		"no other mode"),
	IGNORED("xend_suspend_evtchn_compat", "0", "kdom has no xenstore"),
	IGNORED("vmtrace_buf_kb", "0", "kdom gives guests no processor trace buffers"),
	IGNORED("vpmu", NULL, "the guest's PMU is what KVM and cpuid = give it"),
	/* Devices */
	REFUSED("vtpm", NULL,
		"kdom has no virtual TPM, and a guest that seals its secrets to one must not boot "
		"without it"),
	IGNORED("p9", NULL, "kdom has no 9pfs device yet"),
	IGNORED("pvcalls", NULL, "kdom has no PV calls transport"),
	IGNORED("vfb", NULL, WHY_DISPLAY),
	IGNORED("channel", NULL, "kdom has no PV channels yet (xen-pv-channel(7))"),
	IGNORED("rdm", NULL, WHY_HVM_PT),
	IGNORED("rdm_mem_boundary", NULL, WHY_HVM_PT),
	IGNORED("usbctrl", NULL, WHY_USB),
	IGNORED("usbdev", NULL, WHY_USB),
	IGNORED("pci_permissive", "0",
		"kdom virtualizes a pass-through device's configuration space its own way "
		"(docs/passthrough.md)"),
	IGNORED("pci_msitranslate", NULL, WHY_HVM_PT),
	IGNORED("pci_seize", NULL, "kdom binds no device itself: kdom pci-assignable-add does"),
	IGNORED("pci_power_mgmt", NULL, WHY_HVM_PT),
	REFUSED("gfx_passthru", "0",
		"graphics pass-through needs the legacy VGA ranges and the card's BIOS, which kdom "
		"does not grant"),
	REFUSED("dtdev", NULL, WHY_PRIVILEGE),
	REFUSED("ioports", NULL, WHY_PRIVILEGE),
	REFUSED("iomem", NULL, WHY_PRIVILEGE),
	REFUSED("irqs", NULL, WHY_PRIVILEGE),
	IGNORED("vdispl", NULL, WHY_DISPLAY),
	IGNORED("vsnd", NULL, "kdom has no sound device"),
	IGNORED("vkb", NULL, "kdom has no PV keyboard"),
	IGNORED("virtio", NULL,
		"kdom serves its virtio devices itself (disk =, vif =), not from other domains"),
	IGNORED("tee", "none", WHY_ARM),
	IGNORED("dm_restrict", NULL, "kdom has no device model to restrict"),
	/* PV, HVM and PVH specific */
	IGNORED("e820_host", "0",
		"a PV setting; kdom's memory map keeps the 3 GiB to 4 GiB hole for devices"),
	IGNORED("boot", NULL,
		"kdom boots kernel = directly; there is no firmware to choose a boot device"),
	IGNORED("hdtype", NULL, "kdom emulates no IDE or AHCI controller"),
	IGNORED("hap", "1", WHY_PAGING),
	IGNORED("oos", NULL, WHY_PAGING),
	IGNORED("shadow_memory", NULL, WHY_PAGING),
	IGNORED("p2m_mem_kb", NULL, WHY_PAGING),
	REFUSED("bios", NULL, WHY_FIRMWARE),
	REFUSED("bios_path_override", NULL, WHY_FIRMWARE),
	IGNORED("pae", "1", WHY_CPUID),
	IGNORED("nx", "1", WHY_CPUID),
	IGNORED("acpi", "0", WHY_ACPI),
	IGNORED("acpi_s3", NULL, WHY_ACPI),
	IGNORED("acpi_s4", NULL, WHY_ACPI),
	IGNORED("acpi_laptop_slate", NULL, WHY_ACPI),
	IGNORED("apic", "1", "kdom always gives the guest local APICs and an MP table"),
	IGNORED("hpet", "0", "kdom has no HPET"),
	REFUSED("altp2m", "disabled",
		"alternate p2m views (VMFUNC, #VE) are Xen's; KVM gives kdom none"),
	REFUSED("altp2mhvm", "0",
		"alternate p2m views (VMFUNC, #VE) are Xen's; KVM gives kdom none"),
	IGNORED("nestedhvm", "0",
		"whether the guest sees VMX or SVM follows its CPUID policy and KVM's nested "
		"setting"),
	IGNORED("acpi_firmware", NULL, WHY_TABLES),
	IGNORED("smbios_firmware", NULL, WHY_TABLES),
	IGNORED("smbios", NULL, WHY_TABLES),
	IGNORED("ms_vm_genid", "none", "kdom gives no VM generation ID"),
	IGNORED("tsc_mode", NULL, WHY_TIME),
	IGNORED("localtime", "0", WHY_TIME),
	IGNORED("rtc_timeoffset", "0", WHY_TIME),
	IGNORED("vpt_align", NULL, WHY_TIME),
	IGNORED("timer_mode", NULL, WHY_TIME),
	IGNORED("mmio_hole", "1024", "kdom's hole below 4 GiB is fixed at 1024 MiB"),
	IGNORED("xen_platform_pci", NULL,
		"the Xen platform PCI device is HVM's; xen = 1 gives Xen's interface"),
	IGNORED("viridian", "0", "Hyper-V enlightenments are for Windows guests; kdom offers none"),
	IGNORED("hvm_pirq", "0", "kdom routes no interrupts over event channels"),
	/* Emulated graphics, SPICE, other emulated hardware */
	IGNORED("videoram", NULL, WHY_DISPLAY),
	IGNORED("stdvga", "0", WHY_DISPLAY),
	IGNORED("vga", "none", WHY_DISPLAY),
	IGNORED("vnc", "0", WHY_DISPLAY),
	IGNORED("vnclisten", NULL, WHY_DISPLAY),
	IGNORED("vncdisplay", NULL, WHY_DISPLAY),
	IGNORED("vncunused", NULL, WHY_DISPLAY),
	IGNORED("vncpasswd", NULL, WHY_DISPLAY),
	IGNORED("keymap", NULL, WHY_DISPLAY),
	IGNORED("sdl", "0", WHY_DISPLAY),
	IGNORED("opengl", "0", WHY_DISPLAY),
	IGNORED("nographic", "1", WHY_DISPLAY),
	IGNORED("spice", "0", WHY_DISPLAY),
	IGNORED("spicehost", NULL, WHY_DISPLAY),
	IGNORED("spiceport", NULL, WHY_DISPLAY),
	IGNORED("spicetls_port", NULL, WHY_DISPLAY),
	IGNORED("spicedisable_ticketing", NULL, WHY_DISPLAY),
	IGNORED("spicepasswd", NULL, WHY_DISPLAY),
	IGNORED("spiceagent_mouse", NULL, WHY_DISPLAY),
	IGNORED("spicevdagent", NULL, WHY_DISPLAY),
	IGNORED("spice_clipboard_sharing", NULL, WHY_DISPLAY),
	IGNORED("spiceusbredirection", NULL, WHY_DISPLAY),
	IGNORED("spice_image_compression", NULL, WHY_DISPLAY),
	IGNORED("spice_streaming_video", NULL, WHY_DISPLAY),
	IGNORED("serial", NULL,
		"COM1 is always the domain's console (kdom console, --console); there is no other "
		"serial port"),
	IGNORED("soundhw", NULL, "kdom has no sound device"),
	IGNORED("vkb_device", NULL, "kdom has no PV keyboard"),
	IGNORED("usb", "0", WHY_USB),
	IGNORED("usbversion", "0", WHY_USB),
	IGNORED("usbdevice", NULL, WHY_USB),
	IGNORED("vendor_device", "none", "kdom has no Xen PV device for vendor drivers"),
	/* Device model */
	REFUSED("device_model", NULL, WHY_DM),
	REFUSED("device_model_version", NULL, WHY_DM),
	REFUSED("device_model_override", NULL, WHY_DM),
	REFUSED("device_model_stubdomain_override", NULL, WHY_DM),
	REFUSED("device_model_stubdomain_seclabel", NULL, WHY_DM),
	REFUSED("device_model_args", NULL, WHY_DM),
	REFUSED("device_model_args_pv", NULL, WHY_DM),
	REFUSED("device_model_args_hvm", NULL, WHY_DM),
	REFUSED("device_model_user", NULL, WHY_DM),
	REFUSED("stubdomain_kernel", NULL, WHY_DM),
	REFUSED("stubdomain_cmdline", NULL, WHY_DM),
	REFUSED("stubdomain_ramdisk", NULL, WHY_DM),
	REFUSED("stubdomain_memory", NULL, WHY_DM),
	/* Architecture specific */
	IGNORED("gic_version", NULL, WHY_ARM),
	IGNORED("vuart", NULL, WHY_ARM),
	IGNORED("sve", NULL, WHY_ARM),
	IGNORED("mca_caps", NULL, "the guest's machine-check capabilities are KVM's"),
	IGNORED("msr_relaxed", "0", "KVM decides how the guest's accesses to unhandled MSRs end"),
};

const struct xl_key *xl_keys(size_t *count)
{
	*count = sizeof(xl_key_table) / sizeof(xl_key_table[0]);
	return xl_key_table;
}

const struct xl_key *xl_key_find(const char *key)
{
	for (size_t i = 0; i < sizeof(xl_key_table) / sizeof(xl_key_table[0]); i++)
		if (!strcmp(xl_key_table[i].key, key))
			return &xl_key_table[i];
	return NULL;
}

/* Whether s's value is k->same: a number written in decimal, or a string. */
static bool xl_key_same(const struct xl_key *k, const struct cfg_setting *s)
{
	char number[32];

	if (!k->same)
		return false;
	if (s->value.type == CFG_NUMBER) {
		snprintf(number, sizeof(number), "%lld", s->value.number);
		return !strcmp(number, k->same);
	}
	return s->value.type == CFG_STRING && !strcmp(s->value.string, k->same);
}

int xl_key_apply(void *target, const struct cfg *cfg, const struct cfg_setting *s, char *err,
		 size_t errlen)
{
	const struct xl_key *k = xl_key_find(s->key);

	if (!k)
		return -ENOENT;
	if (xl_key_same(k, s))
		return 0;
	if (k->class == XL_KEY_REFUSED)
		return config_error(err, errlen, "'%s' refused: %s", k->key, k->why);
	cfg_warn(cfg, s, "'%s' ignored: %s", k->key, k->why);
	return 0;
}
