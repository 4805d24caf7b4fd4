/* Unit tests of what an xl user's domain config needs: disk and vif specs, xl's other keys. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv-roles/roles.h"
#include "tests/unit/unit.h"
#include "toolstack/config/disk-spec.h"
#include "toolstack/config/domain-config.h"
#include "toolstack/config/vif-spec.h"
#include "toolstack/config/xl-keys.h"

#define ERRLEN 512

/* Apply text (as file "t.cfg") to dc; the return value, err, and the log lines in log. */
static int apply_logged(struct domain_config *dc, const char *text, char *err, char *log,
			size_t loglen, int *lines)
{
	struct capture cap;
	struct cfg cfg;
	int ret = cfg_parse("t.cfg", text, strlen(text), &cfg, err, ERRLEN);

	ck_assert_msg(ret == 0, "parse failed: %s", err);
	capture_begin(&cap);
	ret = domain_config_apply(dc, &cfg, err, ERRLEN);
	*lines = capture_end(&cap, log, loglen);
	cfg_free(&cfg);
	return ret;
}

/* text applies, logging nothing. */
static void apply_quiet(struct domain_config *dc, const char *text)
{
	char err[ERRLEN], log[1024];
	int lines, ret = apply_logged(dc, text, err, log, sizeof(log), &lines);

	ck_assert_msg(ret == 0, "'%s' failed: %s", text, err);
	ck_assert_msg(lines == 0, "'%s' logged: %s", text, log);
}

/* text is refused with exactly msg, and leaves nothing allocated. */
static void check_refused(const char *text, const char *msg)
{
	struct domain_config dc;
	char err[ERRLEN], log[1024];
	int lines, ret;

	domain_config_init(&dc);
	ret = apply_logged(&dc, text, err, log, sizeof(log), &lines);
	ck_assert_msg(ret == -EINVAL, "'%s': expected -EINVAL, got %d", text, ret);
	ck_assert_str_eq(err, msg);
	domain_config_free(&dc);
}

/* text applies, with exactly one log line containing what. */
static void check_warned(const char *text, const char *what)
{
	struct domain_config dc;
	char err[ERRLEN], log[2048];
	int lines, ret;

	domain_config_init(&dc);
	ret = apply_logged(&dc, text, err, log, sizeof(log), &lines);
	ck_assert_msg(ret == 0, "'%s' failed: %s", text, err);
	ck_assert_msg(lines == 1, "'%s' logged %d lines: %s", text, lines, log);
	ck_assert_msg(strstr(log, what), "'%s' logged '%s', not '%s'", text, log, what);
	domain_config_free(&dc);
}

/* ---- disk = -------------------------------------------------------------------- */

static const struct disk_ok {
	const char *spec, *target, *vdev;
	unsigned int disk, partition;
	const char *flags; /* r: read-only, n: no discard, d: direct I/O */
	const char *serial;
} disk_ok[] = {
	/* xl-disk-configuration(5)'s equivalent forms */
	{ "/dev/vg/guest-volume,,hda", "/dev/vg/guest-volume", "hda", 0, 0, "", NULL },
	{ "/dev/vg/guest-volume,raw,hda,rw", "/dev/vg/guest-volume", "hda", 0, 0, "", NULL },
	{ "format=raw, vdev=hda, access=rw, target=/dev/vg/guest-volume", "/dev/vg/guest-volume",
	  "hda", 0, 0, "", NULL },
	{ "raw:/dev/vg/guest-volume,hda,w", "/dev/vg/guest-volume", "hda", 0, 0, "", NULL },
	/* deprecated prefixes, as PV-era configs write them */
	{ "phy:/dev/vg/web01,xvda,w", "/dev/vg/web01", "xvda", 0, 0, "", NULL },
	{ "file:/var/lib/xen/web01.img,xvda1,w", "/var/lib/xen/web01.img", "xvda1", 0, 1, "",
	  NULL },
	{ "tap:aio:/srv/b.img,xvdb,r", "/srv/b.img", "xvdb", 1, 0, "r", NULL },
	{ "/srv/c.img,,xvdc:disk,ro", "/srv/c.img", "xvdc", 2, 0, "r", NULL },
	/* flags, parameters that change nothing, kdom's serial */
	{ "/srv/a.img,raw,xvda,ro,no-discard,direct-io-safe", "/srv/a.img", "xvda", 0, 0, "rnd",
	  NULL },
	{ "/srv/a.img,,xvda,devtype=disk,backendtype=phy,specification=virtio,no-colo,trusted,"
	  "untrusted,grant_usage=0,discard",
	  "/srv/a.img", "xvda", 0, 0, "", NULL },
	{ "/srv/a.img,,xvda,serial=WD-0123456789", "/srv/a.img", "xvda", 0, 0, "",
	  "WD-0123456789" },
	/* target= takes the rest, commas and all; an empty positional target gives way to it */
	{ "vdev=xvdaa, target=/srv/with,comma.img", "/srv/with,comma.img", "xvdaa", 26, 0, "",
	  NULL },
	{ "vdev=xvdz,target=/srv/t.img,", "/srv/t.img", "xvdz", 25, 0, "", NULL },
	{ ",,xvda,target=/srv/late.img", "/srv/late.img", "xvda", 0, 0, "", NULL },
	{ "format=raw,/srv/f.img,xvdd", "/srv/f.img", "xvdd", 3, 0, "", NULL },
	/* white space around parameters */
	{ "  /srv/s.img , raw ,\txvde , rw ", "/srv/s.img", "xvde", 4, 0, "", NULL },
	/* each naming scheme at its limits */
	{ "/i,,hdd63", "/i", "hdd63", 3, 63, "", NULL },
	{ "/i,,sdp15", "/i", "sdp15", 15, 15, "", NULL },
	{ "/i,,sdb3,r", "/i", "sdb3", 1, 3, "r", NULL },
	{ "/i,,xvda255", "/i", "xvda255", 0, 255, "", NULL },
	{ "/i,,d536p37", "/i", "d536p37", 536, 37, "", NULL },
	{ "/i,,d0", "/i", "d0", 0, 0, "", NULL },
	{ "/i,,d0p0", "/i", "d0p0", 0, 0, "", NULL },
	{ "/i,,vdb", "/i", "vdb", 1, 0, "", NULL },
};

