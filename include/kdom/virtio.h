/* Virtio 1.x over PCI as kdom's devices and the test guests' driver both see it: IDs, registers, rings. */
#ifndef KDOM_VIRTIO_H
#define KDOM_VIRTIO_H

/*
 * Shared by the monitor and the freestanding test guests: fixed-width
 * types and macros only.  Every value is the virtio 1.x specification's
 * ("Virtual I/O Device (VIRTIO) Version 1.2", OASIS): the PCI transport
 * of section 4.1, the split virtqueue of 2.7, the network device of
 * 5.1, the block device of 5.2, the entropy device of 5.4.  All fields are
 * little-endian.  kdom offers modern (non-transitional) devices only: no
 * legacy I/O BAR, no packed rings.
 */
#include <stdint.h>

/* ---- PCI identity (4.1.2) ------------------------------------------------ */
#define VIRTIO_PCI_VENDOR_ID 0x1af4
#define VIRTIO_PCI_DEVICE_ID_BASE 0x1040 /* + the virtio device ID */
#define VIRTIO_PCI_REVISION 1		 /* non-transitional */

/* Virtio device IDs (5). */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_RNG 4

/* ---- The network device (5.1) ------------------------------------------- */
/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_CSUM 0	  /* the device completes partial checksums the driver sends */
#define VIRTIO_NET_F_GUEST_CSUM 1 /* the driver takes packets with partial checksums */
#define VIRTIO_NET_F_MTU 3	  /* config mtu is valid */
#define VIRTIO_NET_F_MAC 5	  /* config mac is valid */
#define VIRTIO_NET_F_GUEST_TSO4 7 /* the driver takes TCPv4 segments up to 64 KiB */
#define VIRTIO_NET_F_GUEST_TSO6 8 /* the same for TCPv6 */
#define VIRTIO_NET_F_GUEST_ECN 9  /* ... with ECN */
#define VIRTIO_NET_F_GUEST_UFO 10 /* ... UDP fragmentation */
#define VIRTIO_NET_F_HOST_TSO4 11 /* the device segments TCPv4 the driver sends */
#define VIRTIO_NET_F_HOST_TSO6 12 /* the same for TCPv6 */
#define VIRTIO_NET_F_HOST_ECN 13  /* ... with ECN */
#define VIRTIO_NET_F_HOST_UFO 14  /* ... UDP fragmentation */
#define VIRTIO_NET_F_MRG_RXBUF 15 /* a received packet may span several chains */
#define VIRTIO_NET_F_STATUS 16	  /* config status is valid */
#define VIRTIO_NET_F_CTRL_VQ 17	  /* a control queue */
#define VIRTIO_NET_F_MQ 22	  /* several queue pairs */

/* Queues: receive queue 0, transmit queue 1 (one pair, no control queue). */
#define VIRTIO_NET_RXQ 0
#define VIRTIO_NET_TXQ 1

/* Device configuration (5.1.4): byte offsets. */
#define VIRTIO_NET_CONFIG_MAC 0	      /* u8 mac[6] */
#define VIRTIO_NET_CONFIG_STATUS 6    /* le16 status */
#define VIRTIO_NET_CONFIG_MAX_PAIRS 8 /* le16 max_virtqueue_pairs */
#define VIRTIO_NET_CONFIG_MTU 10      /* le16 mtu */
#define VIRTIO_NET_CONFIG_SIZE 12
#define VIRTIO_NET_S_LINK_UP 1

/*
 * The header before every packet in both directions (5.1.6): with
 * VIRTIO_F_VERSION_1 always these 12 bytes, num_buffers included.
 */
struct virtio_net_hdr_v1 {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;     /* bytes of Ethernet, IP and TCP/UDP headers */
	uint16_t gso_size;    /* bytes of payload per segment */
	uint16_t csum_start;  /* where checksumming starts */
	uint16_t csum_offset; /* where the checksum goes, from csum_start */
	uint16_t num_buffers; /* chains the packet took (1 without MRG_RXBUF) */
};

#define VIRTIO_NET_HDR_SIZE 12
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1 /* checksum from csum_start still to compute */
#define VIRTIO_NET_HDR_F_DATA_VALID 2 /* the checksum was verified */
#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_GSO_TCPV4 1
#define VIRTIO_NET_HDR_GSO_UDP 3
#define VIRTIO_NET_HDR_GSO_TCPV6 4
#define VIRTIO_NET_HDR_GSO_ECN 0x80

/* ---- Vendor capabilities (4.1.4) ----------------------------------------- */
#define VIRTIO_PCI_CAP_VENDOR 0x09 /* PCI_CAP_ID_VNDR */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG 5

/* struct virtio_pci_cap: byte offsets inside the capability. */
#define VIRTIO_PCI_CAP_LEN 2
#define VIRTIO_PCI_CAP_CFG_TYPE 3
#define VIRTIO_PCI_CAP_BAR 4
#define VIRTIO_PCI_CAP_OFFSET 8
#define VIRTIO_PCI_CAP_LENGTH 12
#define VIRTIO_PCI_CAP_SIZE 16
/* The notify capability adds notify_off_multiplier ... */
#define VIRTIO_PCI_NOTIFY_CAP_MULT 16
#define VIRTIO_PCI_NOTIFY_CAP_SIZE 20
/* ... the PCI configuration access capability a data window. */
#define VIRTIO_PCI_CFG_CAP_DATA 16
#define VIRTIO_PCI_CFG_CAP_SIZE 20

