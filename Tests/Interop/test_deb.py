"""The board packages (`make deb`, scripts/make-deb.sh): their metadata and contents for arm64,
armhf and amd64, and the amd64 package installed with dpkg, its binary run from /usr/bin
(--self-test, --version), its unit verified where it was installed, then removed and purged.

Installing needs root (CI runs as root on a throwaway machine); as another user that test is
skipped and says so. The package checks need only dpkg-deb.

Environment: MAKE (default make), DEB_ARCHES (default "x86_64:medium aarch64:low armv7:low").
Bounded in time: every command has a timeout.
"""
import os
import re
import shutil
import subprocess
import time
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MAKE = os.environ.get("MAKE", "make")
DEBARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7": "armhf"}
# What `readelf -h` calls each machine.
MACHINE = {"x86_64": "Advanced Micro Devices X86-64", "aarch64": "AArch64", "armv7": "ARM"}
EXPECTED_FILES = {
    "./usr/bin/outpost": "-rwxr-xr-x",
    "./lib/systemd/system/outpost.service": "-rw-r--r--",
    "./etc/outpost/outpost.conf": "-rw-r--r--",
    "./usr/share/man/man1/outpost.1.gz": "-rw-r--r--",
    "./usr/share/doc/outpost/copyright": "-rw-r--r--",
}


def version():
    with open(os.path.join(ROOT, "Sources", "outpost", "Outpost.swift")) as f:
        return re.search(r'let outpostVersion: StaticString = "([^"]+)"', f.read()).group(1)


def run(args, timeout=60, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)


def build_deb(arch, profile):
    """`make deb` for one firmware; returns the package's path."""
    made = run([MAKE, "--no-print-directory", "deb", "ARCH=" + arch, "PROFILE=" + profile], timeout=1200, cwd=ROOT)
    if made.returncode != 0:
        raise AssertionError("make deb ARCH=%s PROFILE=%s failed:\n%s%s" % (arch, profile, made.stdout, made.stderr))
    path = os.path.join(ROOT, "build", "deb", "outpost_%s_%s.deb" % (version(), DEBARCH[arch]))
    assert os.path.exists(path), made.stdout
    # Each build overwrites the architecture's file: keep a copy per profile for the other tests.
    keep = path.replace(".deb", "-%s.deb" % profile)
    shutil.copyfile(path, keep)
    print("\ndeb: %s %s: %s, %d bytes" % (arch, profile, os.path.basename(path), os.path.getsize(path)))
    return keep


def dpkg(args, timeout=120):
    """dpkg, retried while another process holds its lock (a shared machine's apt)."""
    for _ in range(30):
        result = run(["dpkg"] + args, timeout=timeout)
        if result.returncode == 0 or "lock" not in (result.stderr + result.stdout):
            return result
        time.sleep(2)
    return result


class PackageContentsTests(unittest.TestCase):
    def test_packages_have_the_right_architecture_contents_and_dependencies(self):
        if shutil.which("dpkg-deb") is None:
            self.skipTest("dpkg-deb is not installed (scripts/ensure-tools.sh deb)")
        pairs = [p.split(":") for p in os.environ.get("DEB_ARCHES", "x86_64:medium aarch64:low armv7:low").split()]
        for arch, profile in pairs:
            with self.subTest(arch=arch, profile=profile):
                path = build_deb(arch, profile)
                fields = {}
                for key in ("Package", "Version", "Architecture", "Depends", "Description"):
                    value = run(["dpkg-deb", "--field", path, key])
                    self.assertEqual(value.returncode, 0, value.stderr)
                    fields[key] = value.stdout.strip()
                self.assertEqual(fields["Package"], "outpost")
                self.assertEqual(fields["Version"], version())
                self.assertEqual(fields["Architecture"], DEBARCH[arch])
                self.assertIn("(%s profile)" % profile, fields["Description"])
                contents = run(["dpkg-deb", "--contents", path])
                self.assertEqual(contents.returncode, 0, contents.stderr)
                listed = {}
                for line in contents.stdout.splitlines():
                    parts = line.split()
                    listed[parts[-1]] = (parts[0], parts[1])
                for name, mode in EXPECTED_FILES.items():
                    self.assertIn(name, listed, contents.stdout)
                    self.assertEqual(listed[name], (mode, "root/root"), name)
                control = run(["dpkg-deb", "--info", path, "conffiles"])
                self.assertEqual(control.stdout.split(), ["/etc/outpost/outpost.conf"])
                # The binary inside is the firmware for that machine, and Depends matches its linking.
                extracted = os.path.join(ROOT, "build", "deb", "extract-%s-%s" % (arch, profile))
                shutil.rmtree(extracted, ignore_errors=True)
                self.assertEqual(run(["dpkg-deb", "--extract", path, extracted]).returncode, 0)
                binary = os.path.join(extracted, "usr", "bin", "outpost")
                header = run(["readelf", "-h", binary]).stdout
                self.assertIn(MACHINE[arch], header)
                dynamic = run(["readelf", "-d", binary]).stdout
                if "(NEEDED)" in dynamic:
                    self.assertRegex(fields["Depends"], r"^libc6 \(>= 2\.\d+\)", "a dynamic binary depends on its glibc")
                    if "libmbed" in dynamic:
                        self.assertIn("libmbed", fields["Depends"], "mbedTLS linked dynamically: its package is a dependency")
                    else:
                        self.assertNotIn("mbed", fields["Depends"])
                else:
                    self.assertEqual(fields["Depends"], "", "a static binary depends on nothing")
                with open(binary, "rb") as f:
                    size = len(f.read())
                self.assertEqual(size, os.path.getsize(os.path.join(ROOT, "build", "firmware", "%s-%s" % (arch, profile), "outpost.stripped")))
                shutil.rmtree(extracted, ignore_errors=True)

    def test_make_deb_refuses_bad_arguments(self):
        bad = run([MAKE, "--no-print-directory", "deb", "ARCH=mips", "PROFILE=low"], cwd=ROOT)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("ARCH must be one of: aarch64 armv7 x86_64 (got 'mips')", bad.stderr)
        test_profile = run([MAKE, "--no-print-directory", "deb", "ARCH=x86_64", "PROFILE=test"], cwd=ROOT)
        self.assertNotEqual(test_profile.returncode, 0)
        self.assertIn("PROFILE must be low, medium or high", test_profile.stderr)


