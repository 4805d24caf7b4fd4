/* vfio-user-testdev: a vfio-user server emulating the PCI device kdom's pass-through tests drive. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "kdom/testdev.h"
#include "vfio/vfio-user-wire.h"

/*
 * Usage: vfio-user-testdev --socket PATH [--once] [--verbose]
 *
 * Listens on the UNIX stream socket PATH, serves one client at a time and,
 * with --once, exits (status 0) when that client disconnects.  It speaks
 * the vfio-user protocol of QEMU's docs/interop/vfio-user.rst (the one QEMU
 * and libvfio-user implement); "vfio-user-testdev: listening on PATH" on
 * stderr says it is ready.  Links only libc and kdom's vfio-user wire
 * layer (vfio/vfio-user-wire.c: message layouts and framing); the device
 * below is this file's own reading of the specification.
 *
 * Protocol subset
 *   Header (16 bytes): msg_id u16, command u16, msg_size u32 (header
 *   included), flags u32 (bits 0-3 type: 0 command, 1 reply; bit 4
 *   no_reply; bit 5 error), error u32 (errno in an error reply).  An error
 *   reply is the header alone.  Commands served:
 *     1 VERSION            major 0, minor min(proposed, 0); JSON capabilities
 *                          in and out: {"capabilities":{"max_msg_fds":8,
 *                          "max_data_xfer_size":1048576,"pgsizes":4096,
 *                          "max_dma_maps":128}}; no migration, no twin
 *                          socket, no write_multiple.  Must come first, once.
 *     2 DMA_MAP            32 bytes {argsz, flags, offset, addr, size} + one fd
 *     3 DMA_UNMAP          24 bytes {argsz, flags, addr, size}; exact match,
 *                          or VFIO_DMA_UNMAP_FLAG_ALL; the reply echoes it
 *     4 DEVICE_GET_INFO    16 bytes {argsz, flags, num_regions, num_irqs}
 *     5 DEVICE_GET_REGION_INFO  32 bytes {argsz, flags, index, cap_offset,
 *                          size, offset}; no caps; BAR4's reply carries its fd
 *     6 DEVICE_GET_REGION_IO_FDS  16 bytes {argsz, flags, index, count}:
 *                          answered with count 0 (no sub-regions, no fds)
 *     7 DEVICE_GET_IRQ_INFO  16 bytes {argsz, flags, index, count}
 *     8 DEVICE_SET_IRQS    20 bytes {argsz, flags, index, start, count}
 *                          (+ count bytes for DATA_BOOL); eventfds travel
 *                          as SCM_RIGHTS, count of them, or none to detach
 *     9 REGION_READ        16 bytes {offset u64, region, count}; reply + data
 *    10 REGION_WRITE       16 bytes + count bytes; reply the 16 bytes
 *    13 DEVICE_RESET       no payload
 *   DMA_READ/DMA_WRITE (11, 12) go server to client, and this server never
 *   sends them: from a client they get ENOTSUP, as do 14 to 18; other
 *   command numbers get ENOSYS.  Every message is checked (sizes, argsz,
 *   indices, counts, offsets, descriptors); a bad one gets an error reply.
 *   A header whose msg_size is below 16 or above 16 + 16 + 1 MiB gets an
 *   error reply and the connection is closed, since the stream can no
 *   longer be framed; so is a client that sends a reply or closes mid-message.
 *   On disconnect DMA mappings and interrupt eventfds are dropped and the
 *   device state is kept, as the specification asks.
 *
 * The device (kdom test device; 0x4b44 "KD" is not a registered PCI vendor ID)
 *   Config space, 256 bytes, region VFIO_PCI_CONFIG_REGION_INDEX (7):
 *     0x00 vendor 0x4b44, 0x02 device 0x0001
 *     0x04 command: writable bits memory space (1), bus master (2), parity
 *          (6), SERR (8), INTx disable (10); 0 at reset
 *     0x06 status: capability list (bit 4); interrupt status (bit 3) = INTx
 *          asserted (BAR0 STATUS bit 2)
 *     0x08 revision 1, 0x09 class 0xff0000 (unassigned)
 *     0x0c cache line size (read/write), 0x0e header type 0
 *     0x10 BAR0: 4 KiB, 32-bit, non-prefetchable memory
 *     0x18 BAR2: 4 KiB, 32-bit, non-prefetchable memory (MSI-X)
 *     0x20 BAR4: 64 KiB, 32-bit, prefetchable plain memory, mmappable: its
 *          REGION_INFO reply carries the memfd behind it (flag MMAP,
 *          offset 0), so a client can map it straight into a guest.
 *          BARs size as on hardware: write all ones, read 0xfffff000
 *          (BAR4: 0xffff0008).
 *          BAR1, 3, 5 and the expansion ROM read 0.
 *     0x2c subsystem vendor 0x4b44, 0x2e subsystem 0x0001
 *     0x34 capability pointer 0x40; 0x3c interrupt line (read/write);
 *     0x3d interrupt pin 1 (INTA)
 *     0x40 MSI-X capability (the only one, next 0): message control with
 *          table size 8 (reads 7), function mask (14) and enable (15)
 *          writable; table at BAR2 + 0x000, PBA at BAR2 + 0x800
 *   Regions: BAR0 (0) and BAR2 (2) 4 KiB, BAR4 (4) 64 KiB and config (7)
 *   256 bytes, all read/write through REGION_READ/WRITE; only BAR4 is
 *   mmappable (its memfd is sealed against resizing); the other indices
 *   (1, 3, 5, 6, 8) have size 0.  With memory space disabled in the
 *   command register, BAR reads return all ones and writes are dropped.
 *
 *   BAR0 registers, 32 bits each; reads may be of any size, writes must be
 *   4-byte aligned and a multiple of 4 bytes long (EINVAL otherwise):
 *     0x00 ID          RO  0x4b440001
 *     0x04 SCRATCH     RW
 *     0x08 DMA_ADDR_LO RW  guest (IOVA) address of the DMA, low half
 *     0x0c DMA_ADDR_HI RW  high half
 *     0x10 DMA_LEN     RW  bytes, 1 to 1 MiB
 *     0x14 DMA_SEED    RW  byte i of the transfer is (seed + i * 7) & 0xff
 *     0x18 DMA_START   WO  bit 0: clear STATUS bits 0-1, then write the
 *                          pattern to [DMA_ADDR, DMA_ADDR + DMA_LEN) through
 *                          the client's DMA_MAP regions.  The DMA fails (STATUS
 *                          bit 1, nothing written) unless bus master is enabled,
 *                          the length is 1 to 1 MiB and the range lies inside
 *                          one writable mapped region.  It completes before
 *                          the write's reply.  Reads 0.
 *     0x1c STATUS      RW1C bit 0 DMA done, bit 1 DMA error (write 1 to
 *                          clear); bit 2 INTx asserted (read-only here)
 *     0x20 IRQ_MSIX    WO  write N (0-7): send MSI-X vector N; larger N are
 *                          ignored.  Sent (its eventfd signalled) when the
 *                          client gave it an eventfd, MSI-X is enabled, the
 *                          function is not masked and the vector's table mask
 *                          bit is clear; otherwise its PBA bit is set, and
 *                          the message goes out once all that holds.  Reads 0.
 *     0x24 IRQ_INTX    RW  bit 0 set: assert INTx (STATUS bit 2); 0: deassert.
 *                          Reads the INTx level.
 *     0x28 DMA_COUNT   RO  DMAs completed without error since reset
 *     0x2c IRQ_ON_DMA  RW  bit 0: each finished DMA (done or error) sends
 *                          MSI-X vector 0; bit 1: it asserts INTx
 *     0x30 BAR4_WORD0  RO  the first dword of BAR4's memory
 *     others read 0, writes ignored.
 *   BAR2: MSI-X table at 0x000 (8 entries of address low, address high,
 *   data, vector control; only vector control bit 0, the mask, is writable
 *   there, set at reset), PBA at 0x800 (8 bits, read-only); any access size.
 *   The client traps MSI-X, but this device obeys only its own table: a
 *   client must forward the guest's table writes (or unmask vectors itself).
 *
 *   Interrupts (DEVICE_GET_IRQ_INFO / SET_IRQS), as kernel vfio-pci does:
 *     INTx (0): count 1, EVENTFD | MASKABLE | AUTOMASKED.  The line is up
 *       while INTx is asserted, INTx disable is clear and MSI-X is off; when
 *       it is up and not masked the eventfd is signalled and INTx masks
 *       itself; ACTION_UNMASK (DATA_NONE/BOOL, or an eventfd the client
 *       signals, e.g. KVM's resamplefd) unmasks it, and a line still up
 *       fires again.  ACTION_MASK (DATA_NONE/BOOL) masks.
 *     MSI (1): count 1 (capability at 0x50, 64-bit address; giving it an
 *       eventfd enables it, as vfio-pci does; BAR0 0x34 IRQ_MSI sends it).
 *     MSI-X (2): count 8, EVENTFD; TRIGGER only.  Giving
 *       MSI-X eventfds enables MSI-X and unmasks those vectors in the
 *       device, as kernel vfio-pci programs a physical device's table; count
 *       0 disables MSI-X again.
 *     ERR (3), REQ (4): count 0.
 *     TRIGGER with DATA_EVENTFD sets count eventfds (or, with none sent,
 *     detaches them); with DATA_NONE/BOOL it signals them; count 0 with
 *     DATA_NONE detaches the whole index.  Descriptors must be eventfds.
 *   DEVICE_RESET is a function-level reset: config space, BAR0 registers,
 *   MSI-X table and PBA return to their reset values and INTx is deasserted
 *   and unmasked; eventfds and DMA mappings stay.
 */

