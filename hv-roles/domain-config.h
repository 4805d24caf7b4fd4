/* The domain model's configuration: what a parsed config file asks of one domain. */
#ifndef KDOM_HV_ROLES_DOMAIN_CONFIG_H
#define KDOM_HV_ROLES_DOMAIN_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The toolstack's parsers (toolstack/config/) fill it in; the builder
 * (machine/) and pass-through (vfio/) read it.  The limits are defined
 * here once, for the parsers, the role registry and the daemon alike.
 */

struct cpuid_override;

/* What the toolstack does when a domain shuts down (xl's on_poweroff & co). */
enum domain_action {
	DOMAIN_ACTION_DESTROY,
	DOMAIN_ACTION_RESTART,
	DOMAIN_ACTION_PRESERVE,
	DOMAIN_ACTION_RENAME_RESTART,
};

/* Shutdown reasons an action is chosen for. */
enum domain_shutdown {
	DOMAIN_SHUTDOWN_POWEROFF,
	DOMAIN_SHUTDOWN_REBOOT,
	DOMAIN_SHUTDOWN_CRASH,
	DOMAIN_SHUTDOWN_WATCHDOG,
	DOMAIN_SHUTDOWN_COUNT
};

#define DOMAIN_NAME_MAX 64
#define DOMAIN_VCPUS_MAX 8
#define DOMAIN_MEMORY_DEFAULT_MIB 128 /* a distribution kernel needs about 70 */
#define DOMAIN_CMDLINE_MAX 4095
#define DOMAIN_DOMID_MAX 32751 /* Xen's DOMID_FIRST_RESERVED - 1 */
#define DOMAIN_DOMID_ANY (-1)  /* let the toolstack choose */
#define DOMAIN_PCI_MAX 8
#define DOMAIN_DISKS_MAX 8
#define DOMAIN_VIFS_MAX 8
#define DISK_VDEV_MAX 16   /* "xvda", "hdc", "d536p37", with the NUL */
#define DISK_SERIAL_MAX 20 /* virtio-blk's ID: VIRTIO_BLK_ID_BYTES */
#define VIF_IFNAME_MAX 16  /* a host interface name with its NUL: IFNAMSIZ */

/* What `pci = [...]` and `--pci SPEC` name: a host device by BDF, or a vfio-user server. */
enum pci_spec_kind { PCI_SPEC_HOST, PCI_SPEC_VFIO_USER };

struct pci_spec {
	enum pci_spec_kind kind;
	uint16_t domain; /* PCI_SPEC_HOST: segment, bus, device, function */
	uint8_t bus, dev, fn;
	char bdf[16];	/* "0000:03:00.0", canonical */
	char path[108]; /* PCI_SPEC_VFIO_USER: the server's socket */
};

/*
 * One disk of `disk = [...]` or `--disk SPEC`, in xl's syntax
 * (xl-disk-configuration(5)): a raw image file or block device on the host.
 */
struct disk_spec {
	char *target;		  /* absolute path of the image or block device */
	char vdev[DISK_VDEV_MAX]; /* as written: "xvda", "hdc", "sdb1", "vda", "d2p1" */
	unsigned int disk;	/* the disk number vdev names (xvda 0, hdc 2): the guest's order */
	unsigned int partition; /* vdev's partition number, 0 for a whole disk */
	bool readonly;		/* access = ro */
	bool discard;		/* offer discard to the guest (xl's default: yes) */
	bool direct_io;		/* direct-io-safe: open the target with O_DIRECT */
	char serial[DISK_SERIAL_MAX + 1]; /* kdom's serial=: the ID the guest reads; "" none */
};

/* One network interface of `vif = [...]` or `--vif SPEC` (xl-network-configuration(5)). */
struct vif_spec {
	uint8_t mac[6];
	bool mac_set;		     /* mac= given; else vif_spec_generate_mac() at build */
	char bridge[VIF_IFNAME_MAX]; /* the host bridge to join; xl's default "xenbr0" */
	char ifname[VIF_IFNAME_MAX]; /* vifname=; "": the builder names it vifDOMID.INDEX */
	unsigned int mtu;	     /* mtu=; 0: the bridge's */
};

/*
 * The MAC address of a vif given without mac=: in Xen's OUI 00:16:3e, the
 * other three bytes a hash of the domain's UUID and the vif's index, so a
 * domain keeps its addresses across reboots (and, with `uuid =` in its
 * config, across creations), like a machine keeps its NICs'.
 */
void vif_spec_generate_mac(uint8_t mac[6], const uint8_t uuid[16], unsigned int index);

struct domain_config {
	char name[DOMAIN_NAME_MAX]; /* [A-Za-z0-9_.-], 1..63 chars */
	uint64_t memory_mib;
	unsigned int vcpus;
	char *kernel;  /* path; required */
	char *ramdisk; /* path or NULL */
	char *cmdline; /* NULL: empty */
	int domid;     /* 0..DOMAIN_DOMID_MAX, or DOMAIN_DOMID_ANY */
	bool control;  /* `control = 1`: may manage other domains within the policy */
	bool hardware; /* `hardware = 1`: asks to be the hardware domain */
	bool pit;      /* `pit = 0`: no PIT at all (default 1) */
	struct cpuid_override *cpuid; /* `cpuid = "host,aes=0"`; NULL: none */
	char *label; /* `label = "tenant-a"`: what the policy file grants control domains; NULL */
	char *pci[DOMAIN_PCI_MAX]; /* `pci = [ "0000:03:00.0", "vfio-user:/run/d.sock" ]` */
	struct pci_spec pci_spec[DOMAIN_PCI_MAX]; /* pci[i], parsed */
	unsigned int nr_pci;
	bool driver_domain; /* `driver_domain = 1`: may receive devices though not hardware */
	bool xen;	    /* `xen = 1`: Xen's guest interface (docs/xen-abi.md) */
	bool virtio_rng;    /* `virtio_rng = 1`: a virtio entropy device (docs/devices.md) */
	/* on_poweroff, on_reboot, on_crash, on_watchdog (kdomd); xl's defaults */
	enum domain_action on[DOMAIN_SHUTDOWN_COUNT];
	bool uuid_set;	  /* `uuid = "..."` given: the domain's UUID; else a random one */
	uint8_t uuid[16]; /* RFC 4122 byte order, as written */
	struct disk_spec disks[DOMAIN_DISKS_MAX]; /* `disk = [...]`, `--disk` */
	unsigned int nr_disks;
	struct vif_spec vifs[DOMAIN_VIFS_MAX]; /* `vif = [...]`, `--vif` */
	unsigned int nr_vifs;
};

#endif
