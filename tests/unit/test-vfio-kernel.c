/* Unit tests of the kernel VFIO back end (vfio/vfio-kernel.c) against the simulated kernel. */
#include <errno.h>
#include <fcntl.h>
#include <linux/pci_regs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "tests/unit/unit.h"
#include "tests/unit/vfio-sim.h"
#include "vfio/pci-config.h"
#include "vfio/vfio-kernel.h"
#include "vfio/vfio-user.h"

#define RW (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE)

/*
 * A host with group 7 holding a NIC's two functions (both on vfio-pci),
 * group 8 holding a device on its host driver, and an ISA bridge without
 * an IOMMU group.
 */
static struct vfio_sim *host_create(void)
{
	struct vfio_sim *sim = vfio_sim_create();
	struct vfio_sim_device *nic;
	uint8_t *config;

	ck_assert_ptr_nonnull(sim);
	nic = vfio_sim_add_device(sim, "0000:03:00.0", 7, "vfio-pci");
	vfio_sim_set_region(nic, VFIO_PCI_BAR0_REGION_INDEX, 16 << 10,
			    RW | VFIO_REGION_INFO_FLAG_MMAP);
	vfio_sim_set_region(nic, VFIO_PCI_BAR2_REGION_INDEX, 4096, RW);
	nic->irqs[VFIO_PCI_MSI_IRQ_INDEX].count = 4;
	nic->irqs[VFIO_PCI_MSI_IRQ_INDEX].flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE;
	nic->irqs[VFIO_PCI_MSIX_IRQ_INDEX].count = 5;
	nic->irqs[VFIO_PCI_MSIX_IRQ_INDEX].flags = VFIO_IRQ_INFO_EVENTFD;
	config = nic->regions[VFIO_PCI_CONFIG_REGION_INDEX].data;
	config[PCI_VENDOR_ID] = 0x86;
	config[PCI_VENDOR_ID + 1] = 0x80;
	config[PCI_DEVICE_ID] = 0xd3;
	config[PCI_DEVICE_ID + 1] = 0x10;
	config[PCI_CLASS_DEVICE + 1] = 0x02;
	config[PCI_COMMAND] = PCI_COMMAND_MEMORY;
	config[PCI_BASE_ADDRESS_2] = PCI_BASE_ADDRESS_MEM_TYPE_64;
	config[PCI_INTERRUPT_PIN] = 1;
	vfio_sim_add_device(sim, "0000:03:00.1", 7, "vfio-pci");
	vfio_sim_add_device(sim, "0000:04:00.0", 8, "nvme");
	vfio_sim_add_device(sim, "0000:00:1f.0", -1, "lpc_ich");
	return sim;
}

static struct pt_backend *open_ok(struct vfio_sim *sim, const char *bdf)
{
	struct pt_backend *b = NULL;
	char err[256] = "";

	ck_assert_msg(!vfio_kernel_open(bdf, &sim->sys, &b, err, sizeof(err)), "%s", err);
	ck_assert_ptr_nonnull(b);
	return b;
}

static struct vfio_sim_container *sim_container(struct vfio_sim *sim)
{
	for (int i = 0; i < VFIO_SIM_CONTAINERS; i++)
		if (sim->containers[i].used)
			return &sim->containers[i];
	return NULL;
}