#define VU_MAX_MSG_FDS 8u	    /* advertised: descriptors accepted in one message */
#define VU_MAX_DATA_XFER (1u << 20) /* advertised max_data_xfer_size */
#define VU_MAX_DMA_MAPS 128u
#define VU_PGSIZES 4096u
#define VU_MAX_MSG_SIZE (VFIO_USER_HEADER_SIZE + 16u + VU_MAX_DATA_XFER)

/* ---- The device -------------------------------------------------------------------- */

#define TESTDEV_CLASS 0xff0000u
#define TESTDEV_REVISION 1
#define TESTDEV_BAR_SIZE 0x1000u
#define TESTDEV_BAR4_SIZE 0x10000u /* plain memory, mmappable: the direct path */
#define TESTDEV_MSIX_CAP 0x40
#define TESTDEV_MSIX_VECTORS 8u
#define TESTDEV_MSIX_BIR 2u
#define TESTDEV_MSIX_PBA 0x800u
#define TESTDEV_DMA_MAX_LEN (1u << 20)
#define TESTDEV_MSI_CAP 0x50

#define TESTDEV_COMMAND_WMASK                                                              \
	(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | PCI_COMMAND_SERR | \
	 PCI_COMMAND_INTX_DISABLE)

/* One VFIO_USER_DMA_MAP region, mapped into this process. */
struct dma_region {
	uint64_t iova;
	uint64_t size;
	uint64_t fd_offset;
	uint32_t flags; /* VFIO_DMA_MAP_FLAG_READ / _WRITE */
	int fd;
	void *map; /* from fd_offset rounded down to a page */
	size_t map_len;
	uint8_t *host; /* where iova is in map */
};

struct testdev {
	uint8_t config[PCI_CFG_SPACE_SIZE];
	uint8_t config_wmask[PCI_CFG_SPACE_SIZE];
	uint8_t msix_table[TESTDEV_MSIX_VECTORS * PCI_MSIX_ENTRY_SIZE];
	uint8_t msix_pba;
	uint32_t scratch, dma_addr_lo, dma_addr_hi, dma_len, dma_seed;
	uint32_t status; /* bits 0-1; bit 2 comes from intx_asserted */
	uint32_t dma_count, irq_on_dma;
	bool intx_asserted; /* the device's INTx level */
	bool intx_masked;   /* VFIO's INTx mask, set on each delivery */
	/* What the client plumbed in: eventfds and DMA regions, per connection. */
	int intx_fd, intx_unmask_fd;
	int msix_fds[TESTDEV_MSIX_VECTORS];
	int msi_fd;  /* the MSI's eventfd, or -1 */
	int bar4_fd; /* a memfd: BAR4's memory, handed to the client to mmap */
	uint8_t *bar4;
	struct dma_region dma[VU_MAX_DMA_MAPS];
	unsigned int ndma;
};

static bool verbose;
static volatile sig_atomic_t stop_requested;

