/* The configuration space kdom shows a guest for a passed-through PCI device, over its back end. */
#ifndef KDOM_VFIO_PCI_CONFIG_H
#define KDOM_VFIO_PCI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vfio/backend.h"

#define PT_CONFIG_SIZE 256 /* what the guest reaches; beyond it reads are all ones */
#define PT_BARS 6

/*
 * What the guest sees, byte by byte:
 * - BARs are fully emulated from the sizes the back end's region info gives
 *   and the type bits the device's BAR registers show; the device's own BARs
 *   are never written.  A 64-bit BAR spans two registers; I/O BARs are not
 *   supported and read as absent (a warning says so); the ROM BAR reads 0.
 * - Command: memory space, bus master and INTx disable reach the device;
 *   I/O space reads 0 and never reaches it; MWI, parity and SERR# are kept
 *   here; the rest reads 0.
 * - Status: the device's, read live (capability list bit included); writes
 *   of its write-1-to-clear bits reach the device.
 * - Header type loses its multi-function bit (the function sits alone in a
 *   slot of the guest's bus); the interrupt line is a scratch register kept
 *   here; everything else in the header is the device's, read-only.
 * - Capabilities: the list keeps MSI and MSI-X (emulated here: their
 *   messages and masks never reach the device, kdom delivers them through
 *   KVM), Power Management and PCI Express (read-only); the others are
 *   unlinked (their bytes still read as the device has them).
 * - Writes to read-only or reserved bits are dropped; the 4 KiB extended
 *   space is not offered.
 */

/* A BAR as the guest sees it. */
struct pt_bar {
	uint64_t size; /* a power of two; 0: absent, an I/O BAR, or a 64-bit BAR's upper half */
	bool is64;
	bool prefetch;
	uint64_t gpa; /* what the guest programmed, decoded or not */
};

/*
 * What the owner does about changes that reach beyond config space.  Any
 * may be NULL.  They are called from inside pt_config_write(),
 * pt_config_msix_table_write() and pt_config_reset(), under whatever lock
 * the caller holds (the PCI bus lock for config cycles).
 */
struct pt_config_ops {
	/*
	 * A memory BAR's decoding changed: moved while memory decoding is on
	 * (old_gpa != new_gpa, enabled true), or decoding was switched on or
	 * off (old_gpa == new_gpa).  Moves while decoding is off are reported
	 * when it comes on.  The guest may place a BAR anywhere (over RAM,
	 * another device, half a sizing pattern): the owner must check overlaps
	 * before mapping anything at new_gpa.
	 */
	void (*bar_moved)(void *opaque, unsigned int bar, uint64_t old_gpa, uint64_t new_gpa,
			  bool enabled);
	/*
	 * MSI was enabled or disabled, or while enabled its message, vector
	 * count (nvec, a power of two) or per-vector mask bits changed.
	 * Vector i sends data | i (the low log2(nvec) bits) to addr.
	 */
	void (*msi_update)(void *opaque, bool enabled, uint64_t addr, uint32_t data,
			   unsigned int nvec, uint32_t mask);
	/* MSI-X enable or its function mask changed: re-read every vector. */
	void (*msix_update)(void *opaque, bool enabled, bool function_masked);
	/*
	 * An MSI-X table entry's mask bit toggled, or its message changed while
	 * unmasked: read it with pt_config_msix_entry().  When it is unmasked
	 * and pt_config_msix_pending() says so, the owner delivers it and
	 * clears the pending bit.
	 */
	void (*msix_vector_update)(void *opaque, unsigned int vector);
	/* The command register's INTx disable bit changed. */
	void (*intx_update)(void *opaque, bool disabled);
};

struct pt_config {
	struct pt_backend *backend;
	const struct pt_config_ops *ops; /* set by the owner after pt_config_init() */
	void *opaque;

	uint8_t config[PT_CONFIG_SIZE];	  /* the emulated bytes' values */
	uint8_t emulated[PT_CONFIG_SIZE]; /* bits taken from config[]; the rest are the device's */
	uint8_t writable[PT_CONFIG_SIZE]; /* emulated bits the guest may change */
	struct pt_bar bars[PT_BARS];
	uint8_t msi_cap, msix_cap, pm_cap, pcie_cap; /* 0: absent or hidden */

	/* What the owner was last told. */
	bool memory_enabled;
	bool intx_disabled;
	struct {
		bool enabled;
		uint64_t addr;
		uint32_t data;
		unsigned int nvec;
		uint32_t mask;
	} msi;
	struct {
		bool enabled;
		bool function_masked;
		unsigned int vectors;
		unsigned int table_bar, pba_bar;
		uint32_t table_offset, pba_offset;
		uint32_t (*table)[4]; /* address low, address high, data, vector control */
		uint64_t *pending;
	} msix;
};

/*
 * Read b's configuration space and build the guest's view: 0, or -errno
 * with err (a bridge, a device that reads as absent, a back end failing).
 * If the device decodes memory, masters or has INTx disabled, those bits
 * are cleared in it, as the guest starts with them off.
 */
int pt_config_init(struct pt_config *c, struct pt_backend *b, char *err, size_t errlen);
/* Free what pt_config_init() allocated; the back end stays the caller's. */
void pt_config_destroy(struct pt_config *c);
/* Back to the power-on view (the guest's reset): decoding, MSI and MSI-X off, callbacks told. */
void pt_config_reset(struct pt_config *c);

/* A config cycle: len 1, 2 or 4 at any offset; other lengths read all ones and write nothing. */
uint32_t pt_config_read(struct pt_config *c, uint32_t offset, uint32_t len);
void pt_config_write(struct pt_config *c, uint32_t offset, uint32_t len, uint32_t value);

/* BAR bar (0..5) as the guest has it, or NULL. */
const struct pt_bar *pt_config_bar(const struct pt_config *c, unsigned int bar);

/* MSI-X vectors the guest sees (0: none, or hidden). */
unsigned int pt_config_msix_vectors(const struct pt_config *c);
/*
 * Where the MSI-X table and PBA live: BAR *bar, bytes [*offset, *offset +
 * *size).  The owner traps those pages of the BAR and passes the accesses
 * to the accessors below.  0, or -ENOENT without MSI-X.
 */
int pt_config_msix_table(const struct pt_config *c, unsigned int *bar, uint64_t *offset,
			 uint64_t *size);
int pt_config_msix_pba(const struct pt_config *c, unsigned int *bar, uint64_t *offset,
		       uint64_t *size);
/*
 * A guest access to the table (offset from its start): len 4 at a 4-byte
 * boundary or 8 at an 8-byte one, as the spec allows; anything else reads
 * all ones and writes nothing.  Only the mask bit of vector control is
 * writable.
 */
uint64_t pt_config_msix_table_read(struct pt_config *c, uint64_t offset, uint32_t len);
void pt_config_msix_table_write(struct pt_config *c, uint64_t offset, uint32_t len, uint64_t value);
/* A guest read of the PBA (offset from its start); writes to it are ignored. */
uint64_t pt_config_msix_pba_read(struct pt_config *c, uint64_t offset, uint32_t len);
/*
 * Vector i's message; *masked when its mask bit or the function mask is set
 * (it must not be delivered).  0, or -EINVAL when there is no vector i.
 */
int pt_config_msix_entry(const struct pt_config *c, unsigned int i, uint64_t *addr, uint32_t *data,
			 bool *masked);
/* The PBA's bit for vector i: the owner sets it when a masked vector fires. */
void pt_config_msix_set_pending(struct pt_config *c, unsigned int i, bool pending);
bool pt_config_msix_pending(const struct pt_config *c, unsigned int i);

#endif