START_TEST(test_open_and_close_ioctl_sequence)
{
	static const char *const expected[] = {
		"open /dev/vfio/vfio",
		"container VFIO_GET_API_VERSION",
		"container VFIO_CHECK_EXTENSION",
		"open /dev/vfio/7",
		"group VFIO_GROUP_GET_STATUS",
		"group VFIO_GROUP_SET_CONTAINER",
		"container VFIO_SET_IOMMU",
		"group VFIO_GROUP_GET_DEVICE_FD",
		"device VFIO_DEVICE_GET_INFO",
		"device VFIO_DEVICE_GET_REGION_INFO", /* BAR0 .. BAR5, ROM, config, VGA */
		"device VFIO_DEVICE_GET_REGION_INFO",
		"device VFIO_DEVICE_GET_REGION_INFO",
		"device VFIO_DEVICE_GET_REGION_INFO",
		"device VFIO_DEVICE_GET_REGION_INFO",
		"device VFIO_DEVICE_GET_REGION_INFO",
		"device VFIO_DEVICE_GET_REGION_INFO",
		"device VFIO_DEVICE_GET_REGION_INFO",
		"device VFIO_DEVICE_GET_REGION_INFO",
		"device VFIO_DEVICE_RESET",
		/* close */
		"device VFIO_DEVICE_RESET",
		"close device",
		"group VFIO_GROUP_UNSET_CONTAINER",
		"close group",
		"close container",
	};
	const unsigned int opened = 19;
	struct vfio_sim *sim = host_create();
	struct vfio_sim_device *nic = &sim->devices[0];
	struct vfio_device_info info;
	struct vfio_region_info region = { .argsz = sizeof(region) };
	struct pt_backend *b;
	int mmap_fd;

	b = open_ok(sim, "0000:03:00.0");
	ck_assert_str_eq(b->name, "0000:03:00.0");
	ck_assert_int_eq(vfio_user_poll_fd(b), -1); /* nothing for the event loop to serve */
	ck_assert_uint_eq(sim->n_log, opened);
	for (unsigned int i = 0; i < opened; i++)
		ck_assert_str_eq(sim->log[i], expected[i]);
	ck_assert_uint_eq(nic->resets, 1);
	ck_assert_uint_eq(sim_container(sim)->iommu, VFIO_TYPE1v2_IOMMU);
	ck_assert_uint_eq(sim_container(sim)->groups, 1);
	ck_assert_uint_eq(vfio_sim_open_fds(sim), 3);

	ck_assert_int_eq(b->ops->device_info(b, &info), 0);
	ck_assert_uint_eq(info.flags, VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET);
	ck_assert_uint_eq(info.num_regions, VFIO_PCI_NUM_REGIONS);
	region.index = VFIO_PCI_BAR0_REGION_INDEX;
	ck_assert_int_eq(b->ops->region_info(b, &region, &mmap_fd), 0);
	ck_assert_uint_eq(region.size, 16 << 10);
	ck_assert_uint_eq(region.offset, 0);
	ck_assert_int_ge(mmap_fd, VFIO_SIM_FD_BASE);
	region.index = VFIO_PCI_BAR2_REGION_INDEX;
	ck_assert_int_eq(b->ops->region_info(b, &region, &mmap_fd), 0);
	ck_assert_uint_eq(region.offset, 2ull << 40);
	ck_assert_int_eq(mmap_fd, -1);
	region.index = VFIO_PCI_BAR1_REGION_INDEX;
	ck_assert_int_eq(b->ops->region_info(b, &region, &mmap_fd), 0);
	ck_assert_uint_eq(region.size, 0);
	region.index = VFIO_PCI_VGA_REGION_INDEX; /* no VGA: the kernel said -EINVAL */
	ck_assert_int_eq(b->ops->region_info(b, &region, &mmap_fd), 0);
	ck_assert_uint_eq(region.size, 0);
	ck_assert_uint_eq(sim->n_log, opened); /* all cached */

	b->ops->close(b);
	ck_assert_uint_eq(sim->n_log, sizeof(expected) / sizeof(expected[0]));
	for (unsigned int i = opened; i < sim->n_log; i++)
		ck_assert_str_eq(sim->log[i], expected[i]);
	ck_assert_uint_eq(nic->resets, 2);
	ck_assert_uint_eq(vfio_sim_open_fds(sim), 0);
	ck_assert_ptr_null(sim_container(sim));
	vfio_sim_destroy(sim);
}
END_TEST

