/*
 * The kdom test device's programming interface: the PCI device that
 * tools/vfio-user-testdev serves over vfio-user, as its drivers (the
 * passthrough test guest, tools/vfio-user-testdev-check) program it.
 * The server's header comment describes its config space and behaviour.
 */
#ifndef KDOM_TESTDEV_H
#define KDOM_TESTDEV_H

/* 0x4b44 "KD" is not a registered PCI vendor ID. */
#define TESTDEV_VENDOR_ID 0x4b44
#define TESTDEV_DEVICE_ID 0x0001
#define TESTDEV_ID 0x4b440001u /* what TESTDEV_REG_ID reads */

/* BAR0's 32-bit registers. */
#define TESTDEV_REG_ID 0x00
#define TESTDEV_REG_SCRATCH 0x04
#define TESTDEV_REG_DMA_ADDR_LO 0x08
#define TESTDEV_REG_DMA_ADDR_HI 0x0c
#define TESTDEV_REG_DMA_LEN 0x10
#define TESTDEV_REG_DMA_SEED 0x14
#define TESTDEV_REG_DMA_START 0x18
#define TESTDEV_REG_STATUS 0x1c
#define TESTDEV_REG_IRQ_MSIX 0x20
#define TESTDEV_REG_IRQ_INTX 0x24
#define TESTDEV_REG_DMA_COUNT 0x28
#define TESTDEV_REG_IRQ_ON_DMA 0x2c
#define TESTDEV_REG_BAR4_WORD0 0x30 /* reads BAR4's first dword: what the guest wrote there */
#define TESTDEV_REG_IRQ_MSI 0x34    /* write 1: send the MSI */

/* TESTDEV_REG_STATUS bits: the DMA ones clear on writing 1, INTX is read-only. */
#define TESTDEV_STATUS_DMA_DONE (1u << 0)
#define TESTDEV_STATUS_DMA_ERROR (1u << 1)
#define TESTDEV_STATUS_INTX (1u << 2)

/* TESTDEV_REG_IRQ_ON_DMA bits: what a finished DMA also raises. */
#define TESTDEV_IRQ_ON_DMA_MSIX0 (1u << 0)
#define TESTDEV_IRQ_ON_DMA_INTX (1u << 1)

#endif