class InstallTests(unittest.TestCase):
    def test_install_run_and_remove_the_amd64_package(self):
        if os.geteuid() != 0:
            self.skipTest("installing a package needs root (CI runs as root on a throwaway machine); not root: skipped")
        if shutil.which("dpkg") is None:
            self.skipTest("dpkg is not installed")
        if os.path.exists("/usr/bin/outpost") and run(["dpkg", "-s", "outpost"]).returncode != 0:
            self.skipTest("/usr/bin/outpost exists and belongs to no outpost package: not overwriting it")
        path = build_deb("x86_64", "medium")
        try:
            installed = dpkg(["-i", path])
            self.assertEqual(installed.returncode, 0, installed.stdout + installed.stderr)
            status = run(["dpkg", "-s", "outpost"]).stdout
            self.assertIn("Status: install ok installed", status)
            self.assertIn("Version: %s" % version(), status)

            self_test = run(["/usr/bin/outpost", "--self-test"], timeout=120)
            self.assertEqual(self_test.returncode, 0, self_test.stdout + self_test.stderr)
            self.assertRegex(self_test.stdout + self_test.stderr, r"\b\d+ passed, 0 failed\b")
            shown = run(["/usr/bin/outpost", "--version"])
            self.assertEqual(shown.returncode, 0, shown.stderr)
            self.assertIn(version(), shown.stdout)
            self.assertIn("medium", shown.stdout)
            print("\ndeb: installed /usr/bin/outpost: %s" % shown.stdout.strip().splitlines()[0])

            # The unit where systemd reads it, with the man page it names installed.
            if shutil.which("systemd-analyze"):
                verified = run(["systemd-analyze", "verify", "/lib/systemd/system/outpost.service"], timeout=60)
                self.assertEqual(verified.returncode, 0, verified.stdout + verified.stderr)
            if shutil.which("man"):
                page = run(["man", "-l", "/usr/share/man/man1/outpost.1.gz"], env=dict(os.environ, MANPAGER="cat", PAGER="cat"))
                self.assertRegex(page.stdout, r"outpost\s+-\s+edge\s+gateway\s+daemon")

            removed = dpkg(["-r", "outpost"])
            self.assertEqual(removed.returncode, 0, removed.stdout + removed.stderr)
            self.assertFalse(os.path.exists("/usr/bin/outpost"))
            self.assertFalse(os.path.exists("/lib/systemd/system/outpost.service"))
            # A conffile stays after remove; purge takes it.
            self.assertTrue(os.path.exists("/etc/outpost/outpost.conf"))
            purged = dpkg(["-P", "outpost"])
            self.assertEqual(purged.returncode, 0, purged.stdout + purged.stderr)
            self.assertFalse(os.path.exists("/etc/outpost/outpost.conf"))
        finally:
            if run(["dpkg", "-s", "outpost"]).returncode == 0:
                dpkg(["-P", "outpost"])


if __name__ == "__main__":
    unittest.main()