START_TEST(test_device_without_reset)
{
	struct vfio_sim *sim = host_create();
	struct pt_backend *b;

	sim->devices[0].flags = VFIO_DEVICE_FLAGS_PCI;
	b = open_ok(sim, "0000:03:00.0");
	ck_assert_int_eq(b->ops->reset(b), -ENOTTY);
	b->ops->close(b);
	for (unsigned int i = 0; i < sim->n_log; i++)
		ck_assert_str_ne(sim->log[i], "device VFIO_DEVICE_RESET");
	ck_assert_uint_eq(sim->devices[0].resets, 0);

	/* With reset, the operation reaches the kernel. */
	sim->devices[0].flags |= VFIO_DEVICE_FLAGS_RESET;
	b = open_ok(sim, "0000:03:00.0");
	ck_assert_int_eq(b->ops->reset(b), 0);
	ck_assert_uint_eq(sim->devices[0].resets, 2);
	b->ops->close(b);
	ck_assert_uint_eq(sim->devices[0].resets, 3);
	vfio_sim_destroy(sim);
}
END_TEST

START_TEST(test_non_viable_group_names_the_offender)
{
	struct vfio_sim *sim = host_create();
	struct pt_backend *b = (struct pt_backend *)1;
	char err[256] = "";
	bool viable;
	int group;

	snprintf(sim->devices[1].driver, sizeof(sim->devices[1].driver), "snd_hda_intel");
	ck_assert_int_eq(vfio_kernel_open("0000:03:00.0", &sim->sys, &b, err, sizeof(err)), -EPERM);
	ck_assert_ptr_null(b);
	ck_assert_str_eq(err, "IOMMU group 7 is not viable: 0000:03:00.1 is bound to "
			      "snd_hda_intel; bind it to vfio-pci or unbind it");
	ck_assert_uint_eq(vfio_sim_open_fds(sim), 0);
	ck_assert_uint_eq(sim->n_log, 0); /* refused before any open */

	ck_assert_int_eq(vfio_kernel_group_status("0000:03:00.0", &sim->sys, &group, &viable, err,
						  sizeof(err)),
			 0);
	ck_assert_int_eq(group, 7);
	ck_assert(!viable);
	ck_assert_ptr_nonnull(strstr(err, "0000:03:00.1 is bound to snd_hda_intel"));

	/* Two of them, sorted. */
	snprintf(sim->devices[0].driver, sizeof(sim->devices[0].driver), "e1000e");
	vfio_kernel_group_status("0000:03:00.1", &sim->sys, &group, &viable, err, sizeof(err));
	ck_assert(!viable);
	ck_assert_str_eq(err, "IOMMU group 7 is not viable: 0000:03:00.0 is bound to e1000e, "
			      "0000:03:00.1 is bound to snd_hda_intel; bind them to vfio-pci or "
			      "unbind them");

	/* Unbound, pci-stub and pcieport siblings do not stand in the way. */
	snprintf(sim->devices[0].driver, sizeof(sim->devices[0].driver), "vfio-pci");
	snprintf(sim->devices[1].driver, sizeof(sim->devices[1].driver), "pci-stub");
	ck_assert_int_eq(vfio_kernel_group_status("0000:03:00.0", &sim->sys, &group, &viable, err,
						  sizeof(err)),
			 0);
	ck_assert_msg(viable, "%s", err);
	sim->devices[1].driver[0] = '\0';
	b = open_ok(sim, "0000:03:00.0");
	b->ops->close(b);

	/* A device on its host driver in a group of its own: it is the offender. */
	ck_assert_int_eq(vfio_kernel_open("0000:04:00.0", &sim->sys, &b, err, sizeof(err)), -EPERM);
	ck_assert_str_eq(err, "IOMMU group 8 is not viable: 0000:04:00.0 is bound to nvme; bind it "
			      "to vfio-pci or unbind it");
	/* An unbound one: nothing offends, but it is not vfio-pci's either. */
	sim->devices[2].driver[0] = '\0';
	ck_assert_int_eq(vfio_kernel_open("0000:04:00.0", &sim->sys, &b, err, sizeof(err)), -EPERM);
	ck_assert_str_eq(err,
			 "0000:04:00.0 is not bound to vfio-pci (it has no driver); bind it to "
			 "vfio-pci");
	ck_assert_uint_eq(vfio_sim_open_fds(sim), 0);
	vfio_sim_destroy(sim);
}
END_TEST