START_TEST(test_disk_spec_forms)
{
	const struct disk_ok *t = &disk_ok[_i];
	struct disk_spec spec;
	char err[ERRLEN] = "";

	ck_assert_msg(disk_spec_parse(t->spec, &spec, err, sizeof(err)) == 0, "'%s': %s", t->spec,
		      err);
	ck_assert_str_eq(spec.target, t->target);
	ck_assert_str_eq(spec.vdev, t->vdev);
	ck_assert_uint_eq(spec.disk, t->disk);
	ck_assert_uint_eq(spec.partition, t->partition);
	ck_assert_msg(spec.readonly == !!strchr(t->flags, 'r'), "'%s': readonly", t->spec);
	ck_assert_msg(spec.discard == !strchr(t->flags, 'n'), "'%s': discard", t->spec);
	ck_assert_msg(spec.direct_io == !!strchr(t->flags, 'd'), "'%s': direct_io", t->spec);
	ck_assert_str_eq(spec.serial, t->serial ? t->serial : "");
	disk_spec_free(&spec);
	ck_assert_ptr_null(spec.target);
}
END_TEST

/* Each refusal names what is wrong; the spec opens the message. */
static const struct {
	const char *spec, *what;
} disk_bad[] = {
	{ "/img,qcow2,xvda", "format 'qcow2': kdom serves raw images only" },
	{ "format=vhd,vdev=xvda,target=/img", "format 'vhd': kdom serves raw images only" },
	{ "qcow2:/img,xvda,w", "format 'qcow2': kdom serves raw images only" },
	{ "/img,qed,xvda", "format 'qed': kdom serves raw images only" },
	{ "/img,qcow,xvda", "format 'qcow': kdom serves raw images only" },
	{ "/img,empty,xvda", "format 'empty' is an empty CD-ROM drive" },
	{ "/img,foo,xvda", "unknown format 'foo'" },
	{ "/img,raw,xvda,format=qcow2", "format given twice ('raw' and 'qcow2')" },
	{ "/root/image.iso,,hdc,cdrom", "a CD-ROM (cdrom): kdom has no CD-ROM device" },
	{ "/root/image.iso,,hdc,,cdrom", "a CD-ROM (cdrom): kdom has no CD-ROM device" },
	{ "/root/image.iso,raw,hdc,devtype=cdrom", "a CD-ROM (devtype=cdrom)" },
	{ "raw:/root/image.iso,hdc:cdrom,ro", "a CD-ROM (VDEV:cdrom)" },
	{ ",hdc:cdrom,r", "a CD-ROM (VDEV:cdrom)" },
	{ ",xvda:disk,w", "no target: give the path of a raw image or block device" },
	{ "/img,,xvda:floppy", "unknown device type 'floppy' after vdev 'xvda'" },
	{ "/img,,xvda,devtype=floppy", "unknown devtype 'floppy'" },
	{ "/img,,xvda,x", "access 'x' is not ro, r, rw or w" },
	{ "/img,,xvda,ro,access=rw", "access given twice" },
	{ "/img,,xvda,rw,more", "too many positional parameters (at 'more')" },
	{ "/img,,xvda,backend=blkdom", "backend 'blkdom': kdom serves disks from its own process" },
	{ "/img,,xvda,script=block-iscsi", "script 'block-iscsi': kdom runs no block scripts" },
	{ "iscsi:iqn.2001-04.com.example:disk,xvda,w", "prefix 'iscsi:' runs the block script "
						       "block-iscsi" },
	{ "drbd:res0,xvda,w", "prefix 'drbd:' runs the block script block-drbd" },
	{ "foo:/img,xvda", "unknown deprecated prefix 'foo:'" },
	{ "/img,,xvda,colo", "colo: kdom does not serve COLO replication" },
	{ "/img,,xvda,colo-host=h", "colo-host: kdom does not serve COLO replication" },
	{ "/img,,xvda,active-disk=/a", "active-disk: kdom does not serve COLO replication" },
	{ "/img,,xvda,grant_usage=1", "grant_usage=1 asks for Xen grants" },
	{ "/img,,xvda,grant_usage=2", "grant_usage '2' is not 0" },
	{ "/img,,xvda,backendtype=nbd", "backendtype 'nbd' is not phy, tap, qdisk or standalone" },
	{ "/img,,xvda,specification=scsi", "specification 'scsi' is not xen or virtio" },
	{ "/img,,xvda,bogus=1", "unknown key 'bogus'" },
	{ "/img,,xvda,mode=rw", "unknown key 'mode'" },
	{ "/img", "no vdev: name the disk for the guest" },
	{ "/img,,", "no vdev: name the disk for the guest" },
	{ ",,xvda", "no target: give the path of a raw image or block device" },
	{ "", "no target" },
	{ "img.raw,,xvda", "target 'img.raw' is not an absolute path" },
	{ "phy:vg/web01,xvda,w", "target 'vg/web01' is not an absolute path" },
	{ "/a,,xvda,target=/b", "target given twice" },
	{ "/a,,xvda,vdev=xvdb", "vdev given twice ('xvda' and 'xvdb')" },
	{ "/img,,xvd", "vdev 'xvd' is not a disk name" },
	{ "/img,,eth0", "vdev 'eth0' is not a disk name" },
	{ "/img,,51712", "vdev '51712' is not a disk name" },
	{ "/img,,xvda0", "vdev 'xvda0' is out of xvd's range" },
	{ "/img,,xvda01", "vdev 'xvda01' is out of xvd's range" },
	{ "/img,,xvda256", "vdev 'xvda256' is out of xvd's range" },
	{ "/img,,hde", "vdev 'hde' is out of hd's range (hda to hdd" },
	{ "/img,,hda64", "vdev 'hda64' is out of hd's range" },
	{ "/img,,sdq", "vdev 'sdq' is out of sd's range (sda to sdp" },
	{ "/img,,vda1", "vdev 'vda1' is out of vd's range (vda and on, whole disks only)" },
	{ "/img,,d01", "vdev 'd01' is not d<disk>[p<partition>]" },
	{ "/img,,d1048576", "vdev 'd1048576' is not d<disk>[p<partition>]" },
	{ "/img,,d1p256", "vdev 'd1p256' is not d<disk>[p<partition>]" },
	{ "/img,,xvdaaaaaaaaaaaaaaaa", "vdev 'xvdaaaaaaaaaaaaaaaa' is too long" },
	{ "/img,,xvda,serial=", "serial must be 1 to 20 characters" },
	{ "/img,,xvda,serial=123456789012345678901", "serial must be 1 to 20 characters" },
	{ "/img,,xvda,serial=two words", "serial 'two words' may only hold printable ASCII" },
};