static void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("vfio-user-testdev: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get_le32(const uint8_t *p)
{
	return get_le16(p) | (uint32_t)get_le16(p + 2) << 16;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*
 * A DMA region's file may shrink under us (the client truncates it): the
 * store then raises SIGBUS, which turns into a DMA error rather than a
 * crash.  Signal handlers need file-scope state.
 */
static sigjmp_buf dma_fault_jmp;
static volatile sig_atomic_t dma_fault_armed;

static void dma_fault_handler(int sig)
{
	if (dma_fault_armed)
		siglongjmp(dma_fault_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static bool dma_fill_pattern(uint8_t *host, uint32_t len, uint32_t seed)
{
	volatile uint8_t *dst = host;

	if (sigsetjmp(dma_fault_jmp, 1)) {
		dma_fault_armed = 0;
		return false;
	}
	dma_fault_armed = 1;
	for (uint32_t i = 0; i < len; i++)
		dst[i] = (uint8_t)(seed + i * 7u);
	dma_fault_armed = 0;
	return true;
}

static void eventfd_signal(int fd)
{
	uint64_t one = 1;

	if (fd >= 0 && write(fd, &one, sizeof(one)) != sizeof(one) && errno != EAGAIN)
		log_msg("eventfd write: %s", strerror(errno));
}

static uint16_t testdev_command(const struct testdev *d)
{
	return get_le16(d->config + PCI_COMMAND);
}

static uint16_t testdev_msix_control(const struct testdev *d)
{
	return get_le16(d->config + TESTDEV_MSIX_CAP + PCI_MSIX_FLAGS);
}

static bool testdev_msix_masked(const struct testdev *d, unsigned int vector)
{
	uint16_t control = testdev_msix_control(d);
	const uint8_t *entry = d->msix_table + vector * PCI_MSIX_ENTRY_SIZE;

	return !(control & PCI_MSIX_FLAGS_ENABLE) || (control & PCI_MSIX_FLAGS_MASKALL) ||
	       (entry[PCI_MSIX_ENTRY_VECTOR_CTRL] & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

/* Send vector's message now if nothing holds it back, else leave it pending. */
static void testdev_msix_send(struct testdev *d, unsigned int vector)
{
	if (!testdev_msix_masked(d, vector) && d->msix_fds[vector] >= 0) {
		eventfd_signal(d->msix_fds[vector]);
		d->msix_pba &= (uint8_t) ~(1u << vector);
	} else {
		d->msix_pba |= (uint8_t)(1u << vector);
	}
}

/* INTx as vfio-pci presents it: level-triggered, masked by each delivery. */
static void testdev_intx_update(struct testdev *d)
{
	bool line = d->intx_asserted && !(testdev_command(d) & PCI_COMMAND_INTX_DISABLE) &&
		    !(testdev_msix_control(d) & PCI_MSIX_FLAGS_ENABLE);

	if (line && !d->intx_masked && d->intx_fd >= 0) {
		eventfd_signal(d->intx_fd);
		d->intx_masked = true;
	}
}

/* After anything that may release a held interrupt: config, table, eventfds. */
static void testdev_irq_update(struct testdev *d)
{
	for (unsigned int v = 0; v < TESTDEV_MSIX_VECTORS; v++)
		if (d->msix_pba & (1u << v))
			testdev_msix_send(d, v);
	testdev_intx_update(d);
}

static void testdev_intx_set(struct testdev *d, bool asserted)
{
	d->intx_asserted = asserted;
	testdev_intx_update(d);
}

static void testdev_config_reset(struct testdev *d)
{
	uint8_t *c = d->config, *w = d->config_wmask;
	uint8_t *msix = c + TESTDEV_MSIX_CAP;

	memset(c, 0, sizeof(d->config));
	memset(w, 0, sizeof(d->config_wmask));
	put_le16(c + PCI_VENDOR_ID, TESTDEV_VENDOR_ID);
	put_le16(c + PCI_DEVICE_ID, TESTDEV_DEVICE_ID);
	put_le16(w + PCI_COMMAND, TESTDEV_COMMAND_WMASK);
	put_le16(c + PCI_STATUS, PCI_STATUS_CAP_LIST);
	put_le32(c + PCI_CLASS_REVISION, TESTDEV_CLASS << 8 | TESTDEV_REVISION);
	w[PCI_CACHE_LINE_SIZE] = 0xff;
	c[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	/* 32-bit non-prefetchable memory BARs: type bits 0, size bits read-only. */
	put_le32(w + PCI_BASE_ADDRESS_0, ~(TESTDEV_BAR_SIZE - 1));
	put_le32(w + PCI_BASE_ADDRESS_2, ~(TESTDEV_BAR_SIZE - 1));
	/* BAR4: 64 KiB of 32-bit prefetchable memory. */
	put_le32(c + PCI_BASE_ADDRESS_4, PCI_BASE_ADDRESS_MEM_PREFETCH);
	put_le32(w + PCI_BASE_ADDRESS_4, ~(TESTDEV_BAR4_SIZE - 1));
	put_le16(c + PCI_SUBSYSTEM_VENDOR_ID, TESTDEV_VENDOR_ID);
	put_le16(c + PCI_SUBSYSTEM_ID, TESTDEV_DEVICE_ID);
	c[PCI_CAPABILITY_LIST] = TESTDEV_MSIX_CAP;
	w[PCI_INTERRUPT_LINE] = 0xff;
	c[PCI_INTERRUPT_PIN] = 1;
	msix[PCI_CAP_LIST_ID] = PCI_CAP_ID_MSIX;
	msix[PCI_CAP_LIST_NEXT] = TESTDEV_MSI_CAP;
	/* MSI: one vector, 64-bit address; enable, address and data writable. */
	c[TESTDEV_MSI_CAP + PCI_CAP_LIST_ID] = PCI_CAP_ID_MSI;
	c[TESTDEV_MSI_CAP + PCI_CAP_LIST_NEXT] = 0;
	put_le16(c + TESTDEV_MSI_CAP + PCI_MSI_FLAGS, PCI_MSI_FLAGS_64BIT);
	put_le16(w + TESTDEV_MSI_CAP + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE);
	put_le32(w + TESTDEV_MSI_CAP + PCI_MSI_ADDRESS_LO, 0xfffffffc);
	put_le32(w + TESTDEV_MSI_CAP + PCI_MSI_ADDRESS_HI, 0xffffffff);
	put_le16(w + TESTDEV_MSI_CAP + PCI_MSI_DATA_64, 0xffff);
	put_le16(msix + PCI_MSIX_FLAGS, TESTDEV_MSIX_VECTORS - 1);
	put_le16(w + TESTDEV_MSIX_CAP + PCI_MSIX_FLAGS,
		 PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	put_le32(msix + PCI_MSIX_TABLE, 0 | TESTDEV_MSIX_BIR);
	put_le32(msix + PCI_MSIX_PBA, TESTDEV_MSIX_PBA | TESTDEV_MSIX_BIR);
}

/* Function-level reset: device state only, not what the client plumbed in. */
static void testdev_reset(struct testdev *d)
{
	testdev_config_reset(d);
	memset(d->msix_table, 0, sizeof(d->msix_table));
	for (unsigned int v = 0; v < TESTDEV_MSIX_VECTORS; v++)
		d->msix_table[v * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL] =
			PCI_MSIX_ENTRY_CTRL_MASKBIT;
	d->msix_pba = 0;
	d->scratch = d->dma_addr_lo = d->dma_addr_hi = d->dma_len = d->dma_seed = 0;
	d->status = d->dma_count = d->irq_on_dma = 0;
	d->intx_asserted = false;
	d->intx_masked = false;
}

static void testdev_init(struct testdev *d)
{
	memset(d, 0, sizeof(*d));
	d->intx_fd = d->intx_unmask_fd = d->msi_fd = -1;
	for (unsigned int v = 0; v < TESTDEV_MSIX_VECTORS; v++)
		d->msix_fds[v] = -1;
	for (unsigned int i = 0; i < VU_MAX_DMA_MAPS; i++)
		d->dma[i].fd = -1;
	/* Sealed at its size: a client that shrank it would make our accesses SIGBUS. */
	d->bar4_fd = memfd_create("vfio-user-testdev-bar4", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (d->bar4_fd >= 0 && ftruncate(d->bar4_fd, TESTDEV_BAR4_SIZE) == 0 &&
	    fcntl(d->bar4_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) == 0)
		d->bar4 = mmap(NULL, TESTDEV_BAR4_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			       d->bar4_fd, 0);
	if (!d->bar4 || d->bar4 == MAP_FAILED) {
		log_msg("BAR4's memory: %s; BAR4 is left out", strerror(errno));
		d->bar4 = NULL;
	}
	testdev_reset(d);
}

static void dma_region_release(struct dma_region *r)
{
	if (r->map)
		munmap(r->map, r->map_len);
	close_fd(&r->fd);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

static void testdev_dma_unmap(struct testdev *d, unsigned int i)
{
	dma_region_release(&d->dma[i]);
	d->dma[i] = d->dma[--d->ndma];
	d->dma[d->ndma].fd = -1;
	d->dma[d->ndma].map = NULL;
}

/* Drop what belongs to a connection; the device state stays for the next one. */
static void testdev_disconnect(struct testdev *d)
{
	while (d->ndma)
		testdev_dma_unmap(d, d->ndma - 1);
	close_fd(&d->intx_fd);
	close_fd(&d->msi_fd);
	close_fd(&d->intx_unmask_fd);
	for (unsigned int v = 0; v < TESTDEV_MSIX_VECTORS; v++)
		close_fd(&d->msix_fds[v]);
}

/* Host address of [iova, iova + len) when one writable mapped region holds all of it. */
static uint8_t *testdev_dma_translate(struct testdev *d, uint64_t iova, uint64_t len)
{
	for (unsigned int i = 0; i < d->ndma; i++) {
		struct dma_region *r = &d->dma[i];

		if (iova < r->iova || iova - r->iova >= r->size || len > r->size - (iova - r->iova))
			continue;
		if (!(r->flags & VFIO_DMA_MAP_FLAG_WRITE))
			return NULL;
		return r->host + (iova - r->iova);
	}
	return NULL;
}

static void testdev_dma_start(struct testdev *d)
{
	uint64_t iova = (uint64_t)d->dma_addr_hi << 32 | d->dma_addr_lo;
	uint8_t *host = NULL;

	d->status &= ~(TESTDEV_STATUS_DMA_DONE | TESTDEV_STATUS_DMA_ERROR);
	if ((testdev_command(d) & PCI_COMMAND_MASTER) && d->dma_len != 0 &&
	    d->dma_len <= TESTDEV_DMA_MAX_LEN)
		host = testdev_dma_translate(d, iova, d->dma_len);
	if (host && dma_fill_pattern(host, d->dma_len, d->dma_seed)) {
		d->status |= TESTDEV_STATUS_DMA_DONE;
		d->dma_count++;
	} else {
		d->status |= TESTDEV_STATUS_DMA_ERROR;
		if (verbose)
			log_msg("DMA of %u bytes to 0x%llx failed", d->dma_len,
				(unsigned long long)iova);
	}
	if (d->irq_on_dma & TESTDEV_IRQ_ON_DMA_MSIX0)
		testdev_msix_send(d, 0);
	if (d->irq_on_dma & TESTDEV_IRQ_ON_DMA_INTX)
		testdev_intx_set(d, true);
}

static uint32_t testdev_bar0_read(const struct testdev *d, uint32_t offset)
{
	switch (offset) {
	case TESTDEV_REG_ID:
		return TESTDEV_ID;
	case TESTDEV_REG_SCRATCH:
		return d->scratch;
	case TESTDEV_REG_DMA_ADDR_LO:
		return d->dma_addr_lo;
	case TESTDEV_REG_DMA_ADDR_HI:
		return d->dma_addr_hi;
	case TESTDEV_REG_DMA_LEN:
		return d->dma_len;
	case TESTDEV_REG_DMA_SEED:
		return d->dma_seed;
	case TESTDEV_REG_STATUS:
		return d->status | (d->intx_asserted ? TESTDEV_STATUS_INTX : 0);
	case TESTDEV_REG_IRQ_INTX:
		return d->intx_asserted;
	case TESTDEV_REG_DMA_COUNT:
		return d->dma_count;
	case TESTDEV_REG_IRQ_ON_DMA:
		return d->irq_on_dma;
	case TESTDEV_REG_BAR4_WORD0:
		return d->bar4 ? get_le32(d->bar4) : 0;
	default:
		return 0;
	}
}

static void testdev_bar0_write(struct testdev *d, uint32_t offset, uint32_t value)
{
	switch (offset) {
	case TESTDEV_REG_SCRATCH:
		d->scratch = value;
		break;
	case TESTDEV_REG_DMA_ADDR_LO:
		d->dma_addr_lo = value;
		break;
	case TESTDEV_REG_DMA_ADDR_HI:
		d->dma_addr_hi = value;
		break;
	case TESTDEV_REG_DMA_LEN:
		d->dma_len = value;
		break;
	case TESTDEV_REG_DMA_SEED:
		d->dma_seed = value;
		break;
	case TESTDEV_REG_DMA_START:
		if (value & 1)
			testdev_dma_start(d);
		break;
	case TESTDEV_REG_STATUS:
		d->status &= ~(value & (TESTDEV_STATUS_DMA_DONE | TESTDEV_STATUS_DMA_ERROR));
		break;
	case TESTDEV_REG_IRQ_MSIX:
		if (value < TESTDEV_MSIX_VECTORS)
			testdev_msix_send(d, value);
		break;
	case TESTDEV_REG_IRQ_INTX:
		testdev_intx_set(d, value & 1);
		break;
	case TESTDEV_REG_IRQ_ON_DMA:
		d->irq_on_dma = value & (TESTDEV_IRQ_ON_DMA_MSIX0 | TESTDEV_IRQ_ON_DMA_INTX);
		break;
	case TESTDEV_REG_IRQ_MSI:
		/* Sent when MSI is enabled and the client gave it an eventfd. */
		if ((value & 1) && d->msi_fd >= 0 &&
		    (get_le16(d->config + TESTDEV_MSI_CAP + PCI_MSI_FLAGS) & PCI_MSI_FLAGS_ENABLE))
			eventfd_signal(d->msi_fd);
		break;
	default:
		break;
	}
}

static uint8_t testdev_bar2_read_byte(const struct testdev *d, uint32_t offset)
{
	if (offset < sizeof(d->msix_table))
		return d->msix_table[offset];
	if (offset == TESTDEV_MSIX_PBA)
		return d->msix_pba;
	return 0;
}

static void testdev_bar2_write_byte(struct testdev *d, uint32_t offset, uint8_t value)
{
	uint32_t in_entry = offset % PCI_MSIX_ENTRY_SIZE;

	if (offset >= sizeof(d->msix_table) || in_entry > PCI_MSIX_ENTRY_VECTOR_CTRL)
		return; /* PBA, reserved vector control bits, the rest: read-only */
	if (in_entry == PCI_MSIX_ENTRY_VECTOR_CTRL)
		value &= PCI_MSIX_ENTRY_CTRL_MASKBIT;
	d->msix_table[offset] = value;
}

static uint64_t testdev_region_size(uint32_t index)
{
	switch (index) {
	case VFIO_PCI_BAR0_REGION_INDEX:
	case VFIO_PCI_BAR2_REGION_INDEX:
		return TESTDEV_BAR_SIZE;
	case VFIO_PCI_BAR4_REGION_INDEX:
		return TESTDEV_BAR4_SIZE;
	case VFIO_PCI_CONFIG_REGION_INDEX:
		return PCI_CFG_SPACE_SIZE;
	default:
		return 0;
	}
}

static int testdev_region_check(uint32_t index, uint64_t offset, uint32_t count)
{
	uint64_t size;

	if (index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	size = testdev_region_size(index);
	if (size == 0 || offset > size || count > size - offset)
		return -EINVAL;
	return 0;
}

/* index, offset and count have passed testdev_region_check(). */
static int testdev_region_read(struct testdev *d, uint32_t index, uint32_t offset, uint8_t *data,
			       uint32_t count)
{
	bool decode = testdev_command(d) & PCI_COMMAND_MEMORY;

	for (uint32_t i = 0; i < count; i++) {
		uint32_t at = offset + i;

		if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
			data[i] = d->config[at];
			if (at == PCI_STATUS && d->intx_asserted)
				data[i] |= PCI_STATUS_INTERRUPT;
		} else if (!decode) {
			data[i] = 0xff; /* nothing answers: master abort */
		} else if (index == VFIO_PCI_BAR0_REGION_INDEX) {
			data[i] = (uint8_t)(testdev_bar0_read(d, at & ~3u) >> (8 * (at & 3)));
		} else if (index == VFIO_PCI_BAR4_REGION_INDEX) {
			data[i] = d->bar4 ? d->bar4[at] : 0xff;
		} else {
			data[i] = testdev_bar2_read_byte(d, at);
		}
	}
	return 0;
}

static int testdev_region_write(struct testdev *d, uint32_t index, uint32_t offset,
				const uint8_t *data, uint32_t count)
{
	bool decode = testdev_command(d) & PCI_COMMAND_MEMORY;

	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		for (uint32_t i = 0; i < count; i++) {
			uint8_t mask = d->config_wmask[offset + i];

			d->config[offset + i] =
				(uint8_t)((d->config[offset + i] & ~mask) | (data[i] & mask));
		}
		break;
	case VFIO_PCI_BAR0_REGION_INDEX:
		if (offset % 4 || count % 4)
			return -EINVAL;
		for (uint32_t i = 0; decode && i < count; i += 4)
			testdev_bar0_write(d, offset + i, get_le32(data + i));
		break;
	case VFIO_PCI_BAR4_REGION_INDEX:
		if (decode && d->bar4)
			memcpy(d->bar4 + offset, data, count);
		break;
	default:
		for (uint32_t i = 0; decode && i < count; i++)
			testdev_bar2_write_byte(d, offset + i, data[i]);
		break;
	}
	testdev_irq_update(d);
	return 0;
}

/* ---- A minimal JSON reader for the VERSION capabilities ------------------------------ */

#define JSON_MAX_DEPTH 32

struct json_cursor {
	const char *p;
	const char *end;
	unsigned int depth;
};

struct client_caps {
	uint64_t max_msg_fds;
	uint64_t max_data_xfer_size;
	uint64_t max_dma_maps;
	uint64_t pgsizes;
};

typedef int (*json_member_fn)(struct json_cursor *j, const char *key, size_t len, void *arg);

static int json_value(struct json_cursor *j);

static void json_space(struct json_cursor *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static bool json_take(struct json_cursor *j, char c)
{
	json_space(j);
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return true;
	}
	return false;
}

static bool json_word(struct json_cursor *j, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n))
		return false;
	j->p += n;
	return true;
}

static bool json_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool json_is_hex(char c)
{
	return json_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A string; *s and *len give its raw (still escaped) contents. */
static int json_string(struct json_cursor *j, const char **s, size_t *len)
{
	json_space(j);
	if (j->p >= j->end || *j->p != '"')
		return -EINVAL;
	*s = ++j->p;
	while (j->p < j->end && *j->p != '"') {
		if ((unsigned char)*j->p < 0x20)
			return -EINVAL;
		if (*j->p == '\\') {
			if (++j->p >= j->end)
				return -EINVAL;
			if (*j->p == 'u') {
				if (j->end - j->p < 5)
					return -EINVAL;
				for (int i = 1; i <= 4; i++)
					if (!json_is_hex(j->p[i]))
						return -EINVAL;
				j->p += 4;
			} else if (!strchr("\"\\/bfnrt", *j->p) || *j->p == '\0') {
				return -EINVAL;
			}
		}
		j->p++;
	}
	if (j->p >= j->end)
		return -EINVAL;
	*len = (size_t)(j->p - *s);
	j->p++;
	return 0;
}

/* A number; *value is set when it is a non-negative integer that fits 64 bits. */
static int json_number(struct json_cursor *j, uint64_t *value, bool *is_uint)
{
	bool uint_ok = true;
	uint64_t v = 0;

	json_space(j);
	if (j->p < j->end && *j->p == '-') {
		uint_ok = false;
		j->p++;
	}
	if (j->p >= j->end || !json_is_digit(*j->p))
		return -EINVAL;
	if (*j->p == '0') {
		j->p++;
	} else {
		while (j->p < j->end && json_is_digit(*j->p)) {
			unsigned int digit = (unsigned int)(*j->p++ - '0');

			if (v > (UINT64_MAX - digit) / 10)
				uint_ok = false;
			v = v * 10 + digit;
		}
	}
	if (j->p < j->end && *j->p == '.') {
		uint_ok = false;
		if (++j->p >= j->end || !json_is_digit(*j->p))
			return -EINVAL;
		while (j->p < j->end && json_is_digit(*j->p))
			j->p++;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		uint_ok = false;
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (j->p >= j->end || !json_is_digit(*j->p))
			return -EINVAL;
		while (j->p < j->end && json_is_digit(*j->p))
			j->p++;
	}
	*is_uint = uint_ok;
	*value = v;
	return 0;
}

/* An object; member() reads each member's value (NULL: check and skip them). */
static int json_object(struct json_cursor *j, json_member_fn member, void *arg)
{
	int ret = 0;

	if (!json_take(j, '{') || ++j->depth > JSON_MAX_DEPTH)
		return -EINVAL;
	if (json_take(j, '}'))
		goto out;
	do {
		const char *key;
		size_t len;

		ret = json_string(j, &key, &len);
		if (ret)
			return ret;
		if (!json_take(j, ':'))
			return -EINVAL;
		ret = member ? member(j, key, len, arg) : json_value(j);
		if (ret)
			return ret;
	} while (json_take(j, ','));
	if (!json_take(j, '}'))
		return -EINVAL;
out:
	j->depth--;
	return 0;
}

static int json_array(struct json_cursor *j)
{
	int ret;

	if (!json_take(j, '[') || ++j->depth > JSON_MAX_DEPTH)
		return -EINVAL;
	if (!json_take(j, ']')) {
		do {
			ret = json_value(j);
			if (ret)
				return ret;
		} while (json_take(j, ','));
		if (!json_take(j, ']'))
			return -EINVAL;
	}
	j->depth--;
	return 0;
}

/* Check and skip any value. */
static int json_value(struct json_cursor *j)
{
	const char *s;
	size_t len;
	uint64_t v;
	bool is_uint;

	json_space(j);
	if (j->p >= j->end)
		return -EINVAL;
	switch (*j->p) {
	case '{':
		return json_object(j, NULL, NULL);
	case '[':
		return json_array(j);
	case '"':
		return json_string(j, &s, &len);
	case 't':
		return json_word(j, "true") ? 0 : -EINVAL;
	case 'f':
		return json_word(j, "false") ? 0 : -EINVAL;
	case 'n':
		return json_word(j, "null") ? 0 : -EINVAL;
	default:
		return json_number(j, &v, &is_uint);
	}
}

static bool json_key_is(const char *key, size_t len, const char *name)
{
	return len == strlen(name) && !memcmp(key, name, len);
}

static int caps_member(struct json_cursor *j, const char *key, size_t len, void *arg)
{
	struct client_caps *caps = arg;
	uint64_t *field = NULL, v;
	bool is_uint;
	int ret;

	if (json_key_is(key, len, "max_msg_fds"))
		field = &caps->max_msg_fds;
	else if (json_key_is(key, len, "max_data_xfer_size"))
		field = &caps->max_data_xfer_size;
	else if (json_key_is(key, len, "max_dma_maps"))
		field = &caps->max_dma_maps;
	else if (json_key_is(key, len, "pgsizes"))
		field = &caps->pgsizes;
	if (!field)
		return json_value(j); /* migration, twin_socket, ...: not taken up */
	ret = json_number(j, &v, &is_uint);
	if (ret)
		return ret;
	if (!is_uint || (v == 0 && field != &caps->max_msg_fds))
		return -EINVAL;
	*field = v;
	return 0;
}

static int version_member(struct json_cursor *j, const char *key, size_t len, void *arg)
{
	if (json_key_is(key, len, "capabilities"))
		return json_object(j, caps_member, arg);
	return json_value(j);
}

/* The client's capabilities: len bytes of JSON (its NUL excluded). */
static int caps_parse(const char *json, size_t len, struct client_caps *caps)
{
	struct json_cursor j = { .p = json, .end = json + len };
	int ret;

	ret = json_object(&j, version_member, caps);
	if (ret)
		return ret;
	json_space(&j);
	return j.p == j.end ? 0 : -EINVAL;
}

/* ---- The connection ------------------------------------------------------------------ */

struct vu_reply {
	uint8_t *data; /* the payload, after the header in the send buffer */
	uint32_t len;
	int fd;		 /* a descriptor to send along (REGION_INFO of BAR4), or -1 */
	bool disconnect; /* close the connection after replying */
};

struct vu_conn {
	int sock;
	bool negotiated;
	struct client_caps caps;
	struct testdev *dev;
	uint8_t *buf; /* a reply's payload, VU_MAX_MSG_SIZE - VFIO_USER_HEADER_SIZE bytes */
};

/* Answer req: the payload already sits in c->buf, unless err; fd (or -1) rides along. */
static int vu_send_reply(struct vu_conn *c, const struct vfio_user_header *req, int err,
			 uint32_t len, int fd)
{
	struct vfio_user_header hdr = {
		.msg_id = req->msg_id,
		.command = req->command,
		.size = VFIO_USER_HEADER_SIZE + (err ? 0 : len),
		.flags = VFIO_USER_F_TYPE_REPLY | (err ? VFIO_USER_F_ERROR : 0),
		.error = (uint32_t)-err,
	};
	struct vfio_user_wait wait = { .stop = &stop_requested };

	return vfio_user_send(c->sock, &hdr, c->buf, &fd, fd >= 0 && !err, &wait);
}

static bool fd_is_eventfd(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return errno == ENOENT; /* no /proc to ask: trust the client */
	target[n] = '\0';
	return !strcmp(target, "anon_inode:[eventfd]");
}

static int vu_no_fds(const struct vfio_user_msg *m)
{
	return m->nr_fds ? -EINVAL : 0;
}

static int handle_version(struct vu_conn *c, struct vfio_user_msg *m, struct vu_reply *r)
{
	struct client_caps caps = { .max_msg_fds = VFIO_USER_DEFAULT_MAX_MSG_FDS,
				    .max_data_xfer_size = VFIO_USER_DEFAULT_MAX_DATA_XFER,
				    .max_dma_maps = VFIO_USER_DEFAULT_MAX_DMA_MAPS,
				    .pgsizes = VFIO_USER_DEFAULT_PGSIZES };
	struct vfio_user_version v;
	int ret, n;

	if (c->negotiated || vu_no_fds(m) || m->len < sizeof(v))
		return -EINVAL;
	memcpy(&v, m->payload, sizeof(v));
	if (v.major != VFIO_USER_MAJOR) {
		log_msg("client proposes version %u.%u, this server speaks %u.x", v.major, v.minor,
			VFIO_USER_MAJOR);
		r->disconnect = true;
		return -ENOTSUP;
	}
	if (m->len > sizeof(v)) {
		const char *json = (const char *)m->payload + sizeof(v);
		size_t len = m->len - sizeof(v);

		/* NUL-terminated, and no NUL before the end. */
		if (json[len - 1] != '\0' || memchr(json, '\0', len - 1))
			return -EINVAL;
		ret = caps_parse(json, len - 1, &caps);
		if (ret) {
			log_msg("VERSION: capabilities are not the JSON the protocol defines");
			return ret;
		}
	}
	if (v.minor > VFIO_USER_MINOR)
		v.minor = VFIO_USER_MINOR;
	memcpy(r->data, &v, sizeof(v));
	n = snprintf((char *)r->data + sizeof(v), 256,
		     "{\"capabilities\":{\"max_msg_fds\":%u,\"max_data_xfer_size\":%u,"
		     "\"pgsizes\":%u,\"max_dma_maps\":%u}}",
		     VU_MAX_MSG_FDS, VU_MAX_DATA_XFER, VU_PGSIZES, VU_MAX_DMA_MAPS);
	r->len = (uint32_t)(sizeof(v) + (size_t)n + 1);
	c->caps = caps;
	c->negotiated = true;
	if (verbose)
		log_msg("version %u.%u, client max_msg_fds %llu max_data_xfer_size %llu", v.major,
			v.minor, (unsigned long long)caps.max_msg_fds,
			(unsigned long long)caps.max_data_xfer_size);
	return 0;
}

static int handle_dma_map(struct vu_conn *c, struct vfio_user_msg *m, struct vu_reply *r)
{
	struct testdev *d = c->dev;
	long page = sysconf(_SC_PAGESIZE);
	struct vfio_user_dma_map req;
	struct dma_region *reg;
	struct stat st;
	uint64_t delta;
	int prot = PROT_NONE;
	void *map;

	if (m->len != sizeof(req))
		return -EINVAL;
	memcpy(&req, m->payload, sizeof(req));
	if (req.argsz != sizeof(req) ||
	    req.flags & ~(uint32_t)(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
		return -EINVAL;
	if (req.size == 0 || req.size - 1 > UINT64_MAX - req.address)
		return -EINVAL;
	if (m->nr_fds == 0) {
		log_msg("DMA_MAP without a descriptor: DMA_READ/WRITE messages are not supported");
		return -ENOTSUP;
	}
	if (m->nr_fds != 1)
		return -EINVAL;
	for (unsigned int i = 0; i < d->ndma; i++) {
		const struct dma_region *o = &d->dma[i];

		if (req.address <= o->iova + (o->size - 1) &&
		    o->iova <= req.address + (req.size - 1))
			return -EEXIST;
	}
	if (d->ndma == VU_MAX_DMA_MAPS)
		return -ENOSPC;
	/* Past the end of the file a store would raise SIGBUS. */
	if (fstat(m->fds[0], &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || req.offset > (uint64_t)st.st_size ||
	    req.size > (uint64_t)st.st_size - req.offset)
		return -EINVAL;
	delta = req.offset % (uint64_t)page;
	if (req.size > SIZE_MAX - delta)
		return -EINVAL;
	if (req.flags & VFIO_DMA_MAP_FLAG_READ)
		prot |= PROT_READ;
	if (req.flags & VFIO_DMA_MAP_FLAG_WRITE)
		prot |= PROT_WRITE;
	map = mmap(NULL, (size_t)(req.size + delta), prot, MAP_SHARED, m->fds[0],
		   (off_t)(req.offset - delta));
	if (map == MAP_FAILED)
		return -errno;
	reg = &d->dma[d->ndma++];
	reg->iova = req.address;
	reg->size = req.size;
	reg->fd_offset = req.offset;
	reg->flags = req.flags;
	reg->fd = m->fds[0];
	m->fds[0] = -1;
	reg->map = map;
	reg->map_len = (size_t)(req.size + delta);
	reg->host = (uint8_t *)map + delta;
	r->len = 0;
	return 0;
}

static int handle_dma_unmap(struct vu_conn *c, struct vfio_user_msg *m, struct vu_reply *r)
{
	struct testdev *d = c->dev;
	struct vfio_user_dma_unmap req;

	if (m->len < sizeof(req) || vu_no_fds(m))
		return -EINVAL;
	memcpy(&req, m->payload, sizeof(req));
	if (req.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP)
		return -ENOTSUP;
	if (req.flags & ~(uint32_t)VFIO_DMA_UNMAP_FLAG_ALL || m->len != sizeof(req) ||
	    req.argsz < sizeof(req))
		return -EINVAL;
	if (req.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		if (req.address || req.size)
			return -EINVAL;
		while (d->ndma)
			testdev_dma_unmap(d, d->ndma - 1);
	} else {
		unsigned int i;

		for (i = 0; i < d->ndma; i++)
			if (d->dma[i].iova == req.address && d->dma[i].size == req.size)
				break;
		if (i == d->ndma)
			return -ENOENT;
		testdev_dma_unmap(d, i);
	}
	memcpy(r->data, &req, sizeof(req));
	r->len = sizeof(req);
	return 0;
}

static int handle_device_get_info(struct vu_conn *c, struct vfio_user_msg *m, struct vu_reply *r)
{
	struct vfio_user_device_info info;

	if (m->len != sizeof(info) || vu_no_fds(m))
		return -EINVAL;
	memcpy(&info, m->payload, sizeof(info));
	if (info.argsz < sizeof(info))
		return -EINVAL;
	info = (struct vfio_user_device_info){ .argsz = sizeof(info),
					       .flags = VFIO_DEVICE_FLAGS_RESET |
							VFIO_DEVICE_FLAGS_PCI,
					       .num_regions = VFIO_PCI_NUM_REGIONS,
					       .num_irqs = VFIO_PCI_NUM_IRQS };
	memcpy(r->data, &info, sizeof(info));
	r->len = sizeof(info);
	return 0;
}

static int handle_region_info(struct vu_conn *c, struct vfio_user_msg *m, struct vu_reply *r)
{
	struct vfio_user_region_info info;
	uint32_t index;

	if (m->len != sizeof(info) || vu_no_fds(m))
		return -EINVAL;
	memcpy(&info, m->payload, sizeof(info));
	if (info.argsz < sizeof(info) || info.index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	index = info.index;
	info = (struct vfio_user_region_info){ .argsz = sizeof(info), .index = index };
	info.size = testdev_region_size(index);
	if (info.size)
		info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
	if (index == VFIO_PCI_BAR4_REGION_INDEX && c->dev->bar4) {
		info.flags |= VFIO_REGION_INFO_FLAG_MMAP; /* mmap the descriptor at offset 0 */
		r->fd = c->dev->bar4_fd;
	}
	memcpy(r->data, &info, sizeof(info));
	r->len = sizeof(info);
	return 0;
}

static int handle_region_io_fds(struct vu_conn *c, struct vfio_user_msg *m, struct vu_reply *r)
{
	struct vfio_user_region_io_fds req;

	if (m->len != sizeof(req) || vu_no_fds(m))
		return -EINVAL;
	memcpy(&req, m->payload, sizeof(req));
	if (req.argsz < sizeof(req) || req.index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	/* No region has sub-regions served through ioeventfds. */
	req = (struct vfio_user_region_io_fds){ .argsz = sizeof(req), .index = req.index };
	memcpy(r->data, &req, sizeof(req));
	r->len = sizeof(req);
	return 0;
}

static uint32_t testdev_irq_count(uint32_t index)
{
	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
	case VFIO_PCI_MSI_IRQ_INDEX:
		return 1;
	case VFIO_PCI_MSIX_IRQ_INDEX:
		return TESTDEV_MSIX_VECTORS;
	default:
		return 0;
	}
}

static int handle_irq_info(struct vu_conn *c, struct vfio_user_msg *m, struct vu_reply *r)
{
	struct vfio_user_irq_info info;
	uint32_t index;

	if (m->len != sizeof(info) || vu_no_fds(m))
		return -EINVAL;
	memcpy(&info, m->payload, sizeof(info));
	if (info.argsz < sizeof(info) || info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	index = info.index;
	info = (struct vfio_user_irq_info){ .argsz = sizeof(info),
					    .flags = VFIO_IRQ_INFO_EVENTFD,
					    .index = index,
					    .count = testdev_irq_count(index) };
	if (index == VFIO_PCI_INTX_IRQ_INDEX)
		info.flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
	memcpy(r->data, &info, sizeof(info));
	r->len = sizeof(info);
	return 0;
}

/* The eventfd slots of an IRQ index: INTx's trigger, or MSI-X's vectors. */
static int *testdev_irq_fds(struct testdev *d, uint32_t index)
{
	if (index == VFIO_PCI_INTX_IRQ_INDEX)
		return &d->intx_fd;
	if (index == VFIO_PCI_MSI_IRQ_INDEX)
		return &d->msi_fd;
	if (index == VFIO_PCI_MSIX_IRQ_INDEX)
		return d->msix_fds;
	return NULL;
}

/*
 * MSI-X eventfds given: the device is set up as kernel vfio-pci sets up a
 * physical one when its user does this (VFIO_DEVICE_SET_IRQS): MSI-X
 * enabled, the function unmasked, and the vectors that got an eventfd
 * unmasked in the device's own table.  The client masks vectors its own
 * way (kdom keeps the guest's table and detaches masked vectors' irqfds).
 */
static void testdev_msix_take_over(struct testdev *d, uint32_t start, uint32_t count)
{
	uint16_t control = testdev_msix_control(d);

	for (uint32_t v = start; v < start + count && v < TESTDEV_MSIX_VECTORS; v++)
		if (d->msix_fds[v] >= 0)
			d->msix_table[v * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL] &=
				(uint8_t)~PCI_MSIX_ENTRY_CTRL_MASKBIT;
	put_le16(d->config + TESTDEV_MSIX_CAP + PCI_MSIX_FLAGS,
		 (control | PCI_MSIX_FLAGS_ENABLE) & ~PCI_MSIX_FLAGS_MASKALL);
}

static int irq_set_eventfds(struct testdev *d, const struct vfio_user_irq_set *s,
			    struct vfio_user_msg *m)
{
	int *slots = testdev_irq_fds(d, s->index);

	if (m->nr_fds != 0 && m->nr_fds != s->count)
		return -EINVAL;
	for (unsigned int i = 0; i < m->nr_fds; i++)
		if (!fd_is_eventfd(m->fds[i]))
			return -EINVAL;
	if (s->flags & VFIO_IRQ_SET_ACTION_UNMASK) {
		/* INTx only: signalling this eventfd unmasks, like KVM's resamplefd. */
		close_fd(&d->intx_unmask_fd);
		if (m->nr_fds) {
			d->intx_unmask_fd = m->fds[0];
			m->fds[0] = -1;
			fcntl(d->intx_unmask_fd, F_SETFL,
			      fcntl(d->intx_unmask_fd, F_GETFL) | O_NONBLOCK);
		}
		return 0;
	}
	for (uint32_t i = 0; i < s->count; i++) {
		close_fd(&slots[s->start + i]);
		if (m->nr_fds) {
			slots[s->start + i] = m->fds[i];
			m->fds[i] = -1;
		}
	}
	return 0;
}

static void irq_set_action(struct testdev *d, const struct vfio_user_irq_set *s,
			   const uint8_t *bools)
{
	int *slots = testdev_irq_fds(d, s->index);

	for (uint32_t i = 0; i < s->count; i++) {
		if (bools && !bools[i])
			continue;
		if (s->flags & VFIO_IRQ_SET_ACTION_MASK) {
			d->intx_masked = true;
		} else if (s->flags & VFIO_IRQ_SET_ACTION_UNMASK) {
			d->intx_masked = false;
		} else {
			/* The client triggers the interrupt itself (a loopback test). */
			eventfd_signal(slots[s->start + i]);
		}
	}
}

static int handle_set_irqs(struct vu_conn *c, struct vfio_user_msg *m, struct vu_reply *r)
{
	struct testdev *d = c->dev;
	uint32_t data, action, irqs;
	struct vfio_user_irq_set s;

	if (m->len < sizeof(s))
		return -EINVAL;
	memcpy(&s, m->payload, sizeof(s));
	data = s.flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	action = s.flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	if (s.argsz != m->len || s.index >= VFIO_PCI_NUM_IRQS ||
	    s.flags & ~(uint32_t)(VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK))
		return -EINVAL;
	/* Exactly one data type and one action. */
	if (!data || data & (data - 1) || !action || action & (action - 1))
		return -EINVAL;
	if (m->len != sizeof(s) + (data == VFIO_IRQ_SET_DATA_BOOL ? s.count : 0))
		return -EINVAL;
	if (data != VFIO_IRQ_SET_DATA_EVENTFD && vu_no_fds(m))
		return -EINVAL;
	irqs = testdev_irq_count(s.index);
	if (s.count == 0) {
		/* DATA_NONE | ACTION_TRIGGER with count 0: switch the index off. */
		if (s.start || data != VFIO_IRQ_SET_DATA_NONE ||
		    action != VFIO_IRQ_SET_ACTION_TRIGGER)
			return -EINVAL;
		if (s.index == VFIO_PCI_INTX_IRQ_INDEX) {
			close_fd(&d->intx_fd);
			close_fd(&d->intx_unmask_fd);
		} else if (s.index == VFIO_PCI_MSI_IRQ_INDEX) {
			close_fd(&d->msi_fd);
			put_le16(d->config + TESTDEV_MSI_CAP + PCI_MSI_FLAGS,
				 get_le16(d->config + TESTDEV_MSI_CAP + PCI_MSI_FLAGS) &
					 ~PCI_MSI_FLAGS_ENABLE);
		} else if (s.index == VFIO_PCI_MSIX_IRQ_INDEX) {
			for (unsigned int v = 0; v < TESTDEV_MSIX_VECTORS; v++)
				close_fd(&d->msix_fds[v]);
			put_le16(d->config + TESTDEV_MSIX_CAP + PCI_MSIX_FLAGS,
				 testdev_msix_control(d) & ~PCI_MSIX_FLAGS_ENABLE);
		}
		r->len = 0;
		return 0;
	}
	if (s.start >= irqs || s.count > irqs - s.start)
		return -EINVAL;
	/* INTx masks (automasked); MSI-X vectors are masked in the table. */
	if (action != VFIO_IRQ_SET_ACTION_TRIGGER && s.index != VFIO_PCI_INTX_IRQ_INDEX)
		return -EINVAL;
	if (action == VFIO_IRQ_SET_ACTION_MASK && data == VFIO_IRQ_SET_DATA_EVENTFD)
		return -EINVAL;
	if (data == VFIO_IRQ_SET_DATA_EVENTFD) {
		int ret = irq_set_eventfds(d, &s, m);

		if (ret)
			return ret;
		if (s.index == VFIO_PCI_MSIX_IRQ_INDEX)
			testdev_msix_take_over(d, s.start, s.count);
		if (s.index == VFIO_PCI_MSI_IRQ_INDEX && d->msi_fd >= 0)
			/* As vfio-pci enables MSI on the device when it is given an eventfd. */
			put_le16(d->config + TESTDEV_MSI_CAP + PCI_MSI_FLAGS,
				 get_le16(d->config + TESTDEV_MSI_CAP + PCI_MSI_FLAGS) |
					 PCI_MSI_FLAGS_ENABLE);
	} else {
		irq_set_action(d, &s,
			       data == VFIO_IRQ_SET_DATA_BOOL ? m->payload + sizeof(s) : NULL);
	}
	testdev_irq_update(d);
	r->len = 0;
	return 0;
}

static int handle_region_read(struct vu_conn *c, struct vfio_user_msg *m, struct vu_reply *r)
{
	struct vfio_user_region_access a;
	int ret;

	if (m->len != sizeof(a) || vu_no_fds(m))
		return -EINVAL;
	memcpy(&a, m->payload, sizeof(a));
	if (a.count > VU_MAX_DATA_XFER)
		return -E2BIG;
	ret = testdev_region_check(a.region, a.offset, a.count);
	if (ret)
		return ret;
	ret = testdev_region_read(c->dev, a.region, (uint32_t)a.offset, r->data + sizeof(a),
				  a.count);
	if (ret)
		return ret;
	memcpy(r->data, &a, sizeof(a));
	r->len = (uint32_t)sizeof(a) + a.count;
	return 0;
}

static int handle_region_write(struct vu_conn *c, struct vfio_user_msg *m, struct vu_reply *r)
{
	struct vfio_user_region_access a;
	int ret;

	if (m->len < sizeof(a) || vu_no_fds(m))
		return -EINVAL;
	memcpy(&a, m->payload, sizeof(a));
	if (a.count > VU_MAX_DATA_XFER)
		return -E2BIG;
	if (a.count != m->len - sizeof(a))
		return -EINVAL;
	ret = testdev_region_check(a.region, a.offset, a.count);
	if (ret)
		return ret;
	ret = testdev_region_write(c->dev, a.region, (uint32_t)a.offset, m->payload + sizeof(a),
				   a.count);
	if (ret)
		return ret;
	memcpy(r->data, &a, sizeof(a));
	r->len = sizeof(a);
	return 0;
}

static int handle_device_reset(struct vu_conn *c, struct vfio_user_msg *m, struct vu_reply *r)
{
	if (m->len != 0 || vu_no_fds(m))
		return -EINVAL;
	testdev_reset(c->dev);
	r->len = 0;
	return 0;
}

static int vu_dispatch(struct vu_conn *c, struct vfio_user_msg *m, struct vu_reply *r)
{
	unsigned int command = m->hdr.command;

	if (command == VFIO_USER_VERSION)
		return handle_version(c, m, r);
	if (!c->negotiated) {
		log_msg("%s before VERSION", vfio_user_command_name(command));
		return -EINVAL;
	}
	switch (command) {
	case VFIO_USER_DMA_MAP:
		return handle_dma_map(c, m, r);
	case VFIO_USER_DMA_UNMAP:
		return handle_dma_unmap(c, m, r);
	case VFIO_USER_DEVICE_GET_INFO:
		return handle_device_get_info(c, m, r);
	case VFIO_USER_DEVICE_GET_REGION_INFO:
		return handle_region_info(c, m, r);
	case VFIO_USER_DEVICE_GET_REGION_IO_FDS:
		return handle_region_io_fds(c, m, r);
	case VFIO_USER_DEVICE_GET_IRQ_INFO:
		return handle_irq_info(c, m, r);
	case VFIO_USER_DEVICE_SET_IRQS:
		return handle_set_irqs(c, m, r);
	case VFIO_USER_REGION_READ:
		return handle_region_read(c, m, r);
	case VFIO_USER_REGION_WRITE:
		return handle_region_write(c, m, r);
	case VFIO_USER_DEVICE_RESET:
		return handle_device_reset(c, m, r);
	default:
		/* DMA_READ/WRITE go the other way; dirty pages, migration: not offered. */
		if (command >= VFIO_USER_DMA_READ && command <= VFIO_USER_MIG_DATA_WRITE)
			return -ENOTSUP;
		return -ENOSYS;
	}
}

/* A message that did not come whole, or cannot be framed: logged (and answered if it can be). */
static void vu_recv_failed(struct vu_conn *c, const struct vfio_user_msg *m, int ret)
{
	switch (ret) {
	case -ECONNRESET:
		if (m->received == 0)
			log_msg("client disconnected");
		else if (m->received < VFIO_USER_HEADER_SIZE)
			log_msg("client closed the connection in a message header");
		else
			log_msg("client closed the connection in a message body (%llu of %u bytes)",
				(unsigned long long)(m->received - VFIO_USER_HEADER_SIZE),
				m->hdr.size - VFIO_USER_HEADER_SIZE);
		break;
	case -EBADMSG:
	case -EMSGSIZE:
		/* The stream cannot be framed any more: answer and hang up. */
		log_msg("message size %u out of bounds (16 to %u): disconnecting", m->hdr.size,
			VU_MAX_MSG_SIZE);
		vu_send_reply(c, &m->hdr, ret == -EBADMSG ? -EINVAL : -E2BIG, 0, -1);
		break;
	default:
		log_msg("receive: %s", strerror(-ret));
		break;
	}
}

/* One message in, one reply out.  0 to go on, 1 to close the connection. */
static int vu_serve_one(struct vu_conn *c)
{
	struct vfio_user_wait wait = { .stop = &stop_requested };
	struct vu_reply r = { .data = c->buf, .fd = -1 };
	struct vfio_user_msg m;
	int ret, err;

	/* More descriptors than advertised: the message is whole, the stream still framed. */
	ret = vfio_user_recv(c->sock, &m, VU_MAX_MSG_SIZE, VU_MAX_MSG_FDS, &wait);
	if (ret && ret != -ETOOMANYREFS) {
		vu_recv_failed(c, &m, ret);
		return 1;
	}
	if ((m.hdr.flags & VFIO_USER_F_TYPE_MASK) == VFIO_USER_F_TYPE_REPLY) {
		log_msg("unexpected reply (id %u) from the client: disconnecting", m.hdr.msg_id);
		vfio_user_msg_release(&m);
		return 1;
	}

	if ((m.hdr.flags & VFIO_USER_F_TYPE_MASK) != VFIO_USER_F_TYPE_COMMAND ||
	    m.hdr.flags & ~(VFIO_USER_F_TYPE_MASK | VFIO_USER_F_NO_REPLY))
		err = -EINVAL;
	else if (ret)
		err = -EINVAL;
	else
		err = vu_dispatch(c, &m, &r);
	if (err)
		log_msg("%s (%u, id %u, %u bytes, %u fds): %s",
			vfio_user_command_name(m.hdr.command), m.hdr.command, m.hdr.msg_id,
			m.hdr.size, m.nr_fds, strerror(-err));
	else if (verbose)
		log_msg("%s (id %u): ok", vfio_user_command_name(m.hdr.command), m.hdr.msg_id);
	vfio_user_msg_release(&m);
	if (!(m.hdr.flags & VFIO_USER_F_NO_REPLY)) {
		ret = vu_send_reply(c, &m.hdr, err, r.len, r.fd);
		if (ret) {
			log_msg("send: %s", strerror(-ret));
			return 1;
		}
	}
	return r.disconnect ? 1 : 0;
}

/* The client's INTx unmask eventfd fired (its end of interrupt). */
static void testdev_intx_unmask_event(struct testdev *d)
{
	uint64_t count;

	if (read(d->intx_unmask_fd, &count, sizeof(count)) != sizeof(count))
		return;
	d->intx_masked = false;
	testdev_intx_update(d);
}

static void vu_serve_client(struct testdev *d, int sock)
{
	struct vu_conn c = { .sock = sock, .dev = d };

	c.buf = malloc(VU_MAX_MSG_SIZE - VFIO_USER_HEADER_SIZE);
	if (!c.buf) {
		log_msg("out of memory");
		return;
	}
	while (!stop_requested) {
		struct pollfd pfd[2] = { { .fd = sock, .events = POLLIN },
					 { .fd = d->intx_unmask_fd, .events = POLLIN } };

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_msg("poll: %s", strerror(errno));
			break;
		}
		if (pfd[1].revents & POLLIN)
			testdev_intx_unmask_event(d);
		if (pfd[0].revents && vu_serve_one(&c))
			break;
	}
	testdev_disconnect(d);
	free(c.buf);
}

static int vu_listen(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		log_msg("%s: socket path too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(addr.sun_path, path);
	/* A socket left by an earlier run goes; anything else stays. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 1) < 0) {
		int err = -errno;

		log_msg("%s: %s", path, strerror(errno));
		close(fd);
		return err;
	}
	return fd;
}

static void on_stop_signal(int sig)
{
	stop_requested = 1;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: vfio-user-testdev --socket PATH [--once] [--verbose]\n"
		     "Serve kdom's PCI test device over vfio-user on the UNIX socket PATH.\n"
		     "  --socket PATH   listen here (--socket-path is the same)\n"
		     "  --once          exit when the first client disconnects\n"
		     "  --verbose       log every message\n"
		     "  --help          this text\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "socket-path", required_argument, NULL, 's' },
		{ "once", no_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction stop = { .sa_handler = on_stop_signal };
	struct sigaction fault = { .sa_handler = dma_fault_handler };
	const char *path = NULL;
	struct testdev *dev;
	bool once = false;
	int opt, listen_fd, status = 0;

	while ((opt = getopt_long(argc, argv, "s:ovh", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			path = optarg;
			break;
		case 'o':
			once = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!path || optind != argc) {
		usage(stderr);
		return 2;
	}

	/* No SA_RESTART: a stop signal must interrupt poll(), accept() and the wire layer's waits. */
	sigaction(SIGTERM, &stop, NULL);
	sigaction(SIGINT, &stop, NULL);
	sigaction(SIGBUS, &fault, NULL);
	signal(SIGPIPE, SIG_IGN);

	dev = malloc(sizeof(*dev));
	if (!dev) {
		log_msg("out of memory");
		return 1;
	}
	testdev_init(dev);
	listen_fd = vu_listen(path);
	if (listen_fd < 0) {
		free(dev);
		return 1;
	}
	log_msg("listening on %s", path);

	while (!stop_requested) {
		int sock = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (sock < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			log_msg("accept: %s", strerror(errno));
			status = 1;
			break;
		}
		if (verbose)
			log_msg("client connected");
		vu_serve_client(dev, sock);
		close(sock);
		if (once)
			break;
	}
	close(listen_fd);
	unlink(path);
	free(dev);
	return status;
}