START_TEST(test_missing_device_or_group)
{
	struct vfio_sim *sim = host_create();
	struct pt_backend *b, *other;
	char err[256] = "";
	bool viable;
	int group;

	ck_assert_int_eq(vfio_kernel_open("0000:00:1f.0", &sim->sys, &b, err, sizeof(err)),
			 -ENOENT);
	ck_assert_str_eq(err, "0000:00:1f.0 has no IOMMU group: is the IOMMU on (intel_iommu=on or "
			      "amd_iommu=on)?");
	ck_assert_int_eq(vfio_kernel_group_status("0000:00:1f.0", &sim->sys, &group, &viable, err,
						  sizeof(err)),
			 -ENOENT);
	ck_assert_int_eq(group, -1);
	ck_assert_int_eq(vfio_kernel_open("0000:09:00.0", &sim->sys, &b, err, sizeof(err)),
			 -ENODEV);
	ck_assert_str_eq(err, "no PCI device 0000:09:00.0 on this host");
	ck_assert_uint_eq(sim->n_log, 0);

	/* The group is someone else's already. */
	b = open_ok(sim, "0000:03:00.0");
	ck_assert_int_eq(vfio_kernel_open("0000:03:00.1", &sim->sys, &other, err, sizeof(err)),
			 -EBUSY);
	ck_assert_str_eq(err, "IOMMU group 7 is in use (by another domain or program)");
	ck_assert_uint_eq(vfio_sim_open_fds(sim), 3); /* its container was closed again */
	b->ops->close(b);
	ck_assert_uint_eq(vfio_sim_open_fds(sim), 0);
	vfio_sim_destroy(sim);
}
END_TEST

START_TEST(test_bad_bdf_refused)
{
	static const char *const bad[] = { "03:00.0",	   "0000:03:00",
					   "0000:03:20.0", "0000:03:00.8",
					   "zzzz:03:00.0", "0000:03:00.0x",
					   "0000-03:00.0", "",
					   "0000:03:0.00" };
	struct vfio_sim *sim = host_create();
	struct pt_backend *b;
	char err[256];
	bool viable;
	int group;

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_int_eq(vfio_kernel_open(bad[i], &sim->sys, &b, err, sizeof(err)),
				 -EINVAL);
		ck_assert_msg(strstr(err, "is not a PCI device address"), "'%s': %s", bad[i], err);
		ck_assert_int_eq(vfio_kernel_group_status(bad[i], &sim->sys, &group, &viable, err,
							  sizeof(err)),
				 -EINVAL);
	}
	ck_assert_uint_eq(sim->n_log, 0);
	/* Upper-case hex names the same device as sysfs's lower case. */
	vfio_sim_add_device(sim, "0000:0a:1f.0", 9, "vfio-pci");
	ck_assert_int_eq(vfio_kernel_open("0000:0A:1F.0", &sim->sys, &b, err, sizeof(err)), 0);
	ck_assert_str_eq(b->name, "0000:0a:1f.0");
	b->ops->close(b);
	vfio_sim_destroy(sim);
}
END_TEST

START_TEST(test_api_version_and_type1v2_checked)
{
	struct vfio_sim *sim = host_create();
	struct pt_backend *b;
	char err[256];

	sim->api_version = 1;
	ck_assert_int_eq(vfio_kernel_open("0000:03:00.0", &sim->sys, &b, err, sizeof(err)),
			 -ENOTSUP);
	ck_assert_str_eq(err, "/dev/vfio/vfio speaks VFIO API 1, kdom speaks 0");
	ck_assert_uint_eq(vfio_sim_open_fds(sim), 0);
	sim->api_version = VFIO_API_VERSION;
	sim->no_type1v2 = true;
	ck_assert_int_eq(vfio_kernel_open("0000:03:00.0", &sim->sys, &b, err, sizeof(err)),
			 -ENOTSUP);
	ck_assert_ptr_nonnull(strstr(err, "type1v2"));
	ck_assert_uint_eq(vfio_sim_open_fds(sim), 0);
	vfio_sim_destroy(sim);
}
END_TEST

