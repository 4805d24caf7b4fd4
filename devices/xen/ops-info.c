/* Xen hypercalls for what a guest learns and says of itself: xen_version, hvm_op, console_io. */
#include <stdio.h>
#include <string.h>

#include "devices/xen/ops-internal.h"
#include "hv-roles/policy.h"

#define XEN_EXTRAVERSION ".0-kdom" /* with XEN_VERSION_MAJOR.MINOR: "4.18.0-kdom" */
/* What an HVM guest may run as, as Xen x86 words it (PV is not served). */
#define XEN_CAPABILITIES "hvm-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p"
#define XEN_PAGE_SIZE 4096

/* A fixed-size string sub-op: the whole array is written, NUL-padded, as Xen copies it. */
static int64_t xen_version_string(const struct xen_guest_ops *ops, uint64_t gva, const char *text,
				  size_t size)
{
	char buf[XEN_CAPABILITIES_LEN] = { 0 };

	snprintf(buf, size, "%s", text);
	return xen_copy_to_guest(ops, gva, buf, size);
}

/*
 * XENVER_get_features: Xen answers submap 0 and refuses the others
 * (-EINVAL; XENFEAT_NR_SUBMAPS is 1).  Submap 0 holds XENFEAT_dom0 alone,
 * set as the policy tells the hardware domain on kdom's port too.
 */
static int64_t xen_version_features(struct xen_domain *xd, const struct xen_guest_ops *ops,
				    uint64_t gva)
{
	struct xen_feature_info fi;

	if (xen_copy_from_guest(ops, gva, &fi, sizeof(fi)))
		return -XEN_EFAULT;
	if (fi.submap_idx >= XENFEAT_NR_SUBMAPS)
		return -XEN_EINVAL;
	fi.submap = policy_xen_features(xd->domain);
	return xen_copy_to_guest(ops, gva, &fi, sizeof(fi));
}

/*
 * The compile information names kdom's compiler; who built it, where and
 * when stay empty so that builds are reproducible.
 */
int64_t xen_version_op(struct xen_domain *xd, const struct xen_call *call,
		       const struct xen_guest_ops *ops)
{
	uint64_t gva = call->arg[1];

	switch ((uint32_t)call->arg[0]) {
	case XENVER_version:
		return (XEN_VERSION_MAJOR << 16) | XEN_VERSION_MINOR;
	case XENVER_extraversion:
		return xen_version_string(ops, gva, XEN_EXTRAVERSION, XEN_EXTRAVERSION_LEN);
	case XENVER_compile_info: {
		struct xen_compile_info info = { 0 };

		snprintf(info.compiler, sizeof(info.compiler), "%s", __VERSION__);
		snprintf(info.compile_by, sizeof(info.compile_by), "kdom");
		return xen_copy_to_guest(ops, gva, &info, sizeof(info));
	}
	case XENVER_capabilities:
		return xen_version_string(ops, gva, XEN_CAPABILITIES, XEN_CAPABILITIES_LEN);
	case XENVER_changeset: {
		char changeset[XEN_CHANGESET_LEN];

		snprintf(changeset, sizeof(changeset), "kdom, ABI %d", KDOM_ABI_VERSION);
		return xen_version_string(ops, gva, changeset, XEN_CHANGESET_LEN);
	}
	case XENVER_platform_parameters: {
		/* One xen_ulong_t, virt_start: where Xen's own mappings begin, none in HVM. */
		uint64_t virt_start = 0;

		return xen_copy_to_guest(ops, gva, &virt_start, call->long_mode ? 8 : 4);
	}
	case XENVER_get_features:
		return xen_version_features(xd, ops, gva);
	case XENVER_pagesize:
		/* Xen takes no buffer here, and refuses one. */
		return gva ? -XEN_EINVAL : XEN_PAGE_SIZE;
	case XENVER_guest_handle:
		return xen_copy_to_guest(ops, gva, xd->domain->uuid, XEN_GUEST_HANDLE_LEN);
	default:
		return -XEN_ENOSYS;
	}
}

/*
 * HVMOP_get_param, the parameters a PVH/HVM Linux reads at boot: the
 * xenstore ring and its event channel read as 0, "no xenstore", so the
 * guest's xenbus stays idle; kdom has no PV console ring either, and Xen
 * answers a parameter it does not hold with -EINVAL.  Only the caller's own
 * parameters: another domain's are -EPERM (Xen: -ESRCH or -EPERM, which
 * would tell whether the domain exists).  Setting parameters (the event
 * callback among them) is not served.
 */
static int64_t xen_hvm_get_param(struct xen_domain *xd, const struct xen_guest_ops *ops,
				 uint64_t gva)
{
	struct xen_hvm_param param;

	if (xen_copy_from_guest(ops, gva, &param, sizeof(param)))
		return -XEN_EFAULT;
	if (!xen_domid_is_self(xd, param.domid))
		return -XEN_EPERM;
	switch (param.index) {
	case HVM_PARAM_STORE_PFN:
	case HVM_PARAM_STORE_EVTCHN:
		param.value = 0;
		return xen_copy_to_guest(ops, gva, &param, sizeof(param));
	default:
		return -XEN_EINVAL;
	}
}

int64_t xen_hvm_op(struct xen_domain *xd, const struct xen_call *call,
		   const struct xen_guest_ops *ops)
{
	/* Xen takes hvm_op's op as an unsigned long: all 64 bits name it. */
	switch (call->arg[0]) {
	case HVMOP_get_param:
		return xen_hvm_get_param(xd, ops, call->arg[1]);
	default:
		return -XEN_ENOSYS;
	}
}

/*
 * CONSOLEIO_write(count, buffer): at most XEN_CONSOLE_WRITE_MAX bytes are
 * served per call, and the rest of a longer write is dropped, with 0 returned
 * as for a full write.  Xen writes everything (preempting itself between
 * chunks); kdom has no continuations, and dropping the tail keeps what a
 * guest prints readable where an error would lose the whole message (Linux's
 * console ignores the result).  A buffer that is not all readable writes
 * nothing: -EFAULT.
 *
 * Xen lets only privileged domains use the console in release builds; kdom
 * gives every domain its own console, so every domain may write to it.
 * CONSOLEIO_read finds no input: 0 bytes.
 */
int64_t xen_console_io(struct xen_domain *xd, const struct xen_call *call,
		       const struct xen_guest_ops *ops)
{
	char buf[XEN_CONSOLE_WRITE_MAX];
	uint32_t count = (uint32_t)call->arg[1];

	switch ((uint32_t)call->arg[0]) {
	case CONSOLEIO_write:
		if (count > sizeof(buf))
			count = sizeof(buf);
		if (count == 0)
			return 0;
		if (xen_copy_from_guest(ops, call->arg[2], buf, count))
			return -XEN_EFAULT;
		ops->console_write(ops->opaque, buf, count);
		return 0;
	case CONSOLEIO_read:
		return 0;
	default:
		return -XEN_ENOSYS;
	}
}