/* ---- The common configuration structure (4.1.4.3) ------------------------- */
#define VIRTIO_PCI_COMMON_DFSELECT 0x00	     /* le32 device_feature_select */
#define VIRTIO_PCI_COMMON_DF 0x04	     /* le32 device_feature, read-only */
#define VIRTIO_PCI_COMMON_GFSELECT 0x08	     /* le32 driver_feature_select */
#define VIRTIO_PCI_COMMON_GF 0x0c	     /* le32 driver_feature */
#define VIRTIO_PCI_COMMON_MSIX 0x10	     /* le16 config_msix_vector */
#define VIRTIO_PCI_COMMON_NUMQ 0x12	     /* le16 num_queues, read-only */
#define VIRTIO_PCI_COMMON_STATUS 0x14	     /* u8 device_status */
#define VIRTIO_PCI_COMMON_CFGGENERATION 0x15 /* u8 config_generation, read-only */
#define VIRTIO_PCI_COMMON_Q_SELECT 0x16	     /* le16 queue_select */
#define VIRTIO_PCI_COMMON_Q_SIZE 0x18	     /* le16 queue_size */
#define VIRTIO_PCI_COMMON_Q_MSIX 0x1a	     /* le16 queue_msix_vector */
#define VIRTIO_PCI_COMMON_Q_ENABLE 0x1c	     /* le16 queue_enable */
#define VIRTIO_PCI_COMMON_Q_NOFF 0x1e	     /* le16 queue_notify_off, read-only */
#define VIRTIO_PCI_COMMON_Q_DESC 0x20	     /* le64 queue_desc */
#define VIRTIO_PCI_COMMON_Q_AVAIL 0x28	     /* le64 queue_driver */
#define VIRTIO_PCI_COMMON_Q_USED 0x30	     /* le64 queue_device */
#define VIRTIO_PCI_COMMON_SIZE 0x38

#define VIRTIO_MSI_NO_VECTOR 0xffff

/* ISR status (4.1.4.5): read to clear. */
#define VIRTIO_PCI_ISR_QUEUE 0x1
#define VIRTIO_PCI_ISR_CONFIG 0x2

/* ---- Device status (2.1) -------------------------------------------------- */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER 0x02
#define VIRTIO_STATUS_DRIVER_OK 0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

/* ---- Feature bits (6) ----------------------------------------------------- */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33
#define VIRTIO_F_RING_PACKED 34

/* ---- The split virtqueue (2.7) -------------------------------------------- */
#define VIRTQ_SIZE_MAX 32768

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4

#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

/* Alignment of the three parts (2.7). */
#define VIRTQ_DESC_ALIGN 16
#define VIRTQ_AVAIL_ALIGN 2
#define VIRTQ_USED_ALIGN 4

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* The driver area: flags, idx, ring[size], then used_event (with VIRTIO_F_EVENT_IDX). */
struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

struct virtq_used_elem {
	uint32_t id; /* the chain's head index (le32 for padding) */
	uint32_t len;
};

/* The device area: flags, idx, ring[size], then avail_event (with VIRTIO_F_EVENT_IDX). */
struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];
};

/* Bytes of each part for a queue of size entries. */
#define VIRTQ_DESC_BYTES(size) (16ull * (size))
#define VIRTQ_AVAIL_BYTES(size) (6ull + 2ull * (size))
#define VIRTQ_USED_BYTES(size) (6ull + 8ull * (size))

/* ---- The block device (5.2) ---------------------------------------------- */

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_GEOMETRY 4
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_TOPOLOGY 10
#define VIRTIO_BLK_F_CONFIG_WCE 11
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* struct virtio_blk_config (5.2.4): byte offsets of the fields kdom fills in. */
#define VIRTIO_BLK_CFG_CAPACITY 0		   /* le64, in 512-byte sectors */
#define VIRTIO_BLK_CFG_SIZE_MAX 8		   /* le32 */
#define VIRTIO_BLK_CFG_SEG_MAX 12		   /* le32 */
#define VIRTIO_BLK_CFG_BLK_SIZE 20		   /* le32 */
#define VIRTIO_BLK_CFG_NUM_QUEUES 34		   /* le16 */
#define VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS 36	   /* le32 */
#define VIRTIO_BLK_CFG_MAX_DISCARD_SEG 40	   /* le32 */
#define VIRTIO_BLK_CFG_DISCARD_ALIGNMENT 44	   /* le32, sectors */
#define VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SECTORS 48 /* le32 */
#define VIRTIO_BLK_CFG_MAX_WRITE_ZEROES_SEG 52	   /* le32 */
#define VIRTIO_BLK_CFG_WRITE_ZEROES_MAY_UNMAP 56   /* u8 */
#define VIRTIO_BLK_CFG_SIZE 60			   /* through write_zeroes_may_unmap's padding */

/* Request types (5.2.6). */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

/* The status byte, the request's last device-writable byte. */
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_SECTOR_SIZE 512
#define VIRTIO_BLK_ID_BYTES 20 /* GET_ID's answer: the serial, NUL-padded */

/* A request starts with this header, device-readable. */
struct virtio_blk_req_header {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

/* DISCARD and WRITE_ZEROES carry segments of this layout as their data. */
struct virtio_blk_discard_write_zeroes {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

#define VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP 1

/*
 * With VIRTIO_F_EVENT_IDX: whether moving an index from old to new_idx
 * crossed event, the other side's "tell me when you pass this" (2.7.7.2).
 */
static inline int virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

#endif