START_TEST(test_disk_spec_refused)
{
	struct disk_spec spec;
	char err[ERRLEN], prefix[128];

	snprintf(prefix, sizeof(prefix), "disk '%s': ", disk_bad[_i].spec);
	ck_assert_int_eq(disk_spec_parse(disk_bad[_i].spec, &spec, err, sizeof(err)), -EINVAL);
	ck_assert_msg(!strncmp(err, prefix, strlen(prefix)), "'%s' does not open with '%s'", err,
		      prefix);
	ck_assert_msg(strstr(err, disk_bad[_i].what), "'%s' does not say '%s'", err,
		      disk_bad[_i].what);
	ck_assert_ptr_null(spec.target);
}
END_TEST

/* A long spec is quoted cut, with "..."; a target of PATH_MAX bytes is refused. */
START_TEST(test_disk_spec_long)
{
	char *spec = malloc(5000), err[ERRLEN];
	struct disk_spec d;

	ck_assert_ptr_nonnull(spec);
	memset(spec, 'a', 4999);
	spec[0] = '/';
	strcpy(spec + 4990, ",,xvda");
	ck_assert_int_eq(disk_spec_parse(spec, &d, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "...': target is longer than 4095 bytes"));
	free(spec);
}
END_TEST

/* ---- vif = --------------------------------------------------------------------- */

START_TEST(test_vif_spec_forms)
{
	char err[ERRLEN], warn[512];
	struct vif_spec v;
	static const uint8_t mac[6] = { 0x00, 0x16, 0x3e, 0x01, 0x02, 0x03 };

	/* The empty spec: every default. */
	ck_assert_int_eq(vif_spec_parse("", &v, warn, sizeof(warn), err, sizeof(err)), 0);
	ck_assert(!v.mac_set);
	ck_assert_str_eq(v.bridge, "xenbr0");
	ck_assert_str_eq(v.ifname, "");
	ck_assert_uint_eq(v.mtu, 0);
	ck_assert_str_eq(warn, "");

	ck_assert_int_eq(vif_spec_parse("mac=00:16:3e:01:02:03, bridge=br0, vifname=vif1", &v, warn,
					sizeof(warn), err, sizeof(err)),
			 0);
	ck_assert(v.mac_set);
	ck_assert_mem_eq(v.mac, mac, 6);
	ck_assert_str_eq(v.bridge, "br0");
	ck_assert_str_eq(v.ifname, "vif1");
	ck_assert_str_eq(warn, "");

	/* Upper-case hex, a locally administered address, empty items, mtu. */
	ck_assert_int_eq(vif_spec_parse(",,mac=02:AB:cd:00:00:01,,mtu=9000, ", &v, warn,
					sizeof(warn), err, sizeof(err)),
			 0);
	ck_assert_uint_eq(v.mac[1], 0xab);
	ck_assert_uint_eq(v.mtu, 9000);

	/* What changes nothing: type=vif, a virtio model, vif-bridge by name or path. */
	ck_assert_int_eq(vif_spec_parse("type=vif,model=virtio,script=vif-bridge", &v, warn,
					sizeof(warn), err, sizeof(err)),
			 0);
	ck_assert_str_eq(warn, "");
	ck_assert_int_eq(vif_spec_parse("script=/etc/xen/scripts/vif-bridge,model=virtio-net", &v,
					warn, sizeof(warn), err, sizeof(err)),
			 0);
	ck_assert_str_eq(warn, "");
	/* NULL warn is fine. */
	ck_assert_int_eq(vif_spec_parse("model=e1000", &v, NULL, 0, err, sizeof(err)), 0);
}
END_TEST