START_TEST(test_dma_map_and_unmap)
{
	struct vfio_sim *sim = host_create();
	struct pt_backend *b = open_ok(sim, "0000:03:00.0");
	struct vfio_sim_container *c = sim_container(sim);
	void *host = (void *)(uintptr_t)0x7f1234400000ull; /* never touched */
	const uint64_t mib = 1 << 20;

	ck_assert_int_eq(b->ops->dma_map(b, 0, 640 << 10, host, -1, 0), 0);
	ck_assert_int_eq(b->ops->dma_map(b, mib, 255 * mib, (char *)host + mib, -1, 0), 0);
	ck_assert_uint_eq(c->n_dmas, 2);
	ck_assert_uint_eq(c->dmas[0].iova, 0);
	ck_assert_uint_eq(c->dmas[0].size, 640 << 10);
	ck_assert_uint_eq(c->dmas[0].vaddr, (uintptr_t)host);
	ck_assert_uint_eq(c->dmas[0].flags, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
	ck_assert_uint_eq(c->dmas[1].iova, mib);
	ck_assert_uint_eq(c->dmas[1].size, 255 * mib);
	ck_assert_uint_eq(c->dmas[1].vaddr, (uintptr_t)host + mib);

	/* The kernel's checks: overlap, alignment, size. */
	ck_assert_int_eq(b->ops->dma_map(b, 512 << 10, 4096, host, -1, 0), -EEXIST);
	ck_assert_int_eq(b->ops->dma_map(b, 0x100000100ull, 4096, host, -1, 0), -EINVAL);
	ck_assert_int_eq(b->ops->dma_map(b, 1ull << 40, 4096, (char *)host + 8, -1, 0), -EINVAL);
	ck_assert_int_eq(b->ops->dma_map(b, 1ull << 40, 0, host, -1, 0), -EINVAL);
	ck_assert_int_eq(b->ops->dma_map(b, ~0ull & ~4095ull, 8192, host, -1, 0), -EINVAL);
	ck_assert_uint_eq(c->n_dmas, 2);

	/* type1v2 unmaps whole mappings: not half of one. */
	ck_assert_int_eq(b->ops->dma_unmap(b, mib, mib), -EINVAL);
	ck_assert_int_eq(b->ops->dma_unmap(b, 4096, 636 << 10), -EINVAL);
	ck_assert_int_eq(b->ops->dma_unmap(b, 0, 640 << 10), 0);
	ck_assert_uint_eq(c->n_dmas, 1);
	ck_assert_uint_eq(c->dmas[0].iova, mib);
	ck_assert_int_eq(b->ops->dma_unmap(b, 0, 640 << 10), 0); /* nothing there: no error */
	ck_assert_int_eq(b->ops->dma_unmap(b, 0, 256 * mib), 0);
	ck_assert_uint_eq(c->n_dmas, 0);
	b->ops->close(b);
	vfio_sim_destroy(sim);
}
END_TEST

START_TEST(test_set_irqs_passes_eventfds)
{
	struct vfio_sim *sim = host_create();
	struct vfio_sim_device *nic = &sim->devices[0];
	struct pt_backend *b = open_ok(sim, "0000:03:00.0");
	struct vfio_irq_info info = { .index = VFIO_PCI_MSIX_IRQ_INDEX };
	int32_t fds[3] = { eventfd(0, EFD_CLOEXEC), -1, eventfd(0, EFD_CLOEXEC) };
	int pipefd[2];
	int32_t not_eventfd;

	ck_assert_int_ge(fds[0], 0);
	ck_assert_int_ge(fds[2], 0);
	ck_assert_int_eq(pipe(pipefd), 0);
	not_eventfd = pipefd[0];
	ck_assert_int_eq(b->ops->irq_info(b, &info), 0);
	ck_assert_uint_eq(info.count, 5);
	ck_assert_uint_eq(info.flags, VFIO_IRQ_INFO_EVENTFD);

	ck_assert_int_eq(b->ops->set_irqs(b, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
					  0, 3, fds),
			 0);
	ck_assert_uint_eq(nic->n_irq_sets, 1);
	ck_assert_uint_eq(nic->irq_sets[0].index, VFIO_PCI_MSIX_IRQ_INDEX);
	ck_assert_uint_eq(nic->irq_sets[0].flags,
			  VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER);
	ck_assert_uint_eq(nic->irq_sets[0].start, 0);
	ck_assert_uint_eq(nic->irq_sets[0].count, 3);
	ck_assert_int_eq(nic->irq_sets[0].fds[0], fds[0]);
	ck_assert_int_eq(nic->irq_sets[0].fds[1], -1);
	ck_assert_int_eq(nic->irq_sets[0].fds[2], fds[2]);
	ck_assert_int_eq(nic->irq_type, VFIO_PCI_MSIX_IRQ_INDEX);

	/* One more vector later, as a guest unmasking it would. */
	ck_assert_int_eq(b->ops->set_irqs(b, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
					  4, 1, &fds[0]),
			 0);
	ck_assert_uint_eq(nic->irq_sets[1].start, 4);
	/* Refused as the kernel does: past the vectors, MSI while MSI-X is on, not an eventfd. */
	ck_assert_int_eq(b->ops->set_irqs(b, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
					  4, 2, fds),
			 -EINVAL);
	ck_assert_int_eq(
		b->ops->set_irqs(b, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, fds),
		-EINVAL);
	ck_assert_int_eq(b->ops->set_irqs(b, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
					  0, 1, &not_eventfd),
			 -EINVAL);
	ck_assert_int_eq(
		b->ops->set_irqs(b, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_MASK, 0, 1, fds),
		-ENOTTY);
	ck_assert_int_eq(b->ops->set_irqs(b, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
					  0, 1, NULL),
			 -EINVAL);
	ck_assert_uint_eq(nic->n_irq_sets, 2);

	/* count 0: DATA_NONE, the index off. */
	ck_assert_int_eq(b->ops->set_irqs(b, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
					  0, 0, NULL),
			 0);
	ck_assert_uint_eq(nic->irq_sets[2].flags,
			  VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER);
	ck_assert_int_eq(nic->irq_type, -1);

	/* INTx with its resample (unmask) eventfd. */
	ck_assert_int_eq(b->ops->set_irqs(b, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
					  0, 1, &fds[0]),
			 0);
	ck_assert_int_eq(b->ops->set_irqs(b, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, 0,
					  1, &fds[2]),
			 0);
	ck_assert_uint_eq(nic->irq_sets[4].flags,
			  VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK);
	ck_assert_int_eq(nic->irq_sets[4].fds[0], fds[2]);
	ck_assert_int_eq(nic->irq_type, VFIO_PCI_INTX_IRQ_INDEX);

	b->ops->close(b);
	close(fds[0]);
	close(fds[2]);
	close(pipefd[0]);
	close(pipefd[1]);
	vfio_sim_destroy(sim);
}
END_TEST

START_TEST(test_region_access_at_region_offsets)
{
	struct vfio_sim *sim = host_create();
	struct vfio_sim_device *nic = &sim->devices[0];
	struct pt_backend *b = open_ok(sim, "0000:03:00.0");
	uint8_t out[4] = { 0xde, 0xad, 0xbe, 0xef }, in[4];
	uint32_t vendor = 0;
	unsigned int before;

	ck_assert_int_eq(b->ops->region_write(b, VFIO_PCI_BAR0_REGION_INDEX, 0x100, out, 4), 0);
	ck_assert_uint_eq(nic->n_accesses, 1);
	ck_assert_uint_eq(nic->accesses[0].index, VFIO_PCI_BAR0_REGION_INDEX);
	ck_assert_uint_eq(nic->accesses[0].offset, 0x100);
	ck_assert_uint_eq(nic->accesses[0].len, 4);
	ck_assert(nic->accesses[0].write);
	ck_assert_mem_eq(nic->regions[VFIO_PCI_BAR0_REGION_INDEX].data + 0x100, out, 4);

	ck_assert_int_eq(b->ops->region_read(b, VFIO_PCI_BAR2_REGION_INDEX, 4092, in, 4), 0);
	ck_assert_uint_eq(nic->accesses[1].index, VFIO_PCI_BAR2_REGION_INDEX);
	ck_assert_uint_eq(nic->accesses[1].offset, 4092);
	ck_assert(!nic->accesses[1].write);
	ck_assert_int_eq(b->ops->region_read(b, VFIO_PCI_CONFIG_REGION_INDEX, 0, &vendor, 2), 0);
	ck_assert_uint_eq(vendor, 0x8086);
	ck_assert_uint_eq(nic->accesses[2].index, VFIO_PCI_CONFIG_REGION_INDEX);

	/* Outside a region, or a region that is not there: refused before the kernel. */
	before = nic->n_accesses;
	ck_assert_int_eq(b->ops->region_read(b, VFIO_PCI_BAR2_REGION_INDEX, 4093, in, 4), -EINVAL);
	ck_assert_int_eq(b->ops->region_read(b, VFIO_PCI_BAR0_REGION_INDEX, ~0ull, in, 4), -EINVAL);
	ck_assert_int_eq(b->ops->region_write(b, VFIO_PCI_BAR1_REGION_INDEX, 0, out, 4), -EINVAL);
	ck_assert_int_eq(b->ops->region_read(b, VFIO_PCI_NUM_REGIONS, 0, in, 4), -EINVAL);
	ck_assert_uint_eq(nic->n_accesses, before);
	b->ops->close(b);
	vfio_sim_destroy(sim);
}
END_TEST

START_TEST(test_config_space_over_the_kernel_back_end)
{
	struct vfio_sim *sim = host_create();
	struct vfio_sim_device *nic = &sim->devices[0];
	struct pt_backend *b = open_ok(sim, "0000:03:00.0");
	struct pt_config c;
	char err[256] = "";

	/* The reset on open left the command clear; pretend the host driver did not. */
	nic->regions[VFIO_PCI_CONFIG_REGION_INDEX].data[PCI_COMMAND] = PCI_COMMAND_MEMORY;
	ck_assert_msg(!pt_config_init(&c, b, err, sizeof(err)), "%s", err);
	ck_assert_uint_eq(nic->regions[VFIO_PCI_CONFIG_REGION_INDEX].data[PCI_COMMAND], 0);
	ck_assert_uint_eq(pt_config_read(&c, PCI_VENDOR_ID, 4), 0x10d38086);
	ck_assert_uint_eq(pt_config_bar(&c, 0)->size, 16 << 10);
	ck_assert_uint_eq(pt_config_bar(&c, 2)->size, 4096);
	ck_assert(pt_config_bar(&c, 2)->is64);
	pt_config_write(&c, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	ck_assert_uint_eq(pt_config_read(&c, PCI_BASE_ADDRESS_0, 4), 0xffffc000);
	pt_config_write(&c, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	ck_assert_uint_eq(nic->regions[VFIO_PCI_CONFIG_REGION_INDEX].data[PCI_COMMAND],
			  PCI_COMMAND_MEMORY);
	ck_assert_uint_eq(nic->regions[VFIO_PCI_CONFIG_REGION_INDEX].data[PCI_BASE_ADDRESS_0], 0);
	pt_config_destroy(&c);
	b->ops->close(b);
	vfio_sim_destroy(sim);
}
END_TEST

Suite *vfio_kernel_suite(void)
{
	Suite *suite = suite_create("vfio-kernel");
	TCase *open = tcase_create("open");
	TCase *ops = tcase_create("operations");

	tcase_add_test(open, test_open_and_close_ioctl_sequence);
	tcase_add_test(open, test_device_without_reset);
	tcase_add_test(open, test_non_viable_group_names_the_offender);
	tcase_add_test(open, test_missing_device_or_group);
	tcase_add_test(open, test_bad_bdf_refused);
	tcase_add_test(open, test_api_version_and_type1v2_checked);
	suite_add_tcase(suite, open);

	tcase_add_test(ops, test_dma_map_and_unmap);
	tcase_add_test(ops, test_set_irqs_passes_eventfds);
	tcase_add_test(ops, test_region_access_at_region_offsets);
	tcase_add_test(ops, test_config_space_over_the_kernel_back_end);
	suite_add_tcase(suite, ops);
	return suite;
}
