/* sysfs for PCI devices: what a device is and which driver has it (`kdom pci-assignable-*`). */
#include "vfio/host-pci.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *sysfs_root(void)
{
	const char *root = getenv(HOST_PCI_SYSFS_ENV);

	return root ? root : "";
}

void host_pci_path(char *buf, size_t len, const char *bdf, const char *file)
{
	snprintf(buf, len, "%s/sys/bus/pci/devices/%s%s%s", sysfs_root(), bdf, file ? "/" : "",
		 file ? file : "");
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, len, f))
		ret = -EIO;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return ret;
}

static int write_string(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;
	size_t len = strlen(text);

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		ret = -errno ? -errno : -EIO;
	close(fd);
	return ret;
}

/* The last path component of a symlink's target, or "" when there is none. */
static void link_name(const char *path, char *out, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	out[0] = '\0';
	if (n <= 0)
		return;
	target[n] = '\0';
	snprintf(out, len, "%s", basename(target));
}

int host_pci_lookup(const char *bdf, struct host_pci_device *dev, char *err, size_t errlen)
{
	char path[PATH_MAX], line[64], group[32];

	memset(dev, 0, sizeof(*dev));
	snprintf(dev->bdf, sizeof(dev->bdf), "%s", bdf);
	host_pci_path(path, sizeof(path), bdf, "class");
	if (read_line(path, line, sizeof(line))) {
		snprintf(err, errlen, "no PCI device %s on this host", bdf);
		return -ENOENT;
	}
	dev->class_code = strtoul(line, NULL, 16);
	host_pci_path(path, sizeof(path), bdf, "driver");
	link_name(path, dev->driver, sizeof(dev->driver));
	host_pci_path(path, sizeof(path), bdf, "iommu_group");
	link_name(path, group, sizeof(group));
	dev->iommu_group = group[0] ? atoi(group) : -1;
	return 0;
}

int host_pci_bind_vfio(const char *bdf, char *previous, size_t prevlen, char *err, size_t errlen)
{
	struct host_pci_device dev;
	char path[PATH_MAX];
	int ret;

	ret = host_pci_lookup(bdf, &dev, err, errlen);
	if (ret)
		return ret;
	if (host_pci_is_host_bridge(&dev)) {
		snprintf(err, errlen, "%s is a host bridge: it cannot be passed through", bdf);
		return -EPERM;
	}
	snprintf(previous, prevlen, "%s", dev.driver);
	if (!strcmp(dev.driver, "vfio-pci"))
		return 0;
	host_pci_path(path, sizeof(path), bdf, "driver_override");
	ret = write_string(path, "vfio-pci");
	if (ret) {
		snprintf(err, errlen, "cannot set %s's driver_override: %s", bdf, strerror(-ret));
		return ret;
	}
	if (dev.driver[0]) {
		host_pci_path(path, sizeof(path), bdf, "driver/unbind");
		ret = write_string(path, bdf);
		if (ret) {
			snprintf(err, errlen, "cannot unbind %s from %s: %s", bdf, dev.driver,
				 strerror(-ret));
			return ret;
		}
	}
	snprintf(path, sizeof(path), "%s/sys/bus/pci/drivers_probe", sysfs_root());
	ret = write_string(path, bdf);
	if (ret) {
		snprintf(err, errlen,
			 "cannot bind %s to vfio-pci (is the vfio-pci module loaded?): %s", bdf,
			 strerror(-ret));
		return ret;
	}
	return 0;
}

int host_pci_unbind_vfio(const char *bdf, const char *previous, char *err, size_t errlen)
{
	struct host_pci_device dev;
	char path[PATH_MAX];
	int ret;

	ret = host_pci_lookup(bdf, &dev, err, errlen);
	if (ret)
		return ret;
	if (strcmp(dev.driver, "vfio-pci")) {
		snprintf(err, errlen, "%s is not bound to vfio-pci (its driver: %s)", bdf,
			 dev.driver[0] ? dev.driver : "none");
		return -EINVAL;
	}
	host_pci_path(path, sizeof(path), bdf, "driver/unbind");
	ret = write_string(path, bdf);
	if (!ret) {
		host_pci_path(path, sizeof(path), bdf, "driver_override");
		ret = write_string(path, previous && previous[0] ? previous : "\n");
	}
	if (!ret) {
		snprintf(path, sizeof(path), "%s/sys/bus/pci/drivers_probe", sysfs_root());
		ret = write_string(path, bdf);
	}
	if (ret)
		snprintf(err, errlen, "cannot give %s back to %s: %s", bdf,
			 previous && previous[0] ? previous : "its driver", strerror(-ret));
	return ret;
}

int host_pci_list_vfio(void (*fn)(const char *bdf, void *opaque), void *opaque)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/sys/bus/pci/drivers/vfio-pci", sysfs_root());
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(dir))) {
		/* The driver's folder links its devices by BDF: DDDD:BB:DD.F */
		if (strlen(e->d_name) == 12 && e->d_name[4] == ':' && e->d_name[7] == ':' &&
		    e->d_name[10] == '.')
			fn(e->d_name, opaque);
	}
	closedir(dir);
	return 0;
}