/* What is ignored is said in warn, one note per item, joined. */
START_TEST(test_vif_spec_ignored)
{
	char err[ERRLEN], warn[1024];
	struct vif_spec v;

	ck_assert_int_eq(vif_spec_parse("mac=00:16:3E:74:3d:76,model=rtl8139,bridge=xenbr0", &v,
					warn, sizeof(warn), err, sizeof(err)),
			 0);
	ck_assert_str_eq(warn, "model 'rtl8139' ignored: it names a NIC a device model emulates "
			       "for HVM guests; kdom's NICs are virtio-net");
	ck_assert_int_eq(vif_spec_parse("type=ioemu", &v, warn, sizeof(warn), err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(warn, "type 'ioemu' ignored: kdom emulates no NIC"));
	ck_assert_int_eq(vif_spec_parse("rate=10Mb/s@20ms,gatewaydev=eth0,netdev=eth1,devid=3,"
					"accel=x",
					&v, warn, sizeof(warn), err, sizeof(err)),
			 0);
	ck_assert_str_eq(warn,
			 "rate ignored: kdom does not limit a vif's bandwidth yet; "
			 "gatewaydev ignored: only the vif-route script uses it, and kdom "
			 "runs no scripts; netdev ignored: only the vif-route script uses it, "
			 "and kdom runs no scripts; devid ignored: kdom numbers vifs by their "
			 "place in the list; accel ignored: xl does not serve it either");
	ck_assert_int_eq(vif_spec_parse("rate=250KB/s", &v, warn, sizeof(warn), err, sizeof(err)),
			 0);
	ck_assert_int_eq(
		vif_spec_parse("rate=1000/s@50us", &v, warn, sizeof(warn), err, sizeof(err)), 0);
	/* A small warn buffer is cut, not overrun. */
	ck_assert_int_eq(vif_spec_parse("devid=1,accel=1", &v, warn, 8, err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(warn), 7);
}
END_TEST

static const struct {
	const char *spec, *what;
} vif_bad[] = {
	{ "mac=00:16:3e:01:02", "mac '00:16:3e:01:02' is not six two-digit hex bytes" },
	{ "mac=00-16-3e-01-02-03", "is not six two-digit hex bytes separated by ':'" },
	{ "mac=0:16:3e:01:02:03", "is not six two-digit hex bytes" },
	{ "mac=00:16:3e:01:02:03:04", "is not six two-digit hex bytes" },
	{ "mac=00:16:3e:01:02:0g", "is not six two-digit hex bytes" },
	{ "mac=01:00:5e:00:00:01", "mac '01:00:5e:00:00:01' is a multicast address" },
	{ "mac=ff:ff:ff:ff:ff:ff", "mac 'ff:ff:ff:ff:ff:ff' is a multicast address" },
	{ "mac=00:00:00:00:00:00", "mac '00:00:00:00:00:00' is not an address" },
	{ "bridge=", "bridge '' is not a host interface name" },
	{ "bridge=br/0", "bridge 'br/0' is not a host interface name" },
	{ "vifname=a:b", "vifname 'a:b' is not a host interface name" },
	{ "vifname=..", "vifname '..' is not a host interface name" },
	{ "vifname=sixteen-chars-xx", "vifname 'sixteen-chars-xx' is not a host interface name (1 "
				      "to 15 printable" },
	{ "type=foo", "type 'foo' is not vif or ioemu" },
	{ "script=vif-route", "script 'vif-route': kdom runs no hotplug scripts; it adds the "
			      "interface to bridge= itself, as vif-bridge does" },
	{ "script=/etc/xen/scripts/vif-nat", "script '/etc/xen/scripts/vif-nat': kdom runs no "
					     "hotplug scripts" },
	{ "ip=10.0.0.2", "ip '10.0.0.2': kdom runs no hotplug scripts, so nothing would hold the "
			 "guest to that address" },
	{ "backend=netdom", "backend 'netdom': kdom serves network devices from its own process" },
	{ "forwarddev=eth0", "forwarddev: kdom does not serve COLO replication" },
	{ "colo_sock_mirror_id=1", "colo_sock_mirror_id: kdom does not serve COLO replication" },
	{ "rate=fast", "rate 'fast' is not RATE/s[@INTERVAL]" },
	{ "rate=10Mb", "rate '10Mb' is not RATE/s[@INTERVAL]" },
	{ "rate=10Mb/s@", "rate '10Mb/s@' is not RATE/s[@INTERVAL]" },
	{ "rate=10Mb/s@5h", "rate '10Mb/s@5h' is not RATE/s[@INTERVAL]" },
	{ "mtu=67", "mtu '67' is not a number from 68 to 65535" },
	{ "mtu=65536", "mtu '65536' is not a number from 68 to 65535" },
	{ "mtu=abc", "mtu 'abc' is not a number" },
	{ "mtu=-1", "mtu '-1' is not a number" },
	{ "bridge", "'bridge' is not KEY=VALUE" },
	{ "foo=1", "unknown key 'foo'" },
	{ "mac=00:16:3e:01:02:03,trusted", "'trusted' is not KEY=VALUE" },
};

START_TEST(test_vif_spec_refused)
{
	char err[ERRLEN], prefix[128];
	struct vif_spec v;

	snprintf(prefix, sizeof(prefix), "vif '%s': ", vif_bad[_i].spec);
	ck_assert_int_eq(vif_spec_parse(vif_bad[_i].spec, &v, NULL, 0, err, sizeof(err)), -EINVAL);
	ck_assert_msg(!strncmp(err, prefix, strlen(prefix)), "'%s' does not open with '%s'", err,
		      prefix);
	ck_assert_msg(strstr(err, vif_bad[_i].what), "'%s' does not say '%s'", err,
		      vif_bad[_i].what);
}
END_TEST

/* Xen's OUI, unicast, the same for the same UUID and index, different otherwise. */
START_TEST(test_vif_generate_mac)
{
	uint8_t uuid[16] = { 0x6f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x49, 0x78,
			     0x8a, 0x6b, 0x5c, 0x4d, 0x3e, 0x2f, 0x1a, 0x0b };
	uint8_t a[6], b[6], c[6];
	unsigned int same = 0;

	vif_spec_generate_mac(a, uuid, 0);
	vif_spec_generate_mac(b, uuid, 0);
	ck_assert_mem_eq(a, b, 6);
	ck_assert_uint_eq(a[0], 0x00);
	ck_assert_uint_eq(a[1], 0x16);
	ck_assert_uint_eq(a[2], 0x3e);
	vif_spec_generate_mac(c, uuid, 1);
	ck_assert_mem_ne(a, c, 6);
	uuid[15] ^= 1;
	vif_spec_generate_mac(b, uuid, 0);
	ck_assert_mem_ne(a, b, 6);
	/* 256 UUIDs: byte 3's top bit always clear, the low three bytes spread. */
	for (unsigned int i = 0; i < 256; i++) {
		uuid[0] = (uint8_t)i;
		vif_spec_generate_mac(c, uuid, 0);
		ck_assert_uint_eq(c[3] & 0x80, 0);
		same += !memcmp(a + 3, c + 3, 3);
	}
	ck_assert_uint_le(same, 1);
}
END_TEST

/* ---- Domain keys: a typical xl PVH domU ------------------------------------- */

static const char typical_domu[] =
	"# An xl PVH domU, as written for Xen\n"
	"type = \"pvh\"\n"
	"name = \"web01\"\n"
	"memory = 512\n"
	"maxmem = 512\n"
	"vcpus = 2\n"
	"maxvcpus = 2\n"
	"uuid = \"6F1E2D3C-4b5a-4978-8a6b-5c4d3e2f1a0b\"\n"
	"kernel = \"/boot/vmlinuz-6.1\"\n"
	"ramdisk = \"/boot/initrd.img-6.1\"\n"
	"root = \"/dev/xvda1 ro\"\n"
	"extra = \"console=hvc0 earlyprintk=xen\"\n"
	"disk = [ 'phy:/dev/vg/web01-root,xvda1,w',\n"
	"         'format=raw, vdev=xvdb, access=ro, target=/srv/data.img' ]\n"
	"vif = [ 'mac=00:16:3e:01:02:03, bridge=br0, vifname=vif1' ]\n"
	"on_poweroff = \"destroy\"\n"
	"on_reboot = \"restart\"\n"
	"on_crash = \"restart\"\n";

START_TEST(test_typical_domu)
{
	static const uint8_t uuid[16] = { 0x6f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x49, 0x78,
					  0x8a, 0x6b, 0x5c, 0x4d, 0x3e, 0x2f, 0x1a, 0x0b };
	struct domain_config dc;
	char err[ERRLEN];

	domain_config_init(&dc);
	apply_quiet(&dc, typical_domu);
	ck_assert_str_eq(dc.name, "web01");
	ck_assert_uint_eq(dc.memory_mib, 512);
	ck_assert_uint_eq(dc.vcpus, 2);
	ck_assert(dc.uuid_set);
	ck_assert_mem_eq(dc.uuid, uuid, 16);
	ck_assert_str_eq(dc.kernel, "/boot/vmlinuz-6.1");
	ck_assert_str_eq(dc.ramdisk, "/boot/initrd.img-6.1");
	ck_assert_str_eq(dc.cmdline, "root=/dev/xvda1 ro console=hvc0 earlyprintk=xen");
	ck_assert_uint_eq(dc.nr_disks, 2);
	ck_assert_str_eq(dc.disks[0].target, "/dev/vg/web01-root");
	ck_assert_str_eq(dc.disks[0].vdev, "xvda1");
	ck_assert(!dc.disks[0].readonly);
	ck_assert_str_eq(dc.disks[1].target, "/srv/data.img");
	ck_assert(dc.disks[1].readonly);
	ck_assert_uint_eq(dc.nr_vifs, 1);
	ck_assert_str_eq(dc.vifs[0].bridge, "br0");
	ck_assert_str_eq(dc.vifs[0].ifname, "vif1");
	ck_assert_int_eq(dc.on[DOMAIN_SHUTDOWN_CRASH], DOMAIN_ACTION_RESTART);
	ck_assert_int_eq(domain_config_validate(&dc, err, sizeof(err)), 0);
	domain_config_free(&dc);
	ck_assert_uint_eq(dc.nr_disks, 0);
	ck_assert_uint_eq(dc.nr_vifs, 0);
}
END_TEST

START_TEST(test_type_builder)
{
	struct domain_config dc;

	domain_config_init(&dc);
	apply_quiet(&dc, "type = 'pvh'\n");
	domain_config_free(&dc);
	check_refused("\ntype = \"hvm\"\n",
		      "t.cfg:2: type 'hvm' asks for an HVM domain (firmware, emulated disks and "
		      "NICs): kdom boots PVH ELF and Linux bzImage/vmlinux kernels directly, as "
		      "type = \"pvh\"");
	check_refused("type = \"pv\"\n",
		      "t.cfg:1: type 'pv' asks for a PV domain (a Xen paravirtualized kernel): "
		      "kdom boots PVH ELF and Linux bzImage/vmlinux kernels directly, as type = "
		      "\"pvh\"");
	check_refused("type = \"PVH\"\n", "t.cfg:1: type 'PVH' is not pvh (nor xl's pv or hvm)");
	check_refused("type = 1\n", "t.cfg:1: 'type' must be a string");
	check_refused("builder = \"hvm\"\n",
		      "t.cfg:1: builder 'hvm' asks for an HVM domain (xl's old spelling of type = "
		      "\"hvm\"): kdom boots PVH ELF and Linux bzImage/vmlinux kernels directly, "
		      "as type = \"pvh\"");
	check_refused(
		"builder = \"generic\"\n",
		"t.cfg:1: builder 'generic' asks for a PV domain (xl's old spelling of type "
		"= \"pv\"): kdom boots PVH ELF and Linux bzImage/vmlinux kernels directly, as "
		"type = \"pvh\"");
	check_refused("builder = \"linux\"\n",
		      "t.cfg:1: builder 'linux' is not xl's generic or hvm");
}
END_TEST

START_TEST(test_maxmem_maxvcpus)
{
	struct domain_config dc;

	domain_config_init(&dc);
	apply_quiet(&dc, "maxmem = 64\nmemory = 64\nvcpus = 4\nmaxvcpus = 4\n");
	ck_assert_uint_eq(dc.memory_mib, 64);
	ck_assert_uint_eq(dc.vcpus, 4);
	domain_config_free(&dc);
	/* maxmem alone gives memory, as in xl; maxvcpus 1 matches the default vcpus. */
	domain_config_init(&dc);
	apply_quiet(&dc, "maxmem = 96\nmaxvcpus = 1\n");
	ck_assert_uint_eq(dc.memory_mib, 96);
	domain_config_free(&dc);

	check_refused("memory = 64\nmaxmem = 128\n",
		      "t.cfg:2: maxmem 128 MiB is above memory 64 MiB: kdom cannot grow a domain's "
		      "memory yet (no balloon), give maxmem = memory");
	check_refused("maxmem = 128\nmemory = 64\n",
		      "t.cfg:1: maxmem 128 MiB is above memory 64 MiB: kdom cannot grow a domain's "
		      "memory yet (no balloon), give maxmem = memory");
	check_refused("memory = 64\nmaxmem = 32\n",
		      "t.cfg:2: maxmem 32 MiB is below memory 64 MiB");
	check_refused("maxmem = 1\n", "t.cfg:1: memory 1 MiB out of range (2 to 1048576)");
	check_refused("maxmem = '64'\n", "t.cfg:1: 'maxmem' must be a number");
	check_refused("vcpus = 2\nmaxvcpus = 4\n",
		      "t.cfg:2: maxvcpus 4 is above vcpus 2: kdom starts every vCPU online and "
		      "cannot add any later, give maxvcpus = vcpus");
	check_refused("maxvcpus = 2\n",
		      "t.cfg:1: maxvcpus 2 is above vcpus 1: kdom starts every vCPU online and "
		      "cannot add any later, give maxvcpus = vcpus");
	check_refused("vcpus = 4\nmaxvcpus = 2\n", "t.cfg:2: maxvcpus 2 is below vcpus 4");
	/* The other key's wrong type is reported on its own line. */
	check_refused("maxmem = 64\nmemory = 'x'\n", "t.cfg:2: 'memory' must be a number");
	check_refused("maxvcpus = 2\nvcpus = 'x'\n", "t.cfg:2: 'vcpus' must be a number");
}
END_TEST

START_TEST(test_uuid)
{
	static const char *const bad[] = {
		"xyz",
		"6f1e2d3c4b5a49788a6b5c4d3e2f1a0b",
		"6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0",
		"6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b0",
		"6f1e2d3c-4b5a4-978-8a6b-5c4d3e2f1a0b",
		"6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0g",
		"{6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b}",
		"",
	};
	struct domain_config dc;
	char err[ERRLEN], expect[ERRLEN];

	domain_config_init(&dc);
	ck_assert(!dc.uuid_set);
	ck_assert_int_eq(domain_config_set_uuid(&dc, "00112233-4455-6677-8899-AABBCCDDEEFF", err,
						sizeof(err)),
			 0);
	ck_assert(dc.uuid_set);
	ck_assert_uint_eq(dc.uuid[0], 0x00);
	ck_assert_uint_eq(dc.uuid[5], 0x55);
	ck_assert_uint_eq(dc.uuid[15], 0xff);
	/* The nil UUID asks for a fresh one, as in xl. */
	ck_assert_int_eq(domain_config_set_uuid(&dc, "00000000-0000-0000-0000-000000000000", err,
						sizeof(err)),
			 0);
	ck_assert(!dc.uuid_set);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(domain_config_set_uuid(&dc, bad[i], err, sizeof(err)), -EINVAL);
		snprintf(expect, sizeof(expect),
			 "uuid '%s' is not 32 hex digits in the form "
			 "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
			 bad[i]);
		ck_assert_str_eq(err, expect);
	}
	domain_config_free(&dc);
	check_refused("\nuuid = 'nope'\n", "t.cfg:2: uuid 'nope' is not 32 hex digits in the form "
					   "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx");
}
END_TEST

/* The config's UUID becomes the domain's; without one each admission draws its own. */
START_TEST(test_uuid_admitted)
{
	static const uint8_t uuid[16] = { 1,	2,  3,	4,  5,	6,  0x47, 8,
					  0x89, 10, 11, 12, 13, 14, 15,	  16 };
	struct role_registry *reg = calloc(1, sizeof(*reg));
	struct role_request req = { .domid = ROLES_DOMID_ANY, .name = "u", .uuid = uuid };
	struct domain d, e;
	char err[ERRLEN];

	ck_assert_ptr_nonnull(reg);
	ck_assert_int_eq(roles_admit_single(reg, NULL, -1, &req, &d, err, sizeof(err)), 0);
	ck_assert_mem_eq(d.uuid, uuid, 16);
	req.uuid = NULL;
	req.name = "v";
	ck_assert_int_eq(roles_admit(reg, &req, &e, err, sizeof(err)), 0);
	ck_assert_mem_ne(e.uuid, uuid, 16);
	ck_assert_uint_eq(e.uuid[6] >> 4, 4); /* version 4 */
	free(reg);
}
END_TEST

START_TEST(test_root_extra_cmdline)
{
	struct domain_config dc;

	domain_config_init(&dc);
	apply_quiet(&dc, "root = '/dev/xvda1'\n");
	ck_assert_str_eq(dc.cmdline, "root=/dev/xvda1");
	domain_config_free(&dc);
	domain_config_init(&dc);
	apply_quiet(&dc, "extra = 'quiet'\nroot = '/dev/vda ro'\n");
	ck_assert_str_eq(dc.cmdline, "root=/dev/vda ro quiet");
	domain_config_free(&dc);
	check_refused("cmdline = 'a'\nroot = '/dev/xvda'\n",
		      "t.cfg:1: 'cmdline' and 'root' are both given ('root' on line 2); give only "
		      "one");
	check_refused("root = '/dev/xvda'\n\ncmdline = 'a'\n",
		      "t.cfg:1: 'cmdline' and 'root' are both given ('cmdline' on line 3); give "
		      "only one");
	check_refused("root = 1\n", "t.cfg:1: 'root' must be a string");
	check_refused("root = '/dev/xvda'\nextra = 2\n", "t.cfg:2: 'extra' must be a string");
}
END_TEST

/* disk = and vif = in a file: their errors carry FILE:LINE; limits and duplicates. */
START_TEST(test_disk_vif_keys)
{
	struct domain_config dc;

	check_refused("\ndisk = [ '/i,qcow2,xvda' ]\n",
		      "t.cfg:2: disk '/i,qcow2,xvda': format 'qcow2': kdom serves raw images only "
		      "(qemu-img convert -O raw makes one)");
	check_refused("disk = '/i,,xvda'\n", "t.cfg:1: 'disk' must be a list");
	check_refused("disk = [ 1 ]\n", "t.cfg:1: 'disk' lists strings");
	check_refused("vif = 'bridge=br0'\n", "t.cfg:1: 'vif' must be a list");
	check_refused("vif = [ 'mac=1' ]\n",
		      "t.cfg:1: vif 'mac=1': mac '1' is not six two-digit hex bytes separated by "
		      "':'");
	check_refused("disk = [ '/a,,xvda', '/b,,hda' ]\n",
		      "t.cfg:1: disk '/b,,hda': vdev hda names the same disk as xvda");
	check_refused("disk = [ '/a,,xvda1', '/b,,d0p1' ]\n",
		      "t.cfg:1: disk '/b,,d0p1': vdev d0p1 names the same disk as xvda1");
	check_refused("disk = [ '/a,,xvda', '/a,,xvdb,ro' ]\n",
		      "t.cfg:1: disk '/a,,xvdb,ro': /a is disk xvda already; one image can be "
		      "shared only read-only");
	check_refused("vif = [ 'mac=00:16:3e:00:00:01', 'mac=00:16:3e:00:00:01' ]\n",
		      "t.cfg:1: vif 'mac=00:16:3e:00:00:01': its mac is vif 0's too");
	check_refused("vif = [ 'vifname=v0', 'vifname=v0' ]\n",
		      "t.cfg:1: vif 'vifname=v0': vifname v0 is vif 0's too");
	check_refused("disk = [ '/0,,xvda', '/1,,xvdb', '/2,,xvdc', '/3,,xvdd', '/4,,xvde',\n"
		      "'/5,,xvdf', '/6,,xvdg', '/7,,xvdh', '/8,,xvdi' ]\n",
		      "t.cfg:1: at most 8 disks per domain");
	check_refused("vif = [ '', '', '', '', '', '', '', '', '' ]\n",
		      "t.cfg:1: at most 8 vifs per domain");

	/* An image shared read-only; partitions of one disk; eight of each. */
	domain_config_init(&dc);
	apply_quiet(&dc, "disk = [ '/a,,xvda,ro', '/a,,xvdb,ro', '/b,,xvdc1', '/c,,xvdc2',\n"
			 "'/d,,xvdd', '/e,,xvde', '/f,,xvdf', '/g,,xvdg' ]\n"
			 "vif = [ '', '', '', '', '', '', '', '' ]\n");
	ck_assert_uint_eq(dc.nr_disks, 8);
	ck_assert_uint_eq(dc.nr_vifs, 8);
	domain_config_free(&dc);
}
END_TEST

/* A vif's notes are logged once per vif with FILE:LINE; --vif's go to the caller. */
START_TEST(test_vif_warnings)
{
	struct domain_config dc;
	char err[ERRLEN], warn[512];

	check_warned("\nvif = [ 'bridge=br0,model=e1000' ]\n",
		     "t.cfg:2: vif 0 ('bridge=br0,model=e1000'): model 'e1000' ignored");
	domain_config_init(&dc);
	ck_assert_int_eq(
		domain_config_add_vif(&dc, "type=ioemu", warn, sizeof(warn), err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(warn, "type 'ioemu' ignored"));
	ck_assert_int_eq(domain_config_add_disk(&dc, "/x,,xvda", err, sizeof(err)), 0);
	ck_assert_int_eq(domain_config_add_disk(&dc, "/y,,xvda", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "disk '/y,,xvda': vdev xvda names the same disk as xvda");
	domain_config_free(&dc);
}
END_TEST

/* ---- Every other xl key: ignored with a warning, or refused --------------------- */

/* Every entry, given a value that is not its `same`: one warning naming it, or its refusal. */
START_TEST(test_xl_keys_classified)
{
	size_t count;
	const struct xl_key *keys = xl_keys(&count);

	ck_assert_uint_ge(count, 120);
	for (size_t i = 0; i < count; i++) {
		char text[128], msg[ERRLEN];

		ck_assert_ptr_eq(xl_key_find(keys[i].key), &keys[i]); /* no duplicates */
		ck_assert_msg(strlen(keys[i].why) > 10, "%s: no reason", keys[i].key);
		snprintf(text, sizeof(text), "%s = 2\n", keys[i].key);
		if (keys[i].class == XL_KEY_REFUSED) {
			snprintf(msg, sizeof(msg), "t.cfg:1: '%s' refused: %s", keys[i].key,
				 keys[i].why);
			check_refused(text, msg);
		} else {
			snprintf(msg, sizeof(msg), "warning: t.cfg:1: '%s' ignored: %s\n",
				 keys[i].key, keys[i].why);
			check_warned(text, msg);
		}
	}
}
END_TEST

/* kdom.cfg(5)'s XL KEYS lists every entry, in bold, in its class's list. */
START_TEST(test_xl_keys_documented)
{
	FILE *man = fopen("docs/kdom.cfg.5", "r");
	char *text = calloc(1, 256 * 1024), *refused, *ignored, *end, word[64];
	size_t count, len;
	const struct xl_key *keys = xl_keys(&count);

	ck_assert_msg(man, "docs/kdom.cfg.5 not found (run from the top of the tree)");
	ck_assert_ptr_nonnull(text);
	len = fread(text, 1, 256 * 1024 - 1, man);
	fclose(man);
	text[len] = '\0';
	refused = strstr(text, ".SS Refused\n");
	ignored = strstr(text, ".SS Ignored, with a warning\n");
	ck_assert(refused && ignored && refused < ignored);
	end = strstr(ignored, "\n.SH ");
	ck_assert_ptr_nonnull(end);
	*end = '\0';
	for (size_t i = 0; i < count; i++) {
		bool in_refused, in_ignored;

		snprintf(word, sizeof(word), "\\fB%s\\fR", keys[i].key);
		ignored[-1] = '\0';
		in_refused = strstr(refused, word) != NULL;
		ignored[-1] = '\n';
		in_ignored = strstr(ignored, word) != NULL;
		ck_assert_msg(keys[i].class == XL_KEY_REFUSED ? in_refused && !in_ignored
							      : in_ignored && !in_refused,
			      "kdom.cfg(5) does not list %s as %s", keys[i].key,
			      keys[i].class == XL_KEY_REFUSED ? "refused" : "ignored");
	}
	free(text);
}
END_TEST

/* The keys xl.cfg(5) names that kdom serves are not in the table; unknown keys stay errors. */
START_TEST(test_xl_keys_served)
{
	static const char *const served[] = {
		"name",	    "type",	     "builder",	  "memory",   "maxmem",	     "vcpus",
		"maxvcpus", "uuid",	     "kernel",	  "ramdisk",  "cmdline",     "root",
		"extra",    "on_poweroff",   "on_reboot", "on_crash", "on_watchdog", "pci",
		"cpuid",    "driver_domain", "disk",	  "vif",
	};

	for (size_t i = 0; i < sizeof(served) / sizeof(served[0]); i++)
		ck_assert_msg(!xl_key_find(served[i]), "%s is served, not in the table", served[i]);
	check_refused("memroy = 64\n", "t.cfg:1: unknown key 'memroy'");
	check_refused("vncviewer = 1\n", "t.cfg:1: unknown key 'vncviewer'");
	check_refused("VNC = 1\n", "t.cfg:1: unknown key 'VNC'");
}
END_TEST

/* The classes the keys of the issue's list are in; a value that asks for kdom's way is quiet. */
START_TEST(test_xl_keys_examples)
{
	static const char *const ignored[] = {
		"cpus",	     "cpus_soft", "vnc",	   "sdl",	    "serial",
		"boot",	     "acpi",	  "p2m_mem_kb",	   "shadow_memory", "vfb",
		"channel",   "usb",	  "usbctrl",	   "usbdev",	    "usbdevice",
		"viridian",  "nestedhvm", "tsc_mode",	   "localtime",	    "rtc_timeoffset",
		"e820_host", "vpmu",	  "on_soft_reset",
	};
	static const char *const refused[] = {
		"device_model_version",
		"device_model_override",
		"device_model_args",
		"bootloader",
		"dtdev",
		"iomem",
		"ioports",
		"irqs",
		"altp2m",
		"seclabel",
		"firmware",
		"vtpm",
	};

	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		ck_assert_msg(xl_key_find(ignored[i]) &&
				      xl_key_find(ignored[i])->class == XL_KEY_IGNORED,
			      "%s should be ignored", ignored[i]);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		ck_assert_msg(xl_key_find(refused[i]) &&
				      xl_key_find(refused[i])->class == XL_KEY_REFUSED,
			      "%s should be refused", refused[i]);
}
END_TEST

/* A value that asks for kdom's way is quiet; any value type is taken; a warning per key. */
START_TEST(test_xl_keys_values)
{
	struct domain_config dc;
	char err[ERRLEN], log[2048];
	int lines;

	domain_config_init(&dc);
	apply_quiet(&dc, "vnc = 0\nsdl = 0\nacpi = 0\nhap = 1\nnomigrate = 1\npvshim = 0\n"
			 "altp2m = 'disabled'\naltp2mhvm = 0\ngfx_passthru = 0\n"
			 "mmio_hole = 1024\nvga = 'none'\nnographic = 1\n");
	domain_config_free(&dc);
	/* Any value type: lists and strings too. */
	check_warned("cpus = [ '2', '3-8,^5' ]\n", "t.cfg:1: 'cpus' ignored: kdom does not pin");
	check_warned("serial = 'pty'\n", "t.cfg:1: 'serial' ignored: COM1 is always");
	check_warned("viridian = [ 'base' ]\n", "'viridian' ignored: Hyper-V enlightenments");
	check_refused("altp2m = 'mixed'\n",
		      "t.cfg:1: 'altp2m' refused: alternate p2m views (VMFUNC, #VE) are Xen's; KVM "
		      "gives kdom none");
	check_refused("device_model_args = [ '-s' ]\n",
		      "t.cfg:1: 'device_model_args' refused: kdom has no device model: its few "
		      "devices are built in");
	/* One warning per key, each with its line. */
	domain_config_init(&dc);
	ck_assert_int_eq(apply_logged(&dc, "vnc = 1\nname = 'x'\nserial = 'pty'\n", err, log,
				      sizeof(log), &lines),
			 0);
	ck_assert_int_eq(lines, 2);
	ck_assert_ptr_nonnull(strstr(log, "t.cfg:1: 'vnc' ignored"));
	ck_assert_ptr_nonnull(strstr(log, "t.cfg:3: 'serial' ignored"));
	domain_config_free(&dc);
}
END_TEST

/* cfg_apply_other(): CFG_ANY takes every type; -ENOENT is "unknown key"; other errors pass. */
static int other_key(void *target, const struct cfg *cfg, const struct cfg_setting *s, char *err,
		     size_t errlen)
{
	if (!strcmp(s->key, "known"))
		return 0;
	if (!strcmp(s->key, "bad"))
		return config_error(err, errlen, "bad is bad");
	return -ENOENT;
}

static int count_key(void *target, const struct cfg *cfg, const struct cfg_setting *s, char *err,
		     size_t errlen)
{
	(*(int *)target)++;
	return 0;
}

START_TEST(test_cfg_apply_other)
{
	static const struct cfg_key keys[] = { { "any", CFG_ANY, count_key } };
	const char *text = "any = 1\nknown = 'x'\n\nbad = 2\n";
	struct cfg cfg;
	char err[ERRLEN];
	int count = 0;

	ck_assert_int_eq(cfg_parse("o.cfg", text, strlen(text), &cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(cfg_apply_other(&cfg, keys, 1, other_key, &count, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "o.cfg:4: bad is bad");
	ck_assert_int_eq(count, 1);
	ck_assert_int_eq(cfg_apply(&cfg, keys, 1, &count, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "o.cfg:2: unknown key 'known'");
	cfg_free(&cfg);
	text = "any = [ 1, 'a' ]\nany2 = 'x'\n";
	ck_assert_int_eq(cfg_parse("o.cfg", text, strlen(text), &cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(cfg_apply_other(&cfg, keys, 1, other_key, &count, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "o.cfg:2: unknown key 'any2'");
	ck_assert_int_eq(count, 3); /* once per apply that reached line 1 */
	cfg_free(&cfg);
}
END_TEST

Suite *xl_compat_suite(void)
{
	Suite *s = suite_create("xl-compat");
	TCase *tc = tcase_create("specs");

	tcase_add_loop_test(tc, test_disk_spec_forms, 0, sizeof(disk_ok) / sizeof(disk_ok[0]));
	tcase_add_loop_test(tc, test_disk_spec_refused, 0, sizeof(disk_bad) / sizeof(disk_bad[0]));
	tcase_add_test(tc, test_disk_spec_long);
	tcase_add_test(tc, test_vif_spec_forms);
	tcase_add_test(tc, test_vif_spec_ignored);
	tcase_add_loop_test(tc, test_vif_spec_refused, 0, sizeof(vif_bad) / sizeof(vif_bad[0]));
	tcase_add_test(tc, test_vif_generate_mac);
	suite_add_tcase(s, tc);

	tc = tcase_create("keys");
	tcase_add_test(tc, test_typical_domu);
	tcase_add_test(tc, test_type_builder);
	tcase_add_test(tc, test_maxmem_maxvcpus);
	tcase_add_test(tc, test_uuid);
	tcase_add_test(tc, test_uuid_admitted);
	tcase_add_test(tc, test_root_extra_cmdline);
	tcase_add_test(tc, test_disk_vif_keys);
	tcase_add_test(tc, test_vif_warnings);
	tcase_add_test(tc, test_xl_keys_classified);
	tcase_add_test(tc, test_xl_keys_documented);
	tcase_add_test(tc, test_xl_keys_served);
	tcase_add_test(tc, test_xl_keys_examples);
	tcase_add_test(tc, test_xl_keys_values);
	tcase_add_test(tc, test_cfg_apply_other);
	suite_add_tcase(s, tc);
	return s;
}
